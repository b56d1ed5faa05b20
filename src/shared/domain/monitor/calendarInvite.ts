// The digest's .ics attachment (RFC 5545), written by hand: the `ics` package emits day/week alarm
// durations that clients reject, so alarms here are always `-PT<n>H`.
import type { Clock } from '../clock.js';

export interface ExpiryEventInput {
  /** Globally unique and stable per credential and expiry, so a re-sent invite updates the same event. */
  uid: string;
  summary: string;
  description: string;
  expiresAt: Date;
  alarmsHoursBefore: readonly number[];
  /** All-day event on the expiry's calendar date in `timeZone`; otherwise a timed event at the instant (UTC). */
  allDay?: boolean;
  /** ALERT_TIME_ZONE: the zone whose calendar date an all-day event falls on. */
  timeZone: string;
  url?: string;
}

const CRLF = '\r\n';
const MAX_LINE_OCTETS = 75;

/** RFC 5545 §3.3.11: backslash, semicolon, comma and line breaks are escaped in TEXT values. */
export function escapeIcsText(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r\n|\r|\n/g, '\\n');
}

/** RFC 5545 §3.1: lines longer than 75 octets continue on the next line after CRLF + one space. */
export function foldIcsLine(line: string): string {
  const chunks: string[] = [];
  let current = '';
  let currentOctets = 0;
  for (const char of line) {
    const octets = Buffer.byteLength(char, 'utf8');
    // Continuation lines start with a space, which counts towards their 75 octets.
    const limit = chunks.length === 0 ? MAX_LINE_OCTETS : MAX_LINE_OCTETS - 1;
    if (currentOctets + octets > limit) {
      chunks.push(current);
      current = '';
      currentOctets = 0;
    }
    current += char;
    currentOctets += octets;
  }
  chunks.push(current);
  return chunks.join(`${CRLF} `);
}

function formatUtcDateTime(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

function formatDateIn(date: Date, timeZone: string): string {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone })
    .format(date)
    .replace(/-/g, '');
}

function nextDate(yyyymmdd: string): string {
  const next = new Date(
    Date.UTC(Number(yyyymmdd.slice(0, 4)), Number(yyyymmdd.slice(4, 6)) - 1, Number(yyyymmdd.slice(6, 8)) + 1),
  );
  return formatUtcDateTime(next).slice(0, 8);
}

function assertValidInput(input: ExpiryEventInput): void {
  if (input.uid.trim() === '' || /[\r\n]/.test(input.uid))
    throw new RangeError('calendar invite: uid must be a non-empty single line');
  if (Number.isNaN(input.expiresAt.getTime())) throw new RangeError('calendar invite: expiresAt is not a valid date');
  if (input.url !== undefined && (!URL.canParse(input.url) || /\s/.test(input.url)))
    throw new RangeError('calendar invite: url is not a valid URI');
  for (const hours of input.alarmsHoursBefore) {
    if (!Number.isInteger(hours) || hours <= 0)
      throw new RangeError('calendar invite: alarm hours must be positive integers');
  }
}

export function buildExpiryIcs(input: ExpiryEventInput, clock: Clock): string {
  assertValidInput(input);
  const timing = input.allDay
    ? (() => {
        const day = formatDateIn(input.expiresAt, input.timeZone);
        return [`DTSTART;VALUE=DATE:${day}`, `DTEND;VALUE=DATE:${nextDate(day)}`];
      })()
    : // RFC 5545 §3.6.1: a DATE-TIME start without DTEND is an event that ends when it starts.
      [`DTSTART:${formatUtcDateTime(input.expiresAt)}`];
  const alarms = input.alarmsHoursBefore.flatMap((hours) => [
    'BEGIN:VALARM',
    'ACTION:DISPLAY',
    `DESCRIPTION:${escapeIcsText(input.summary)}`,
    `TRIGGER:-PT${hours}H`,
    'END:VALARM',
  ]);
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//keyrelay//expiry monitor//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    'BEGIN:VEVENT',
    `UID:${input.uid}`,
    `DTSTAMP:${formatUtcDateTime(clock.now())}`,
    ...timing,
    `SUMMARY:${escapeIcsText(input.summary)}`,
    `DESCRIPTION:${escapeIcsText(input.description)}`,
    ...(input.url ? [`URL:${input.url}`] : []),
    'TRANSP:TRANSPARENT',
    ...alarms,
    'END:VEVENT',
    'END:VCALENDAR',
  ];
  return lines.map(foldIcsLine).join(CRLF) + CRLF;
}
