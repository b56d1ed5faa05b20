// Every date and time shown to people goes through here (DESIGN §4 ALERT_TIME_ZONE): one zone for
// mails, pages and the CLI, and a time is never printed without that zone.
import { intlTag, type Locale } from './locale.js';

export const DEFAULT_TIME_ZONE = 'Europe/Rome';

/** True for an IANA zone name this runtime knows (`Europe/Rome`, `UTC`), false for anything else. */
export function isTimeZone(value: string): boolean {
  if (value.trim() === '') return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** What a reader needs to place a date and time: the language and the zone. */
export interface DisplayZone {
  locale: Locale;
  timeZone: string;
}

/** `4 dicembre 2026` / `4 December 2026`: the calendar date in the zone. */
export function formatDate(date: Date, { locale, timeZone }: DisplayZone): string {
  return new Intl.DateTimeFormat(intlTag(locale), { day: 'numeric', month: 'long', year: 'numeric', timeZone }).format(
    date,
  );
}

/** `4 dic 2026`: the short calendar date, for table cells. */
export function formatShortDate(date: Date, { locale, timeZone }: DisplayZone): string {
  return new Intl.DateTimeFormat(intlTag(locale), { day: 'numeric', month: 'short', year: 'numeric', timeZone }).format(
    date,
  );
}

/** `06:00 CET`: the time of day with the zone's name. */
export function formatTime(date: Date, { locale, timeZone }: DisplayZone): string {
  return new Intl.DateTimeFormat(intlTag(locale), {
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
    timeZone,
  }).format(date);
}

/** `4 dicembre 2026, 06:00 CET` / `4 December 2026, 06:00 CET`. */
export function formatDateTime(date: Date, zone: DisplayZone): string {
  return `${formatDate(date, zone)}, ${formatTime(date, zone)}`;
}

/** `4 dic 2026, 06:00 CET`: the short form, for table cells. */
export function formatShortDateTime(date: Date, zone: DisplayZone): string {
  return `${formatShortDate(date, zone)}, ${formatTime(date, zone)}`;
}
