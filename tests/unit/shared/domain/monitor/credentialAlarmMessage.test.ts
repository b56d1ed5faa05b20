import { describe, expect, it } from 'vitest';
import { renderCredentialAlarm } from '#src/shared/domain/monitor/credentialAlarmMessage.js';

const APP_ID = '11111111-2222-3333-4444-555555555555';
const NOW = new Date('2026-11-24T05:00:00Z');

describe('the credential alarm says since when, in ALERT_TIME_ZONE', () => {
  it.each([
    ['it', 'Europe/Rome', 'Dal 24 novembre 2026, 06:00 CET'],
    ['en', 'UTC', 'Since 24 November 2026, 05:00 UTC'],
  ] as const)('%s in %s', (locale, timeZone, expected) => {
    const alarm = renderCredentialAlarm({ appId: APP_ID, code: 'AADSTS7000222', at: NOW }, { locale, timeZone });
    expect(alarm.html).toContain(expected);
    expect(JSON.stringify(alarm.webhook.attachments)).toContain(expected);
  });
});
