// AlertLedger in memory, with the Table adapter's rules: ETag-guarded claims, a lease after which a
// pending claim may be taken over, release making an entry claimable at once.
import {
  ALERT_CLAIM_LEASE_MS,
  type AlertClaim,
  type AlertLedger,
  type AlertLedgerEntry,
  StoreConflictError,
} from '#src/shared/ports/index.js';
import { EtagTable, READ_MODIFY_WRITE_ATTEMPTS, readModifyWrite } from './etagTable.js';

export class InMemoryAlertLedger implements AlertLedger {
  private readonly rows = new EtagTable<AlertLedgerEntry>();

  constructor(private readonly leaseMs: number = ALERT_CLAIM_LEASE_MS) {}

  async claim(credentialId: string, threshold: string, runId: string, now: Date): Promise<AlertClaim> {
    const key = keyOf(credentialId, threshold);
    for (let attempt = 0; attempt < READ_MODIFY_WRITE_ATTEMPTS; attempt += 1) {
      const row = await this.rows.get(key);
      try {
        if (row === undefined) {
          await this.rows.create(key, {
            credentialId,
            threshold,
            state: 'pending',
            runId,
            claimedAt: now,
            attempts: 1,
          });
          return 'claimed';
        }
        const current = row.value;
        if (current.state === 'sent') return 'already-sent';
        if (current.state === 'pending' && current.runId === runId) return 'claimed';
        if (current.state === 'pending' && now.getTime() - current.claimedAt.getTime() < this.leaseMs)
          return 'pending-by-other';
        await this.rows.replace(
          key,
          { credentialId, threshold, state: 'pending', runId, claimedAt: now, attempts: current.attempts + 1 },
          row.etag,
        );
        return 'claimed';
      } catch (err) {
        if (err instanceof StoreConflictError) continue;
        throw err;
      }
    }
    throw new StoreConflictError('claim alert: still conflicting', 412);
  }

  async markSent(credentialId: string, threshold: string, runId: string, now: Date): Promise<void> {
    const key = keyOf(credentialId, threshold);
    for (let attempt = 0; attempt < READ_MODIFY_WRITE_ATTEMPTS; attempt += 1) {
      const updated = await readModifyWrite<AlertLedgerEntry>(this.rows, key, (entry) =>
        entry.state === 'sent' ? undefined : { ...entry, state: 'sent', runId, sentAt: now },
      );
      if (updated !== undefined) return;
      try {
        await this.rows.create(key, {
          credentialId,
          threshold,
          state: 'sent',
          runId,
          claimedAt: now,
          sentAt: now,
          attempts: 1,
        });
        return;
      } catch (err) {
        if (!(err instanceof StoreConflictError)) throw err;
      }
    }
    throw new StoreConflictError('record alert sent: still conflicting', 409);
  }

  async release(credentialId: string, threshold: string, runId: string): Promise<void> {
    await readModifyWrite<AlertLedgerEntry>(this.rows, keyOf(credentialId, threshold), (entry) =>
      entry.state === 'pending' && entry.runId === runId ? { ...entry, state: 'released' } : undefined,
    );
  }

  list(): Promise<AlertLedgerEntry[]> {
    return this.rows.values();
  }

  async forget(credentialId: string): Promise<number> {
    let removed = 0;
    for (const row of await this.rows.entries()) {
      if (row.value.credentialId !== credentialId) continue;
      await this.rows.delete(keyOf(credentialId, row.value.threshold), row.etag);
      removed += 1;
    }
    return removed;
  }
}

function keyOf(credentialId: string, threshold: string): string {
  return JSON.stringify([credentialId, threshold]);
}
