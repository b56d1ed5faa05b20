// One place that builds TableClients from the storage setting and creates each table on first use.
import { StoreConflictError } from '#src/shared/ports/index.js';
import { createHash } from 'node:crypto';
import { TableClient, type TableEntityResult } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import { statusCodeOf, toStoreError } from '../storeErrors.js';

/** Structurally the `storage` field of Config (src/shared/config.ts). */
export type TableStorageSettings =
  { kind: 'connectionString'; connectionString: string } | { kind: 'identity'; tableServiceUri: string };

export interface TableAccess {
  /** The client for `tableName`; the table is created on the first call (once per instance). */
  table(tableName: string): Promise<TableClient>;
}

export function createTableAccess(storage: TableStorageSettings, credential?: TokenCredential): TableAccess {
  const ready = new Map<string, Promise<TableClient>>();

  function build(tableName: string): TableClient {
    if (storage.kind === 'identity') {
      if (credential === undefined) throw new Error('identity-based table storage needs a TokenCredential');
      return new TableClient(storage.tableServiceUri, tableName, credential, {
        allowInsecureConnection: isHttpUrl(storage.tableServiceUri),
      });
    }
    return TableClient.fromConnectionString(storage.connectionString, tableName, {
      // FACTS.md: an http endpoint (Azurite, `UseDevelopmentStorage=true`) is refused without this.
      allowInsecureConnection: connectionStringUsesHttp(storage.connectionString),
    });
  }

  return {
    table(tableName: string): Promise<TableClient> {
      let client = ready.get(tableName);
      if (client === undefined) {
        client = (async () => {
          const tableClient = build(tableName);
          try {
            await tableClient.createTable();
          } catch (err) {
            if (statusCodeOf(err) !== 409) throw toStoreError(err, `create table ${tableName}`);
          }
          return tableClient;
        })();
        // A failed creation is retried by the next call instead of being remembered.
        client.catch(() => ready.delete(tableName));
        ready.set(tableName, client);
      }
      return client;
    },
  };
}

function isHttpUrl(url: string): boolean {
  return url.toLowerCase().startsWith('http://');
}

export function connectionStringUsesHttp(connectionString: string): boolean {
  const fields = new Map<string, string>();
  for (const part of connectionString.split(';')) {
    const separator = part.indexOf('=');
    if (separator > 0) fields.set(part.slice(0, separator).trim().toLowerCase(), part.slice(separator + 1).trim());
  }
  if (fields.get('usedevelopmentstorage')?.toLowerCase() === 'true') return true;
  const tableEndpoint = fields.get('tableendpoint');
  if (tableEndpoint !== undefined) return isHttpUrl(tableEndpoint);
  return fields.get('defaultendpointsprotocol')?.toLowerCase() === 'http';
}

/**
 * A valid PartitionKey/RowKey for any text: keys may not hold `/ \ # ?` or control characters, and
 * upns, credential ids and run ids are not ours to restrict. The original text is kept as a property.
 */
export function tableKey(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Dates come back as Date objects from the SDK; ISO strings are accepted for rows written by hand. */
export function dateProperty(value: unknown, property: string): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return new Date(value);
  throw new Error(`table row property ${property} is not a date`);
}

export function optionalDateProperty(value: unknown, property: string): Date | undefined {
  return value === undefined || value === null ? undefined : dateProperty(value, property);
}

export function stringProperty(value: unknown, property: string): string {
  if (typeof value === 'string') return value;
  throw new Error(`table row property ${property} is not a string`);
}

export function optionalStringProperty(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export type Row = TableEntityResult<Record<string, unknown>>;

export async function readRow(
  client: TableClient,
  partitionKey: string,
  rowKey: string,
  operation: string,
): Promise<Row | undefined> {
  try {
    return await client.getEntity<Record<string, unknown>>(partitionKey, rowKey);
  } catch (err) {
    if (statusCodeOf(err) === 404) return undefined;
    throw toStoreError(err, operation);
  }
}

/** Every row of the table (all pages), mapped; a failure names the operation. */
export async function listRows<T>(client: TableClient, operation: string, map: (row: Row) => T): Promise<T[]> {
  const items: T[] = [];
  try {
    for await (const row of client.listEntities<Record<string, unknown>>()) items.push(map(row));
  } catch (err) {
    throw toStoreError(err, operation);
  }
  return items;
}

const READ_MODIFY_WRITE_ATTEMPTS = 8;

/**
 * Re-reads and re-applies `change` while another writer keeps winning (412). `change` answers the new
 * properties, or undefined to leave the row as it is. Resolves the written row (with its new etag), the
 * unchanged row, or undefined when the row does not exist.
 */
export async function readModifyWrite(
  client: TableClient,
  partitionKey: string,
  rowKey: string,
  operation: string,
  change: (row: Row) => Record<string, unknown> | undefined,
): Promise<Row | undefined> {
  for (let attempt = 0; attempt < READ_MODIFY_WRITE_ATTEMPTS; attempt += 1) {
    const row = await readRow(client, partitionKey, rowKey, operation);
    if (row === undefined) return undefined;
    const properties = change(row);
    if (properties === undefined) return row;
    const entity = { ...properties, partitionKey, rowKey };
    try {
      const written = await client.updateEntity(entity, 'Replace', { etag: row.etag });
      return { ...entity, etag: written.etag ?? '' };
    } catch (err) {
      const status = statusCodeOf(err);
      // 412: someone wrote in between; 404: deleted in between (the next read answers undefined).
      if (status === 412 || status === 404) continue;
      throw toStoreError(err, operation);
    }
  }
  throw new StoreConflictError(`${operation}: still conflicting after ${READ_MODIFY_WRITE_ATTEMPTS} attempts`, 412);
}
