// MailboxRegistry on Table storage: one row per mailbox, keyed by the digest of the lowercase upn.
import type { MailboxRecord, MailboxRegistry, MailboxStatus } from '../../ports.js';
import { toStoreError } from '../storeErrors.js';
import {
  dateProperty,
  optionalDateProperty,
  optionalStringProperty,
  readModifyWrite,
  readRow,
  stringProperty,
  tableKey,
  type Row,
  type TableAccess,
  listRows,
} from './tableAccess.js';

export const MAILBOX_TABLE = 'keyrelayMailboxes';
const PARTITION = 'mailbox';

export function normaliseUpn(upn: string): string {
  return upn.trim().toLowerCase();
}

export function createTableMailboxRegistry(tables: TableAccess, tableName = MAILBOX_TABLE): MailboxRegistry {
  async function update(upn: string, operation: string, change: (record: MailboxRecord) => MailboxRecord | undefined) {
    const client = await tables.table(tableName);
    const row = await readModifyWrite(client, PARTITION, tableKey(normaliseUpn(upn)), operation, (current) => {
      const changed = change(fromRow(current));
      return changed === undefined ? undefined : toProperties(changed);
    });
    return row === undefined ? undefined : fromRow(row);
  }

  return {
    async get(upn) {
      const client = await tables.table(tableName);
      const row = await readRow(client, PARTITION, tableKey(normaliseUpn(upn)), 'read mailbox');
      return row === undefined ? undefined : fromRow(row);
    },

    async list() {
      return listRows(await tables.table(tableName), 'list mailboxes', fromRow);
    },

    async upsert(record) {
      const client = await tables.table(tableName);
      const stored = { ...record, upn: normaliseUpn(record.upn) };
      const entity = { ...toProperties(stored), partitionKey: PARTITION, rowKey: tableKey(stored.upn) };
      try {
        const written = await client.upsertEntity(entity, 'Replace');
        return fromRow({ ...entity, etag: written.etag ?? '' });
      } catch (err) {
        throw toStoreError(err, 'write mailbox');
      }
    },

    markReconnectRequired(upn, errorCode, at) {
      return update(upn, 'mark mailbox reconnect_required', (record) => ({
        ...record,
        status: 'reconnect_required',
        lastErrorCode: errorCode,
        lastErrorAt: at,
      }));
    },

    recordRefresh(upn, at) {
      return update(upn, 'record mailbox refresh', (record) =>
        record.lastRefreshAt.getTime() >= at.getTime() ? undefined : { ...record, lastRefreshAt: at },
      );
    },

    recordCacheWriteFailure(upn, code, at) {
      return update(upn, 'record mailbox cache write failure', (record) => ({
        ...record,
        cacheWriteFailure: { code, at },
      }));
    },
  };
}

function toProperties(record: MailboxRecord): Record<string, unknown> {
  return {
    upn: record.upn,
    tenantId: record.tenantId,
    objectId: record.objectId,
    cacheSecretName: record.cacheSecretName,
    connectedAt: record.connectedAt,
    lastRefreshAt: record.lastRefreshAt,
    status: record.status,
    ...(record.lastErrorCode !== undefined && { lastErrorCode: record.lastErrorCode }),
    ...(record.lastErrorAt !== undefined && { lastErrorAt: record.lastErrorAt }),
    ...(record.cacheWriteFailure !== undefined && {
      cacheWriteFailureCode: record.cacheWriteFailure.code,
      cacheWriteFailedAt: record.cacheWriteFailure.at,
    }),
    ...(record.smtpAuth !== undefined && {
      smtpAuth: record.smtpAuth.state,
      smtpAuthCheckedAt: record.smtpAuth.checkedAt,
      ...(record.smtpAuth.code !== undefined && { smtpAuthCode: record.smtpAuth.code }),
    }),
  };
}

function fromRow(row: Row): MailboxRecord {
  const status = stringProperty(row.status, 'status');
  if (status !== 'ok' && status !== 'reconnect_required') throw new Error(`mailbox row has unknown status ${status}`);
  const lastErrorCode = optionalStringProperty(row.lastErrorCode);
  const lastErrorAt = optionalDateProperty(row.lastErrorAt, 'lastErrorAt');
  const failureCode = optionalStringProperty(row.cacheWriteFailureCode);
  const failedAt = optionalDateProperty(row.cacheWriteFailedAt, 'cacheWriteFailedAt');
  const smtpAuth = optionalStringProperty(row.smtpAuth);
  const smtpAuthCode = optionalStringProperty(row.smtpAuthCode);
  const smtpAuthCheckedAt = optionalDateProperty(row.smtpAuthCheckedAt, 'smtpAuthCheckedAt');
  return {
    upn: stringProperty(row.upn, 'upn'),
    tenantId: stringProperty(row.tenantId, 'tenantId'),
    objectId: stringProperty(row.objectId, 'objectId'),
    cacheSecretName: stringProperty(row.cacheSecretName, 'cacheSecretName'),
    connectedAt: dateProperty(row.connectedAt, 'connectedAt'),
    lastRefreshAt: dateProperty(row.lastRefreshAt, 'lastRefreshAt'),
    status: status satisfies MailboxStatus,
    ...(lastErrorCode !== undefined && { lastErrorCode }),
    ...(lastErrorAt !== undefined && { lastErrorAt }),
    ...(failureCode !== undefined &&
      failedAt !== undefined && { cacheWriteFailure: { code: failureCode, at: failedAt } }),
    // An unknown state (a newer version wrote it) reads as not checked rather than a broken row.
    ...((smtpAuth === 'ok' || smtpAuth === 'disabled' || smtpAuth === 'unknown') &&
      smtpAuthCheckedAt !== undefined && { smtpAuth: { state: smtpAuth, checkedAt: smtpAuthCheckedAt, ...(smtpAuthCode !== undefined && { code: smtpAuthCode }) } }),
    etag: row.etag,
  };
}
