// The calendar events a digest carries (.ics attachments, calendarInvite.ts): one per credential the admin
// must act on before it expires, and, after a renewal, one for the new secret's end. Quiet secrets (the
// old one keyrelay removes itself) get none: a reminder for a secret that is gone would be a false alarm.
import type { Locale } from '#src/shared/presentation/locale.js';
import { formatDate, type DisplayZone } from '#src/shared/presentation/time.js';
import type { ExpiryEventInput } from './calendarInvite.js';
import { digestMessages, digestParts, portalCredentialsUrl, type DigestInput, type RenewalNotice } from './digest.js';

const HOURS_PER_DAY = 24;

export interface DigestCalendarOptions {
  /** ROTATION_LEAD_DAYS: keyrelay renews the new secret this many days before it expires. */
  rotationLeadDays: number;
  /** Reminders before an expiry the admin must act on. */
  alarmsHoursBefore: readonly number[];
  maxEvents: number;
}

export const CALENDAR_TEXT: Record<
  Locale,
  {
    /** The event sits on the expiry: it names what expires, never a countdown that goes stale. */
    expirySummary: (kind: string, label: string) => string;
    renewalSummary: (app: string) => string;
    renewalDescription: (
      renewal: RenewalNotice & { newExpiresAt: Date },
      renewsFrom: Date,
      date: (value: Date) => string,
    ) => string;
  }
> = {
  it: {
    expirySummary: (kind, label) => `keyrelay: scade ${kind} «${label}»`,
    renewalSummary: (app) => `keyrelay: scadenza del segreto client di «${app}»`,
    renewalDescription: (renewal, renewsFrom, date) =>
      `Il segreto client che keyrelay ha creato il ${date(renewal.renewedAt)} scade il ${date(renewal.newExpiresAt)}. keyrelay lo rinnova da solo dal ${date(renewsFrom)} e te lo scrive: se il giorno dopo non hai ricevuto la mail di rinnovo, esegui \`npm run doctor\`.`,
  },
  en: {
    expirySummary: (kind, label) => `keyrelay: ${kind} "${label}" expires`,
    renewalSummary: (app) => `keyrelay: client secret of "${app}" expires`,
    renewalDescription: (renewal, renewsFrom, date) =>
      `The client secret keyrelay created on ${date(renewal.renewedAt)} expires on ${date(renewal.newExpiresAt)}. keyrelay renews it itself from ${date(renewsFrom)} and mails you: if you have not received the renewal mail by the day after, run \`npm run doctor\`.`,
  },
};

/** Events for the digest `input` renders, most important first, at most `maxEvents`. */
export function digestCalendarEvents(
  input: DigestInput,
  locale: Locale,
  options: DigestCalendarOptions,
): ExpiryEventInput[] {
  const zone: DisplayZone = { locale, timeZone: input.timeZone };
  const messages = digestMessages(zone);
  const text = CALENDAR_TEXT[locale];
  const expiring = digestParts(input)
    .items.filter(
      (item) =>
        item.state === 'expiring' && item.credential.kind !== 'mailbox-grant' && item.action.kind !== 'not-in-use',
    )
    .map((item): ExpiryEventInput => ({
      uid: `${item.credential.id}:${item.expiresAt.toISOString()}@keyrelay`,
      summary: text.expirySummary(messages.kind[item.credential.kind], item.credential.label),
      // What happens if nothing is done: the digest's steps ("below") are not in the calendar.
      description: `${messages.columns[1]}: ${messages.expiresOn(item.expiresAt)}. ${messages.impact(item)}`,
      expiresAt: item.expiresAt,
      alarmsHoursBefore: options.alarmsHoursBefore,
      timeZone: input.timeZone,
      ...(item.credential.appId ? { url: portalCredentialsUrl(item.credential.appId) } : {}),
    }));
  return [...renewalEvent(input, zone, options), ...expiring].slice(0, options.maxEvents);
}

/**
 * After a renewal the admin's deadline is the new secret's end; keyrelay renews it before then, so the one
 * reminder falls the day after keyrelay's renewal date: the moment a missing renewal mail means trouble.
 */
function renewalEvent(input: DigestInput, zone: DisplayZone, options: DigestCalendarOptions): ExpiryEventInput[] {
  const renewal = input.renewal;
  if (renewal?.newExpiresAt === undefined) return [];
  const newExpiresAt = renewal.newExpiresAt;
  const text = CALENDAR_TEXT[zone.locale];
  const renewsFrom = new Date(newExpiresAt.getTime() - options.rotationLeadDays * HOURS_PER_DAY * 3_600_000);
  const checkHoursBefore = (options.rotationLeadDays - 1) * HOURS_PER_DAY;
  return [
    {
      uid: `app:${input.app.appId}:renewed-secret:${newExpiresAt.toISOString()}@keyrelay`,
      summary: text.renewalSummary(input.app.displayName),
      description: text.renewalDescription({ ...renewal, newExpiresAt }, renewsFrom, (value) =>
        formatDate(value, zone),
      ),
      expiresAt: newExpiresAt,
      allDay: true,
      timeZone: input.timeZone,
      alarmsHoursBefore: checkHoursBefore > 0 ? [checkHoursBefore] : [],
      url: portalCredentialsUrl(input.app.appId),
    },
  ];
}
