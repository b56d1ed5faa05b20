// The audit trail (STYLE.md, after oauth2-proxy: an auth audit log apart from the request log): one
// structured event per token hand-out, connect and disconnect, with the mailbox as a keyed digest (HMAC
// under a key derived from the Key Vault `cookie-key`), the tenant id, the resource and the outcome —
// never a token, a code or an address in clear. Recording never fails the request it describes: a key
// that cannot be loaded is logged as an error and the event is still written, without the digest.
import { createHmac, hkdfSync } from 'node:crypto';
import type { Logger } from '#src/shared/logger.js';

export type AuditAction = 'token' | 'connect' | 'disconnect';

export interface AuditEvent {
  action: AuditAction;
  /** The canonical address; only its keyed digest is written. */
  mailbox: string;
  tenantId?: string;
  resource?: string;
  /** `issued`, `connected`, `disconnected`, or the refusal's stable code. */
  outcome: string;
}

export interface AuditTrail {
  record(event: AuditEvent): void;
  /** Resolves once every event recorded so far is written (tests, shutdown). */
  flushed(): Promise<void>;
}

const DIGEST_HEX_CHARS = 32;
const HKDF_INFO = 'keyrelay/audit-mailbox-digest/v1';

/** The audit key is derived, not stored: one Key Vault secret (cookie-key) serves both purposes apart. */
export function auditKeyFrom(cookieKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', cookieKey, Buffer.alloc(0), HKDF_INFO, 32));
}

export function mailboxAuditDigest(key: Uint8Array, mailbox: string): string {
  return createHmac('sha256', key).update(mailbox, 'utf8').digest('hex').slice(0, DIGEST_HEX_CHARS);
}

export function createAuditTrail(loadCookieKey: () => Promise<Uint8Array>, logger: Logger): AuditTrail {
  let key: Promise<Buffer> | undefined;
  /** Digests already computed: the warm token path records without hashing again. */
  const digests = new Map<string, string>();
  let pending: Promise<void> = Promise.resolve();

  function auditKey(): Promise<Buffer> {
    if (key === undefined) {
      const loading = loadCookieKey().then(auditKeyFrom);
      key = loading;
      loading.catch(() => {
        if (key === loading) key = undefined;
      });
    }
    return key;
  }

  function write(event: AuditEvent, mailbox: string): void {
    logger.info(`audit.${event.action}`, {
      mailbox,
      tid: event.tenantId,
      resource: event.resource,
      outcome: event.outcome,
    });
  }

  return {
    record(event) {
      const known = digests.get(event.mailbox);
      if (known !== undefined) {
        write(event, known);
        return;
      }
      pending = pending.then(async () => {
        try {
          const digest = mailboxAuditDigest(await auditKey(), event.mailbox);
          if (digests.size < 10_000) digests.set(event.mailbox, digest);
          write(event, digest);
        } catch (error) {
          logger.error('audit.key_unavailable', { reason: error instanceof Error ? error.name : 'unknown' });
          write(event, 'unavailable');
        }
      });
    },
    flushed: () => pending,
  };
}
