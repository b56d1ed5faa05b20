// AttemptLimiter on Table storage: one row per bucket (partition = digest of the bucket) and fixed
// window (row key = window start), counted with ETag-guarded writes so that instances share the count.
// Opening a new window removes the bucket's older windows.
import { odata } from '@azure/data-tables';
import { type AttemptLimiter, StoreConflictError } from '#src/shared/ports/index.js';
import { statusCodeOf, toStoreError } from '../storeErrors.js';
import { readRow, tableKey, type TableAccess } from './tableAccess.js';

export const LIMIT_TABLE = 'keyrelayLimits';
const ATTEMPTS = 8;

export function createTableAttemptLimiter(tables: TableAccess, tableName = LIMIT_TABLE): AttemptLimiter {
  return {
    async take(bucket, limit, windowMs, now) {
      const client = await tables.table(tableName);
      const windowStart = Math.floor(now.getTime() / windowMs) * windowMs;
      const partitionKey = tableKey(bucket);
      const rowKey = String(windowStart).padStart(15, '0');
      const retryAfterSeconds = Math.max(1, Math.ceil((windowStart + windowMs - now.getTime()) / 1000));
      for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
        const row = await readRow(client, partitionKey, rowKey, 'read attempt counter');
        const count = typeof row?.count === 'number' ? row.count : 0;
        if (count >= limit) return { allowed: false, retryAfterSeconds };
        try {
          if (row === undefined) {
            await client.createEntity({ partitionKey, rowKey, count: 1 });
            await removeOlderWindows(rowKey);
          } else {
            await client.updateEntity({ partitionKey, rowKey, count: count + 1 }, 'Replace', { etag: row.etag });
          }
          return { allowed: true };
        } catch (err) {
          const status = statusCodeOf(err);
          if (status !== 409 && status !== 412 && status !== 404) throw toStoreError(err, 'count attempt');
        }
      }
      throw new StoreConflictError(`count attempt: still conflicting after ${ATTEMPTS} attempts`, 412);

      async function removeOlderWindows(current: string): Promise<void> {
        const filter = odata`PartitionKey eq ${partitionKey} and RowKey lt ${current}`;
        for await (const old of client.listEntities({ queryOptions: { filter } })) {
          await client.deleteEntity(partitionKey, old.rowKey ?? '').catch(() => undefined);
        }
      }
    },
  };
}
