// MailboxRegistry in memory, with the Table adapter's rules: lowercase upn key, ETag-guarded updates.
import type { MailboxRecord, MailboxRegistry } from '../../src/shared/ports.js';
import { EtagTable, readModifyWrite, type VersionedRow } from './etagTable.js';

export class InMemoryMailboxRegistry implements MailboxRegistry {
  private readonly rows = new EtagTable<MailboxRecord>();

  async get(upn: string): Promise<MailboxRecord | undefined> {
    const row = await this.rows.get(keyOf(upn));
    return row === undefined ? undefined : withEtag(row);
  }

  async list(): Promise<MailboxRecord[]> {
    return (await this.rows.entries()).map(withEtag);
  }

  async upsert(record: MailboxRecord): Promise<MailboxRecord> {
    const { etag: _ignored, ...fields } = record;
    const stored: MailboxRecord = { ...fields, upn: keyOf(record.upn) };
    const etag = await this.rows.upsert(stored.upn, stored);
    return { ...structuredClone(stored), etag };
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
    const row = await readModifyWrite(this.rows, keyOf(upn), change);
    return row === undefined ? undefined : withEtag(row);
  }
}

function keyOf(upn: string): string {
  return upn.trim().toLowerCase();
}

function withEtag(row: VersionedRow<MailboxRecord>): MailboxRecord {
  return { ...structuredClone(row.value), etag: row.etag };
}
