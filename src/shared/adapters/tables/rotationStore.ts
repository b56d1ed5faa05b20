// RotationStore on Table storage. Partition per app: row `current` holds the rotation in progress; one
// history row per rotation (its latest state) sits in the same partition and is written in the same
// transaction, so history never disagrees with `current`. History row keys sort newest first.
import type { TableClient, TransactionAction } from '@azure/data-tables';
import {
  type RotationRecordBase,
  type RotationStore,
  StoreConflictError,
  type StoredRotation,
} from '#src/shared/ports/index.js';
import { statusCodeOf, toStoreError } from '../storeErrors.js';
import { readRow, stringProperty, tableKey, type Row, type TableAccess } from './tableAccess.js';

export const ROTATION_TABLE = 'keyrelayRotations';
const CURRENT_ROW = 'current';
const HISTORY_PREFIX = 'history-';
// Larger than any epoch millisecond count until the year 2286, so the inverted time stays positive.
const MAX_TIME_MS = 9_999_999_999_999;

export function createTableRotationStore<R extends RotationRecordBase>(
  tables: TableAccess,
  tableName = ROTATION_TABLE,
): RotationStore<R> {
  async function write(
    client: TableClient,
    record: R,
    current: TransactionAction,
    operation: string,
  ): Promise<StoredRotation<R>> {
    const partitionKey = tableKey(record.appId);
    const history = { ...toProperties(record), partitionKey, rowKey: historyRowKey(record) };
    try {
      const response = await client.submitTransaction([current, ['upsert', history, 'Replace']]);
      const etag = response.subResponses[0]?.etag;
      if (etag === undefined) throw new Error('transaction answer without an etag');
      return { record: structuredClone(record), etag };
    } catch (err) {
      const status = statusCodeOf(err);
      if (status === 404) throw new StoreConflictError(`${operation}: the rotation is gone`, 404, err);
      throw toStoreError(err, operation);
    }
  }

  return {
    async get(appId) {
      const client = await tables.table(tableName);
      const row = await readRow(client, tableKey(appId), CURRENT_ROW, 'read rotation');
      return row === undefined ? undefined : { record: fromRow<R>(row), etag: row.etag };
    },

    async create(record) {
      const client = await tables.table(tableName);
      const entity = { ...toProperties(record), partitionKey: tableKey(record.appId), rowKey: CURRENT_ROW };
      return write(client, record, ['create', entity], 'create rotation');
    },

    async update(record, etag) {
      const client = await tables.table(tableName);
      const entity = { ...toProperties(record), partitionKey: tableKey(record.appId), rowKey: CURRENT_ROW };
      return write(client, record, ['update', entity, 'Replace', { etag }], 'update rotation');
    },

    async close(appId, etag) {
      const client = await tables.table(tableName);
      try {
        await client.deleteEntity(tableKey(appId), CURRENT_ROW, { etag });
      } catch (err) {
        if (statusCodeOf(err) === 404) throw new StoreConflictError('close rotation: the rotation is gone', 404, err);
        throw toStoreError(err, 'close rotation');
      }
    },

    async listHistory(appId) {
      const client = await tables.table(tableName);
      const partitionKey = tableKey(appId);
      const records: R[] = [];
      try {
        const rows = client.listEntities<Record<string, unknown>>({
          queryOptions: {
            filter: `PartitionKey eq '${partitionKey}' and RowKey ge '${HISTORY_PREFIX}' and RowKey lt '${HISTORY_PREFIX}~'`,
          },
        });
        for await (const row of rows) records.push(fromRow<R>(row));
      } catch (err) {
        throw toStoreError(err, 'list rotation history');
      }
      return records;
    },
  };
}

function historyRowKey(record: RotationRecordBase): string {
  const invertedTime = String(MAX_TIME_MS - record.startedAt.getTime()).padStart(13, '0');
  return `${HISTORY_PREFIX}${invertedTime}-${tableKey(record.rotationId)}`;
}

function toProperties(record: RotationRecordBase): Record<string, unknown> {
  return {
    rotationId: record.rotationId,
    appId: record.appId,
    step: record.step,
    startedAt: record.startedAt,
    record: serialiseRecord(record),
  };
}

function fromRow<R extends RotationRecordBase>(row: Row): R {
  return deserialiseRecord(stringProperty(row.record, 'record')) as R;
}

// JSON with Dates tagged, so that a record's Date fields come back as Dates (the domain compares them).
const DATE_TAG = '$date';

function serialiseRecord(record: RotationRecordBase): string {
  return JSON.stringify(record, function (this: Record<string, unknown>, key: string, value: unknown) {
    const original = this[key];
    return original instanceof Date ? { [DATE_TAG]: original.toISOString() } : value;
  });
}

function deserialiseRecord(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => {
    if (typeof value === 'object' && value !== null && Object.keys(value).length === 1) {
      const tagged = (value as Record<string, unknown>)[DATE_TAG];
      if (typeof tagged === 'string') return new Date(tagged);
    }
    return value;
  });
}
