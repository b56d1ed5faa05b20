// RotationStore in memory, with the Table adapter's rules: one current rotation per app (create -> 409),
// ETag-guarded update/close (412), history holding each rotation's latest state, newest first.
import type { RotationRecordBase, RotationStore, StoredRotation } from '#src/shared/ports/index.js';
import { EtagTable } from './etagTable.js';

export class InMemoryRotationStore<R extends RotationRecordBase = RotationRecordBase> implements RotationStore<R> {
  private readonly current = new EtagTable<R>();
  private readonly history = new Map<string, R>();

  async get(appId: string): Promise<StoredRotation<R> | undefined> {
    const row = await this.current.get(appId);
    return row === undefined ? undefined : { record: row.value, etag: row.etag };
  }

  async create(record: R): Promise<StoredRotation<R>> {
    const etag = await this.current.create(record.appId, record);
    this.remember(record);
    return { record: structuredClone(record), etag };
  }

  async update(record: R, etag: string): Promise<StoredRotation<R>> {
    const newEtag = await this.current.replace(record.appId, record, etag);
    this.remember(record);
    return { record: structuredClone(record), etag: newEtag };
  }

  close(appId: string, etag: string): Promise<void> {
    return this.current.delete(appId, etag);
  }

  async listHistory(appId: string): Promise<R[]> {
    await new Promise((resolve) => setImmediate(resolve));
    return [...this.history.values()]
      .filter((record) => record.appId === appId)
      .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime())
      .map((record) => structuredClone(record));
  }

  private remember(record: R): void {
    this.history.set(JSON.stringify([record.appId, record.rotationId]), structuredClone(record));
  }
}
