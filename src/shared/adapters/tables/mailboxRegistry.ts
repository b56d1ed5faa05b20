// MailboxRegistry on Table storage (DESIGN §5): one row per identity (partition `identity`, key = digest
// of tid.oid) and one alias row per address (partition `address`, key = digest of the canonical address)
// naming the identity that holds it, so that an address is bound to one identity at a time. Rows of the
// first version (partition `mailbox`, keyed by the upn alone) are moved to this layout the first time
// their address is read or bound, and listed as they are until then.
import type { TableClient } from '@azure/data-tables';
import { MailboxTakenError } from '#src/shared/errors.js';
import {
  type MailboxListing,
  type MailboxRecord,
  type MailboxRegistry,
  type MailboxStatus,
  StoreConflictError,
  StoreRequestError,
} from '#src/shared/ports/index.js';
import { statusCodeOf, toStoreError } from '../storeErrors.js';
import {
  dateProperty,
  listRows,
  optionalDateProperty,
  optionalStringProperty,
  readModifyWrite,
  readRow,
  stringProperty,
  tableKey,
  type Row,
  type TableAccess,
} from './tableAccess.js';

export const MAILBOX_TABLE = 'keyrelayMailboxes';
const IDENTITY = 'identity';
const ADDRESS = 'address';
/** Version 1 rows: keyed by the digest of the lowercase upn. */
const LEGACY = 'mailbox';
const BIND_ATTEMPTS = 8;

export function normaliseUpn(upn: string): string {
  return upn.normalize('NFKC').trim().toLowerCase();
}

export function identityKey(tenantId: string, objectId: string): string {
  return tableKey(`${tenantId.toLowerCase()}.${objectId.toLowerCase()}`);
}

const addressKey = (upn: string) => tableKey(normaliseUpn(upn));

