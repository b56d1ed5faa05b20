// AlertLedger on Table storage: one row per credential × threshold. Every transition is an ETag-guarded
// create or replace, so two monitor runs racing for one alert cannot both win.
import { odata } from '@azure/data-tables';
import {
  ALERT_CLAIM_LEASE_MS,
  type AlertClaim,
  type AlertLedger,
  type AlertLedgerEntry,
  StoreConflictError,
} from '#src/shared/ports/index.js';
import { statusCodeOf, toStoreError } from '../storeErrors.js';
import {
  dateProperty,
  optionalDateProperty,
  readModifyWrite,
  readRow,
  stringProperty,
  tableKey,
  type Row,
  type TableAccess,
  listRows,
} from './tableAccess.js';

export const ALERT_TABLE = 'keyrelayAlerts';
const CLAIM_ATTEMPTS = 8;

export interface TableAlertLedgerOptions {
  tableName?: string;
  leaseMs?: number;
}

export function createTableAlertLedger(tables: TableAccess, options: TableAlertLedgerOptions = {}): AlertLedger {
  const tableName = options.tableName ?? ALERT_TABLE;
  const leaseMs = options.leaseMs ?? ALERT_CLAIM_LEASE_MS;
  // Partition per credential: a credential's thresholds sit together; keys are digests (tableKey).
  const keysOf = (credentialId: string, threshold: string) => [tableKey(credentialId), tableKey(threshold)] as const;

  return {
    async claim(credentialId, threshold, runId, now) {
      const client = await tables.table(tableName);
      const [partitionKey, rowKey] = keysOf(credentialId, threshold);
      for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt += 1) {
        const row = await readRow(client, partitionKey, rowKey, 'read alert');
        const pending = (attempts: number): AlertLedgerEntry => ({
          credentialId,
          threshold,
          state: 'pending',
          runId,
          claimedAt: now,
          attempts,
        });
        if (row === undefined) {
          const entry = pending(1);
          try {
            await client.createEntity({ ...toProperties(entry), partitionKey, rowKey });
            return 'claimed';
          } catch (err) {
            if (statusCodeOf(err) === 409) continue;
            throw toStoreError(err, 'claim alert');
          }
        }
        const current = fromRow(row);
        const decision = decideClaim(current, runId, now, leaseMs);
        if (decision !== 'take') return decision;
        const entry = pending(current.attempts + 1);
        try {
          await client.updateEntity({ ...toProperties(entry), partitionKey, rowKey }, 'Replace', { etag: row.etag });
          return 'claimed';
        } catch (err) {
          const status = statusCodeOf(err);
          if (status === 412 || status === 404) continue;
          throw toStoreError(err, 'claim alert');
        }
      }
      throw new StoreConflictError(`claim alert: still conflicting after ${CLAIM_ATTEMPTS} attempts`, 412);
    },

    async markSent(credentialId, threshold, runId, now) {
      const client = await tables.table(tableName);
      const [partitionKey, rowKey] = keysOf(credentialId, threshold);
      for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt += 1) {
        const updated = await readModifyWrite(client, partitionKey, rowKey, 'record alert sent', (row) => {
          const current = fromRow(row);
          return current.state === 'sent' ? undefined : toProperties({ ...current, state: 'sent', runId, sentAt: now });
        });
        if (updated !== undefined) return;
        // No claim on record (e.g. the row was written by hand away): the send still happened.
        const entry: AlertLedgerEntry = {
          credentialId,
          threshold,
          state: 'sent',
          runId,
          claimedAt: now,
          sentAt: now,
          attempts: 1,
        };
        try {
          await client.createEntity({ ...toProperties(entry), partitionKey, rowKey });
          return;
        } catch (err) {
          if (statusCodeOf(err) !== 409) throw toStoreError(err, 'record alert sent');
        }
      }
      throw new StoreConflictError(`record alert sent: still conflicting after ${CLAIM_ATTEMPTS} attempts`, 409);
    },

    async release(credentialId, threshold, runId) {
      const client = await tables.table(tableName);
      const [partitionKey, rowKey] = keysOf(credentialId, threshold);
      await readModifyWrite(client, partitionKey, rowKey, 'release alert', (row) => {
        const current = fromRow(row);
        return current.state === 'pending' && current.runId === runId
          ? toProperties({ ...current, state: 'released' })
          : undefined;
      });
    },

    async list() {
      return listRows(await tables.table(tableName), 'list alerts', fromRow);
    },

    async forget(credentialId) {
      const client = await tables.table(tableName);
      const partitionKey = tableKey(credentialId);
      let removed = 0;
      try {
        const rows = client.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey}` } });
        for await (const row of rows) {
          await client.deleteEntity(partitionKey, row.rowKey ?? '');
          removed += 1;
        }
      } catch (err) {
        if (statusCodeOf(err) !== 404) throw toStoreError(err, 'forget alerts');
      }
      return removed;
    },
  };
}

/** The claim rule: 'take' means the caller may write its claim over `current`. */
function decideClaim(current: AlertLedgerEntry, runId: string, now: Date, leaseMs: number): AlertClaim | 'take' {
  if (current.state === 'sent') return 'already-sent';
  if (current.state === 'released') return 'take';
  if (current.runId === runId) return 'claimed';
  return now.getTime() - current.claimedAt.getTime() >= leaseMs ? 'take' : 'pending-by-other';
}

function toProperties(entry: AlertLedgerEntry): Record<string, unknown> {
  return {
    credentialId: entry.credentialId,
    threshold: entry.threshold,
    state: entry.state,
    runId: entry.runId,
    claimedAt: entry.claimedAt,
    attempts: entry.attempts,
    ...(entry.sentAt !== undefined && { sentAt: entry.sentAt }),
  };
}

function fromRow(row: Row): AlertLedgerEntry {
  const state = stringProperty(row.state, 'state');
  if (state !== 'pending' && state !== 'sent' && state !== 'released')
    throw new Error(`alert row has unknown state ${state}`);
  const sentAt = optionalDateProperty(row.sentAt, 'sentAt');
  return {
    credentialId: stringProperty(row.credentialId, 'credentialId'),
    threshold: stringProperty(row.threshold, 'threshold'),
    state,
    runId: stringProperty(row.runId, 'runId'),
    claimedAt: dateProperty(row.claimedAt, 'claimedAt'),
    attempts: typeof row.attempts === 'number' ? row.attempts : 1,
    ...(sentAt !== undefined && { sentAt }),
  };
}
