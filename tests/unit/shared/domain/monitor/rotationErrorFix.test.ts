import { describe, expect, it } from 'vitest';
import { renderDigest, type DigestInput } from '#src/shared/domain/monitor/digest.js';
import { rotationErrorFix } from '#src/shared/domain/monitor/rotationErrorFix.js';

describe('rotationErrorFix', () => {
  it.each([
    ['graph_403', 'Application.ReadWrite.OwnedBy', 'Application.ReadWrite.OwnedBy'],
    ['keyvault_403', 'Key Vault Secrets Officer', 'Key Vault Secrets Officer'],
    ['graph_503', 'riprova alla prossima esecuzione', 'retries on the next run'],
    ['keyvault_429', 'riprova alla prossima esecuzione', 'retries on the next run'],
    ['graph_no_answer', 'riprova alla prossima esecuzione', 'retries on the next run'],
    ['table_503', 'AzureWebJobsStorage', 'AzureWebJobsStorage'],
    ['verify_AADSTS7000215', 'non accetta ancora', 'does not accept the new secret yet'],
    ['remove_refused_in_use', 'non la rimuove', 'will not remove it'],
    ['stuck_stored', 'npm run doctor', 'npm run doctor'],
  ])('%s has a one-line fix in Italian and English', (code, italian, english) => {
    expect(rotationErrorFix(code, 'it')).toContain(italian);
    expect(rotationErrorFix(code, 'en')).toContain(english);
  });

  it('the digest names a failing step with its code and its fix', () => {
    const input: DigestInput = {
      app: { appId: 'app-1', tenantId: 'tenant-1', displayName: 'ActNow' },
      timeZone: 'Europe/Rome',
      items: [
        {
          credential: {
            id: 'app:app-1:password:k1',
            kind: 'client-secret',
            label: 'ActNow',
            expiresAt: new Date('2027-01-01T00:00:00Z'),
            appId: 'app-1',
            keyId: 'k1',
            inUse: true,
          },
          daysLeft: 20,
          state: 'expiring',
          expiresAt: new Date('2027-01-01T00:00:00Z'),
          action: { kind: 'rotation-failed', reason: 'step_failed', errorCode: 'keyvault_403' },
        },
      ],
      reconnects: [],
      rotationHistory: [],
    };
    const { text } = renderDigest(input, 'en');
    expect(text).toContain(
      "a renewal step failed (error code `keyvault_403`): give keyrelay's identity the `Key Vault Secrets Officer` role on the vault.",
    );
    expect(text).not.toContain('will renew it automatically');
  });
});
