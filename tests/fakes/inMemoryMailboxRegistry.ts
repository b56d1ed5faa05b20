// MailboxRegistry in memory, with the Table adapter's rules: rows keyed by identity (tid.oid), the
// canonical address as a unique alias, ETag-guarded updates.
import { MailboxTakenError } from '#src/shared/errors.js';
import type { MailboxListing, MailboxRecord, MailboxRegistry } from '#src/shared/ports/index.js';
import { EtagTable, readModifyWrite, type VersionedRow } from './etagTable.js';

export class InMemoryMailboxRegistry implements MailboxRegistry {
  private readonly rows = new EtagTable<MailboxRecord>();
  /** Address → identity key. */
  private readonly aliases = new Map<string, string>();

  async get(upn: string): Promise<MailboxRecord | undefined> {
    const key = this.aliases.get(addressOf(upn));
    const row = key === undefined ? undefined : await this.rows.get(key);
    return row === undefined || row.value.upn !== addressOf(upn) ? undefined : withEtag(row);
  }

  async getByIdentity(tenantId: string, objectId: string): Promise<MailboxRecord | undefined> {
    const row = await this.rows.get(identityOf(tenantId, objectId));
    return row === undefined ? undefined : withEtag(row);
  }

  async list(): Promise<MailboxRecord[]> {
    return (await this.scan()).records;
  }

  async scan(): Promise<MailboxListing> {
    return { records: (await this.rows.entries()).map(withEtag), unreadableRows: 0 };
  }

  async upsert(record: MailboxRecord): Promise<MailboxRecord> {
    const { etag: _ignored, ...fields } = record;
    const stored: MailboxRecord = { ...fields, upn: addressOf(record.upn) };
    const key = identityOf(record.tenantId, record.objectId);
    const holder = this.aliases.get(stored.upn);
    if (holder !== undefined && holder !== key && (await this.rows.get(holder))?.value.upn === stored.upn) {
      throw new MailboxTakenError();
    }
    const previous = await this.rows.get(key);
    this.aliases.set(stored.upn, key);
    const etag = await this.rows.upsert(key, stored);
    const previousUpn = previous?.value.upn;
    if (previousUpn !== undefined && previousUpn !== stored.upn && this.aliases.get(previousUpn) === key) {
      this.aliases.delete(previousUpn);
    }
    return { ...structuredClone(stored), etag };
  }

  async remove(upn: string): Promise<MailboxRecord | undefined> {
    const found = await this.get(upn);
    if (found?.etag === undefined) return undefined;
    const key = identityOf(found.tenantId, found.objectId);
    await this.rows.delete(key, found.etag);
    this.aliases.delete(addressOf(upn));
    return found;
  }

  markReconnectRequired(upn: string, errorCode: string, at: Date): Promise<MailboxRecord | undefined> {
    return this.update(upn, (record) => ({
      ...record,
      status: 'reconnect_required',
      lastErrorCode: errorCode,
      lastErrorAt: at,
    }));
  }

  recordRefresh(upn: string, at: Date): Promise<MailboxRecord | undefined> {
    return this.update(upn, (record) =>
      record.lastRefreshAt.getTime() >= at.getTime() ? undefined : { ...record, lastRefreshAt: at },
    );
  }

  recordCacheWriteFailure(upn: string, code: string, at: Date): Promise<MailboxRecord | undefined> {
    return this.update(upn, (record) => ({ ...record, cacheWriteFailure: { code, at } }));
  }

  private async update(
    upn: string,
    change: (record: MailboxRecord) => MailboxRecord | undefined,
  ): Promise<MailboxRecord | undefined> {
    const key = this.aliases.get(addressOf(upn));
    if (key === undefined) return undefined;
    const row = await readModifyWrite(this.rows, key, (record) =>
      record.upn === addressOf(upn) ? change(record) : undefined,
    );
    return row === undefined || row.value.upn !== addressOf(upn) ? undefined : withEtag(row);
  }
}

function addressOf(upn: string): string {
  return upn.normalize('NFKC').trim().toLowerCase();
}

function identityOf(tenantId: string, objectId: string): string {
  return `${tenantId.toLowerCase()}.${objectId.toLowerCase()}`;
}

function withEtag(row: VersionedRow<MailboxRecord>): MailboxRecord {
  return { ...structuredClone(row.value), etag: row.etag };
}
