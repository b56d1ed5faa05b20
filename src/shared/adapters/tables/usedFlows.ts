// UsedFlows on Table storage: one row per sign-in flow that reached the callback, created before the
// code is redeemed, so that a second callback for the same flow finds it (409) and is refused without a
// redemption. Rows outlive their flow's cookie by nothing: each new mark removes a few expired ones.
import { odata } from '@azure/data-tables';
import type { UsedFlows } from '#src/shared/ports/index.js';
import { statusCodeOf, toStoreError } from '../storeErrors.js';
import { tableKey, type TableAccess } from './tableAccess.js';

export const FLOW_TABLE = 'keyrelayFlows';
const PARTITION = 'flow';
/** Expired marks removed per new mark: more than flows start per mark, so the table stays small. */
const CLEANUP_BATCH = 20;

export function createTableUsedFlows(tables: TableAccess, tableName = FLOW_TABLE): UsedFlows {
  return {
    async markUsed(flowId, expiresAt, now) {
      const client = await tables.table(tableName);
      try {
        await client.createEntity({ partitionKey: PARTITION, rowKey: tableKey(flowId), expiresAt });
      } catch (err) {
        if (statusCodeOf(err) === 409) return false;
        throw toStoreError(err, 'mark sign-in flow used');
      }
      try {
        const expired = client
          .listEntities({ queryOptions: { filter: odata`PartitionKey eq ${PARTITION} and expiresAt lt ${now}` } })
          .byPage({ maxPageSize: CLEANUP_BATCH });
        const page = await expired.next();
        for (const row of page.done === true ? [] : page.value) {
          if (row.rowKey !== undefined) await client.deleteEntity(PARTITION, row.rowKey, { etag: row.etag });
        }
      } catch {
        // Housekeeping only: a mark that stays a little longer refuses nothing a live cookie could bring.
      }
      return true;
    },
  };
}
