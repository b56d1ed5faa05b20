import { describe, expect, it } from 'vitest';
import { loggerFor } from '#src/shared/logger.js';
import { auditKeyFrom, createAuditTrail, mailboxAuditDigest } from '#src/shared/services/audit/auditTrail.js';

const COOKIE_KEY = Buffer.alloc(32, 7);

function recordingTrail(loadKey: () => Promise<Uint8Array>) {
  const lines: string[] = [];
  const sink = {
    info: (line: string) => lines.push(line),
    warn: (line: string) => lines.push(line),
    error: (line: string) => lines.push(line),
  };
  return { lines, trail: createAuditTrail(loadKey, loggerFor(sink)) };
}

describe('the audit trail', () => {
  it('writes one event with the keyed digest of the mailbox, the tenant, the resource and the outcome, never the address', async () => {
    const { lines, trail } = recordingTrail(() => Promise.resolve(COOKIE_KEY));
    trail.record({
      action: 'token',
      mailbox: 'mario@contoso.com',
      tenantId: 't-1',
      resource: 'smtp',
      outcome: 'issued',
    });
    await trail.flushed();
    const digest = mailboxAuditDigest(auditKeyFrom(COOKIE_KEY), 'mario@contoso.com');
    expect(lines).toEqual([`audit.token mailbox=${digest} tid=t-1 resource=smtp outcome=issued`]);
    expect(digest).toMatch(/^[0-9a-f]{32}$/);
  });

  it('gives one mailbox the same digest every time, and another key another digest', async () => {
    const { lines, trail } = recordingTrail(() => Promise.resolve(COOKIE_KEY));
    trail.record({ action: 'connect', mailbox: 'mario@contoso.com', outcome: 'connected' });
    trail.record({ action: 'disconnect', mailbox: 'mario@contoso.com', outcome: 'disconnected' });
    await trail.flushed();
    const digests = lines.map((line) => /mailbox=(\w+)/.exec(line)?.[1]);
    expect(digests[0]).toBe(digests[1]);
    expect(mailboxAuditDigest(auditKeyFrom(Buffer.alloc(32, 8)), 'mario@contoso.com')).not.toBe(digests[0]);
  });

  it('still writes the event when the key cannot be loaded, and says so', async () => {
    const { lines, trail } = recordingTrail(() => Promise.reject(new Error('vault down')));
    trail.record({ action: 'token', mailbox: 'mario@contoso.com', outcome: 'upstream_unavailable' });
    await trail.flushed();
    expect(lines).toEqual([
      'audit.key_unavailable reason=Error',
      'audit.token mailbox=unavailable outcome=upstream_unavailable',
    ]);
  });
});