export function createTableMailboxRegistry(tables: TableAccess, tableName = MAILBOX_TABLE): MailboxRegistry {
  const table = () => tables.table(tableName);

  /** The identity row key the address points at (moving a version-1 row first), or undefined. */
  async function resolve(client: TableClient, upn: string): Promise<string | undefined> {
    const alias = await readRow(client, ADDRESS, addressKey(upn), 'read mailbox address');
    if (alias !== undefined) return aliasTarget(alias);
    return migrateLegacy(client, upn);
  }

  async function migrateLegacy(client: TableClient, upn: string): Promise<string | undefined> {
    const legacy = await readRow(client, LEGACY, addressKey(upn), 'read mailbox (version 1)');
    if (legacy === undefined) return undefined;
    let record: MailboxRecord;
    try {
      record = fromRow(legacy);
    } catch {
      return undefined; // Unreadable: left in place, counted by scan().
    }
    const key = identityKey(record.tenantId, record.objectId);
    const created = await createIfAbsent(client, { ...toProperties(record), partitionKey: IDENTITY, rowKey: key });
    const holder = created ? record : fromRow((await readRow(client, IDENTITY, key, 'read mailbox')) ?? legacy);
    if (normaliseUpn(holder.upn) === normaliseUpn(upn)) {
      await createIfAbsent(client, aliasEntity(upn, record.tenantId, record.objectId));
    }
    await deleteRow(client, LEGACY, legacy.rowKey ?? addressKey(upn), legacy.etag, 'remove mailbox (version 1)');
    return key;
  }

  /** Binds the address to the identity; MailboxTakenError when another identity's row holds it. */
  async function claimAddress(client: TableClient, upn: string, tenantId: string, objectId: string): Promise<void> {
    const wanted = identityKey(tenantId, objectId);
    // A version-1 row holding the address is moved first, so that it binds the address like any other.
    await resolve(client, upn);
    for (let attempt = 0; attempt < BIND_ATTEMPTS; attempt += 1) {
      const alias = await readRow(client, ADDRESS, addressKey(upn), 'read mailbox address');
      if (alias === undefined) {
        if (await createIfAbsent(client, aliasEntity(upn, tenantId, objectId))) return;
        continue;
      }
      const holderKey = aliasTarget(alias);
      if (holderKey === wanted) return;
      const holder = await readRow(client, IDENTITY, holderKey, 'read mailbox');
      if (holder !== undefined && normaliseUpn(String(holder.upn)) === normaliseUpn(upn)) throw new MailboxTakenError();
      // A dangling alias (its identity was removed or renamed half-way): take it over.
      try {
        await client.updateEntity(aliasEntity(upn, tenantId, objectId), 'Replace', { etag: alias.etag });
        return;
      } catch (err) {
        const status = statusCodeOf(err);
        if (status !== 412 && status !== 404) throw toStoreError(err, 'bind mailbox address');
      }
    }
    throw new StoreConflictError(`bind mailbox address: still conflicting after ${BIND_ATTEMPTS} attempts`, 412);
  }

  /** Removes the address's alias when it still names the identity. */
  async function releaseAddress(client: TableClient, upn: string, key: string): Promise<void> {
    const alias = await readRow(client, ADDRESS, addressKey(upn), 'read mailbox address');
    if (alias !== undefined && aliasTarget(alias) === key) {
      await deleteRow(client, ADDRESS, addressKey(upn), alias.etag, 'release mailbox address');
    }
  }

  async function readByAddress(client: TableClient, upn: string): Promise<Row | undefined> {
    const key = await resolve(client, upn);
    if (key === undefined) return undefined;
    const row = await readRow(client, IDENTITY, key, 'read mailbox');
    // The identity moved to another address since: this one is no longer bound.
    return row !== undefined && normaliseUpn(String(row.upn)) === normaliseUpn(upn) ? row : undefined;
  }

  async function update(upn: string, operation: string, change: (record: MailboxRecord) => MailboxRecord | undefined) {
    const client = await table();
    const key = await resolve(client, upn);
    if (key === undefined) return undefined;
    const row = await readModifyWrite(client, IDENTITY, key, operation, (current) => {
      const record = fromRow(current);
      if (normaliseUpn(record.upn) !== normaliseUpn(upn)) return undefined;
      const changed = change(record);
      return changed === undefined ? undefined : toProperties(changed);
    });
    if (row === undefined) return undefined;
    const record = fromRow(row);
    return normaliseUpn(record.upn) === normaliseUpn(upn) ? record : undefined;
  }

  async function scan(): Promise<MailboxListing> {
    const client = await table();
    let rows: Row[];
    try {
      rows = await listRows(client, 'list mailboxes', (row) => row);
    } catch (error) {
      // The table was deleted under this instance (storage loss, DESIGN §5): recreate it; it lists empty,
      // so that the registry can be rebuilt from Key Vault instead of staying unreadable.
      if (!(error instanceof StoreRequestError && error.statusCode === 404)) throw error;
      try {
        await client.createTable();
      } catch (createError) {
        if (statusCodeOf(createError) !== 409) throw toStoreError(createError, 'recreate mailbox table');
      }
      return { records: [], unreadableRows: 0 };
    }
    const records: MailboxRecord[] = [];
    const identities = new Set<string>();
    let unreadableRows = 0;
    for (const row of rows.filter((candidate) => candidate.partitionKey === IDENTITY)) {
      try {
        const record = fromRow(row);
        identities.add(identityKey(record.tenantId, record.objectId));
        records.push(record);
      } catch {
        unreadableRows += 1;
      }
    }
    for (const row of rows.filter((candidate) => candidate.partitionKey === LEGACY)) {
      try {
        const record = fromRow(row);
        if (!identities.has(identityKey(record.tenantId, record.objectId))) records.push(record);
      } catch {
        unreadableRows += 1;
      }
    }
    return { records, unreadableRows };
  }

  return {
    async get(upn) {
      const row = await readByAddress(await table(), upn);
      return row === undefined ? undefined : fromRow(row);
    },

    async getByIdentity(tenantId, objectId) {
      const row = await readRow(await table(), IDENTITY, identityKey(tenantId, objectId), 'read mailbox');
      return row === undefined ? undefined : fromRow(row);
    },

    async list() {
      return (await scan()).records;
    },

    scan,

    async upsert(record) {
      const client = await table();
      const stored = { ...record, upn: normaliseUpn(record.upn) };
      const key = identityKey(record.tenantId, record.objectId);
      const previous = await readRow(client, IDENTITY, key, 'read mailbox');
      await claimAddress(client, stored.upn, record.tenantId, record.objectId);
      const entity = { ...toProperties(stored), partitionKey: IDENTITY, rowKey: key };
      let etag: string;
      try {
        etag = (await client.upsertEntity(entity, 'Replace')).etag ?? '';
      } catch (err) {
        throw toStoreError(err, 'write mailbox');
      }
      const previousUpn = previous === undefined ? undefined : optionalStringProperty(previous.upn);
      if (previousUpn !== undefined && normaliseUpn(previousUpn) !== stored.upn)
        await releaseAddress(client, previousUpn, key);
      return fromRow({ ...entity, etag });
    },

    async remove(upn) {
      const client = await table();
      const row = await readByAddress(client, upn);
      if (row === undefined) return undefined;
      const record = fromRow(row);
      const key = identityKey(record.tenantId, record.objectId);
      await deleteRow(client, IDENTITY, key, row.etag, 'remove mailbox');
      await releaseAddress(client, upn, key);
      return record;
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

function aliasEntity(upn: string, tenantId: string, objectId: string) {
  return { partitionKey: ADDRESS, rowKey: addressKey(upn), upn: normaliseUpn(upn), tenantId, objectId };
}

function aliasTarget(alias: Row): string {
  return identityKey(stringProperty(alias.tenantId, 'tenantId'), stringProperty(alias.objectId, 'objectId'));
}

/** true when created, false when a row of that key exists already. */
async function createIfAbsent(client: TableClient, entity: { partitionKey: string; rowKey: string }): Promise<boolean> {
  try {
    await client.createEntity(entity);
    return true;
  } catch (err) {
    if (statusCodeOf(err) === 409) return false;
    throw toStoreError(err, 'create mailbox row');
  }
}

/** Deletes when the ETag still matches; a row already gone or changed meanwhile is left to its writer. */
async function deleteRow(client: TableClient, partitionKey: string, rowKey: string, etag: string, operation: string) {
  try {
    await client.deleteEntity(partitionKey, rowKey, { etag });
  } catch (err) {
    const status = statusCodeOf(err);
    if (status !== 404 && status !== 412) throw toStoreError(err, operation);
  }
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
    ...(record.ref !== undefined && { ref: record.ref }),
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
  const ref = optionalStringProperty(row.ref);
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
    ...(ref !== undefined && { ref }),
    // An unknown state (a newer version wrote it) reads as not checked rather than a broken row.
    ...((smtpAuth === 'ok' || smtpAuth === 'disabled' || smtpAuth === 'unknown') &&
      smtpAuthCheckedAt !== undefined && {
        smtpAuth: {
          state: smtpAuth,
          checkedAt: smtpAuthCheckedAt,
          ...(smtpAuthCode !== undefined && { code: smtpAuthCode }),
        },
      }),
    etag: row.etag,
  };
}
