import { describe, expect, it } from 'vitest';
import { buildExpiryIcs } from '#src/shared/domain/monitor/calendarInvite.js';
import { credentialIds, type MonitoredCredential } from '#src/shared/domain/monitor/credentials.js';
import type { DigestInput } from '#src/shared/domain/monitor/digest.js';
import { digestCalendarEvents } from '#src/shared/domain/monitor/digestCalendar.js';

const APP_ID = '11111111-2222-3333-4444-555555555555';
const RENEWED_AT = new Date('2026-11-24T05:00:00Z');
const NEW_END = new Date('2028-11-23T23:30:00Z');
const OPTIONS = { rotationLeadDays: 30, alarmsHoursBefore: [168, 24], maxEvents: 5 };
const old: MonitoredCredential = {
  id: credentialIds.appPassword(APP_ID, 'k0'),
  kind: 'client-secret',
  label: 'ActNow',
  appId: APP_ID,
  keyId: 'k0',
  expiresAt: new Date('2026-12-10T06:00:00Z'),
  inUse: false,
};

function input(overrides: Partial<DigestInput> = {}): DigestInput {
  return {
    app: { appId: APP_ID, tenantId: 'contoso', displayName: 'ActNow' },
    timeZone: 'Europe/Rome',
    items: [],
    reconnects: [],
    rotationHistory: [],
    ...overrides,
  };
}

describe('digestCalendarEvents', () => {
  it("after a renewal: one all-day event on the new secret's end in ALERT_TIME_ZONE, reminded the day after keyrelay plans to renew it", () => {
    const renewal = {
      renewedAt: RENEWED_AT,
      newExpiresAt: NEW_END,
      oldKeyId: 'k0',
      oldRemovalAfter: new Date('2026-12-01T05:00:00Z'),
    };
    const oldItem = {
      credential: old,
      daysLeft: 16,
      state: 'expiring' as const,
      expiresAt: old.expiresAt,
      action: { kind: 'not-in-use' as const },
    };
    const [event, ...others] = digestCalendarEvents(input({ renewal, items: [oldItem] }), 'it', OPTIONS);
    // The old secret keyrelay removes itself gets no reminder: it would be a false alarm.
    expect(others).toEqual([]);
    expect(event).toMatchObject({
      allDay: true,
      timeZone: 'Europe/Rome',
      expiresAt: NEW_END,
      alarmsHoursBefore: [29 * 24],
    });
    expect(event?.summary).toBe('keyrelay: scadenza del segreto client di «ActNow»');
    expect(event?.description).toContain('scade il 24 novembre 2028');
    expect(event?.description).toContain('keyrelay lo rinnova da solo dal 25 ottobre 2028');
    const ics = buildExpiryIcs(event!, { now: () => RENEWED_AT });
    // 23:30 UTC on 23 November is already 24 November in Rome.
    expect(ics).toContain('DTSTART;VALUE=DATE:20281124');
    expect(ics).toContain('TRIGGER:-PT696H');
  });

  it('a secret in use that the admin must renew gets a timed reminder a week and a day before', () => {
    const inUse = { ...old, id: credentialIds.appPassword(APP_ID, 'k1'), keyId: 'k1', inUse: true };
    const events = digestCalendarEvents(
      input({
        items: [
          {
            credential: inUse,
            daysLeft: 16,
            state: 'expiring',
            expiresAt: inUse.expiresAt,
            action: { kind: 'alert-only' },
          },
        ],
      }),
      'en',
      OPTIONS,
    );
    expect(events).toEqual([
      expect.objectContaining({
        summary: 'keyrelay: client secret "ActNow" expires',
        alarmsHoursBefore: [168, 24],
        expiresAt: inUse.expiresAt,
      }),
    ]);
    // Read on the day itself, the event holds no countdown that went stale.
    expect(events[0]?.description).toBe(
      'Expires: 10 December 2026, 07:00 CET. keyrelay will no longer be able to refresh tokens: ActNow will stop sending mail from every connected mailbox.',
    );
    expect(events[0]?.allDay).toBeUndefined();
  });
});
