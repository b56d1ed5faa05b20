import { describe, expect, it } from 'vitest';
import { credentialIds, type MailboxGrant, type MonitoredCredential } from '#src/shared/domain/monitor/credentials.js';
import {
  addDays,
  daysUntilExpiry,
  dueAlerts,
  evaluateExpiries,
  evaluateGrants,
  grantAsCredential,
  type DueThreshold,
  type ExpiryPolicy,
} from '#src/shared/domain/monitor/expiryPolicy.js';

const APP_ID = '11111111-2222-3333-4444-555555555555';
const THRESHOLDS = [60, 30, 14, 7, 3, 1, 0];
// Expiry mid-morning UTC; the monitor runs at 06:00 UTC, so the expiry day itself is a "0 days left" run.
const EXPIRES_AT = new Date('2026-11-24T10:00:00Z');

function secret(overrides: Partial<MonitoredCredential> = {}): MonitoredCredential {
  const keyId = overrides.keyId ?? 'old-key';
  return {
    id: credentialIds.appPassword(APP_ID, keyId),
    kind: 'client-secret',
    label: 'ActNow',
    appId: APP_ID,
    keyId,
    startsAt: new Date('2024-11-24T10:00:00Z'),
    expiresAt: EXPIRES_AT,
    inUse: true,
    ...overrides,
  };
}

function policy(now: Date, overrides: Partial<ExpiryPolicy> = {}): ExpiryPolicy {
  return { now, thresholdsDays: THRESHOLDS, rotationLeadDays: 30, rotationMode: 'alert-only', ...overrides };
}

function runAt(day: Date): Date {
  return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), 6));
}

describe('daysUntilExpiry', () => {
  it('counts whole UTC calendar days, whatever the time of day of the run', () => {
    expect(daysUntilExpiry(EXPIRES_AT, new Date('2026-11-23T00:00:00Z'))).toBe(1);
    expect(daysUntilExpiry(EXPIRES_AT, new Date('2026-11-23T23:59:59Z'))).toBe(1);
    expect(daysUntilExpiry(EXPIRES_AT, new Date('2026-11-24T09:00:00Z'))).toBe(0);
    expect(daysUntilExpiry(EXPIRES_AT, new Date('2026-11-26T06:00:00Z'))).toBe(-2);
    expect(daysUntilExpiry(EXPIRES_AT, new Date('2026-09-25T06:00:00Z'))).toBe(60);
  });
});

