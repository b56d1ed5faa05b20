import { describe, expect, it } from 'vitest';
import {
  alertLedgerThreshold,
  credentialIds,
  type MonitoredCredential,
} from '#src/shared/domain/monitor/credentials.js';

const APP_ID = '11111111-2222-3333-4444-555555555555';
const EXPIRES_AT = new Date('2026-11-24T10:00:00Z');
const RENEWED_EXPIRES_AT = new Date('2027-11-24T10:00:00Z');

describe('alertLedgerThreshold', () => {
  it('keys a Key Vault secret or a mailbox grant by the threshold and the expiry day, so a renewal alerts again', () => {
    const secret: MonitoredCredential = {
      id: credentialIds.keyVaultSecret('partner-api-key'),
      kind: 'key-vault-secret',
      label: 'partner-api-key',
      expiresAt: EXPIRES_AT,
    };
    const grant: MonitoredCredential = {
      id: credentialIds.mailboxGrant('t.o'),
      kind: 'mailbox-grant',
      label: 'info@contoso.com',
      expiresAt: EXPIRES_AT,
    };
    for (const credential of [secret, grant]) {
      expect(alertLedgerThreshold(credential, 14)).toBe('14@2026-11-24');
      expect(alertLedgerThreshold(credential, 'expired')).toBe('expired@2026-11-24');
      expect(alertLedgerThreshold({ ...credential, expiresAt: RENEWED_EXPIRES_AT }, 14)).toBe('14@2027-11-24');
    }
  });

  it('keys an app password or certificate by the threshold alone: its id already names one credential', () => {
    const password: MonitoredCredential = {
      id: credentialIds.appPassword(APP_ID, 'k1'),
      kind: 'client-secret',
      label: 'ActNow',
      appId: APP_ID,
      keyId: 'k1',
      expiresAt: EXPIRES_AT,
    };
    const certificate: MonitoredCredential = {
      ...password,
      id: credentialIds.appCertificate(APP_ID, 'c1'),
      kind: 'certificate',
      keyId: 'c1',
    };
    expect(alertLedgerThreshold(password, 30)).toBe('30');
    expect(alertLedgerThreshold(certificate, 'expired')).toBe('expired');
  });

  it('keys the client secret seen only through an untagged Key Vault copy by its expiry day too', () => {
    const fallback: MonitoredCredential = {
      id: credentialIds.keyVaultSecret('oauth-client-secret'),
      kind: 'client-secret',
      label: 'oauth-client-secret',
      appId: APP_ID,
      expiresAt: EXPIRES_AT,
      inUse: true,
    };
    expect(alertLedgerThreshold(fallback, 7)).toBe('7@2026-11-24');
  });
});