describe('evaluateExpiries', () => {
  it('walking day by day from 61 days before expiry to 2 days after yields one alert per threshold and one expired alert', () => {
    const credential = secret();
    const seen = new Map<string, number>();
    const sequence: DueThreshold[] = [];
    for (let offset = 61; offset >= -2; offset -= 1) {
      const now = runAt(addDays(EXPIRES_AT, -offset));
      for (const alert of dueAlerts(evaluateExpiries([credential], policy(now)))) {
        const key = `${alert.credentialId}|${String(alert.threshold)}`;
        if (!seen.has(key)) sequence.push(alert.threshold);
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
    }
    expect(sequence).toEqual([60, 30, 14, 7, 3, 1, 0, 'expired']);
    expect([...seen.keys()].every((key) => key.startsWith(`${credential.id}|`))).toBe(true);
  });

  it('owes only the smallest crossed threshold when runs were skipped', () => {
    const now = runAt(addDays(EXPIRES_AT, -10));
    const [evaluation] = evaluateExpiries([secret()], policy(now));
    expect(evaluation).toMatchObject({ status: 'expiring', daysLeft: 10, dueThreshold: 14 });
  });

  it('reports nothing due while more days are left than the largest threshold', () => {
    const [evaluation] = evaluateExpiries([secret()], policy(runAt(addDays(EXPIRES_AT, -61))));
    expect(evaluation).toMatchObject({ status: 'ok', daysLeft: 61 });
    expect(evaluation?.dueThreshold).toBeUndefined();
  });

  it('is expired from the expiry instant on, even on the expiry day itself', () => {
    const [before] = evaluateExpiries([secret()], policy(new Date('2026-11-24T09:59:59Z')));
    const [after] = evaluateExpiries([secret()], policy(new Date('2026-11-24T10:00:00Z')));
    expect(before).toMatchObject({ status: 'expiring', dueThreshold: 0, daysLeft: 0 });
    expect(after).toMatchObject({ status: 'expired', dueThreshold: 'expired', daysLeft: 0 });
  });

  it('raises nothing for an expiring secret once a newer valid secret of the same app is in use', () => {
    const now = runAt(addDays(EXPIRES_AT, -20));
    const renewed = secret({ keyId: 'new-key', startsAt: now, expiresAt: addDays(now, 730), inUse: true });
    const old = secret({ inUse: false });
    const evaluations = evaluateExpiries([old, renewed], policy(now));
    expect(evaluations[0]).toMatchObject({ status: 'superseded', supersededBy: renewed.id });
    expect(dueAlerts(evaluations)).toEqual([]);
  });

  it('keeps alerting for the secret in use even when an unused newer secret exists', () => {
    const now = runAt(addDays(EXPIRES_AT, -20));
    const unused = secret({ keyId: 'new-key', startsAt: now, expiresAt: addDays(now, 730), inUse: false });
    const [old] = evaluateExpiries([secret(), unused], policy(now));
    expect(old).toMatchObject({ status: 'expiring', dueThreshold: 30 });
  });

  it('a password whose use is unknown is never silenced by a newer one', () => {
    // A hand-stored secret keyrelay cannot match to a password, and an unrelated long-lived one made in the portal.
    const now = runAt(addDays(EXPIRES_AT, -10));
    const { inUse: _unknown, ...unknownUse } = secret();
    const unrelated = secret({ keyId: 'portal-test', startsAt: now, expiresAt: addDays(now, 400), inUse: false });
    const [evaluation] = evaluateExpiries([unknownUse, unrelated], policy(now));
    expect(evaluation).toMatchObject({ status: 'expiring', dueThreshold: 14 });
    expect(evaluation?.supersededBy).toBeUndefined();
  });

  it('does not count as superseding a sibling that itself expires within the thresholds, is not yet valid, or is another kind', () => {
    const now = runAt(addDays(EXPIRES_AT, -20));
    const old = secret({ inUse: false });
    const shortLived = secret({ keyId: 'short', expiresAt: addDays(now, 45) });
    const future = secret({ keyId: 'future', startsAt: addDays(now, 1), expiresAt: addDays(now, 730) });
    const certificate = secret({
      id: credentialIds.appCertificate(APP_ID, 'cert'),
      kind: 'certificate',
      keyId: 'cert',
      expiresAt: addDays(now, 730),
    });
    const [evaluation] = evaluateExpiries([old, shortLived, future, certificate], policy(now));
    expect(evaluation).toMatchObject({ status: 'expiring', dueThreshold: 30 });
  });

  it('stops alerting after supersession in a day-by-day walk that includes a renewal', () => {
    const old = secret({ inUse: true });
    const renewedOn = runAt(addDays(EXPIRES_AT, -10));
    const thresholds: DueThreshold[] = [];
    for (let offset = 61; offset >= -2; offset -= 1) {
      const now = runAt(addDays(EXPIRES_AT, -offset));
      const renewedYet = now.getTime() >= renewedOn.getTime();
      const credentials = renewedYet
        ? [
            { ...old, inUse: false },
            secret({ keyId: 'new-key', startsAt: renewedOn, expiresAt: addDays(renewedOn, 730), inUse: true }),
          ]
        : [old];
      for (const alert of dueAlerts(evaluateExpiries(credentials, policy(now)))) {
        if (!thresholds.includes(alert.threshold)) thresholds.push(alert.threshold);
      }
    }
    expect(thresholds).toEqual([60, 30, 14]);
  });

  it('lets a Key Vault secret that mirrors an app password stay silent while the app password alerts', () => {
    const now = runAt(addDays(EXPIRES_AT, -5));
    const mirror: MonitoredCredential = {
      id: credentialIds.keyVaultSecret('oauth-client-secret'),
      kind: 'key-vault-secret',
      label: 'oauth-client-secret',
      appId: APP_ID,
      keyId: 'old-key',
      expiresAt: EXPIRES_AT,
    };
    const withGraph = evaluateExpiries([secret(), mirror], policy(now));
    expect(dueAlerts(withGraph).map((alert) => alert.credentialId)).toEqual([secret().id]);
    // Graph answered 403: the Key Vault copy is all the monitor sees, and it alerts.
    const withoutGraph = evaluateExpiries([mirror], policy(now));
    expect(dueAlerts(withoutGraph)).toMatchObject([{ credentialId: mirror.id, threshold: 7 }]);
  });

  it('advises rotating the in-use client secret within the lead days in auto mode, and plans the date before', () => {
    const planned = evaluateExpiries([secret()], policy(runAt(addDays(EXPIRES_AT, -45)), { rotationMode: 'auto' }));
    expect(planned[0]?.rotation).toEqual({ kind: 'planned', on: new Date('2026-10-25T00:00:00Z') });
    const due = evaluateExpiries([secret()], policy(runAt(addDays(EXPIRES_AT, -30)), { rotationMode: 'auto' }));
    expect(due[0]?.rotation).toEqual({ kind: 'rotate-now' });
    const expired = evaluateExpiries([secret()], policy(runAt(addDays(EXPIRES_AT, 3)), { rotationMode: 'auto' }));
    expect(expired[0]?.rotation).toEqual({ kind: 'rotate-now' });
  });

  it('gives no rotation advice in alert-only mode, for unused secrets, or for other kinds', () => {
    const now = runAt(addDays(EXPIRES_AT, -10));
    expect(evaluateExpiries([secret()], policy(now))[0]?.rotation).toBeUndefined();
    expect(
      evaluateExpiries([secret({ inUse: false })], policy(now, { rotationMode: 'auto' }))[0]?.rotation,
    ).toBeUndefined();
    const certificate = secret({ kind: 'certificate' });
    expect(evaluateExpiries([certificate], policy(now, { rotationMode: 'auto' }))[0]?.rotation).toBeUndefined();
  });
});

describe('evaluateGrants', () => {
  const lastRefreshAt = new Date('2026-01-01T12:00:00Z');
  const grant: MailboxGrant = { mailboxId: 'm1', upn: 'info@contoso.com', tenantId: 't1', lastRefreshAt, status: 'ok' };

  it('asks for a keep-alive refresh once a grant has been idle for more than a week', () => {
    const [week] = evaluateGrants([grant], new Date('2026-01-08T06:00:00Z'));
    const [eightDays] = evaluateGrants([grant], new Date('2026-01-09T06:00:00Z'));
    expect(week).toMatchObject({
      idleDays: 7,
      needsKeepAlive: false,
      daysUntilInactivityExpiry: 83,
      reconnectRequired: false,
    });
    expect(eightDays).toMatchObject({ idleDays: 8, needsKeepAlive: true, daysUntilInactivityExpiry: 82 });
  });

  it('requires a reconnect for a revoked grant or one idle for 90 days, and no keep-alive for either', () => {
    const [revoked] = evaluateGrants(
      [{ ...grant, status: 'reconnect_required', lastErrorCode: 'invalid_grant:50173' }],
      new Date('2026-01-20T06:00:00Z'),
    );
    const [dead] = evaluateGrants([grant], new Date('2026-04-01T06:00:00Z'));
    expect(revoked).toMatchObject({ reconnectRequired: true, needsKeepAlive: false });
    expect(dead).toMatchObject({
      idleDays: 90,
      daysUntilInactivityExpiry: 0,
      reconnectRequired: true,
      needsKeepAlive: false,
    });
  });

  it('turns a grant into a credential that expires 90 days after its last refresh', () => {
    expect(grantAsCredential(grant)).toEqual({
      id: 'grant:m1',
      kind: 'mailbox-grant',
      label: 'info@contoso.com',
      expiresAt: new Date('2026-04-01T12:00:00Z'),
    });
  });
});
