// An in-memory keyed row store with the optimistic-concurrency rules of Table storage: create answers 409
// when the key exists, replace/delete answer 412 on a stale ETag. Every call yields to the event loop
// first, so concurrent callers really interleave between their read and their write.
import { randomUUID } from 'node:crypto';
import { StoreConflictError } from '#src/shared/ports/index.js';

export interface VersionedRow<T> {
  value: T;
  etag: string;
}

export class EtagTable<T> {
  private readonly rows = new Map<string, VersionedRow<T>>();

  async get(key: string): Promise<VersionedRow<T> | undefined> {
    await yieldTurn();
    const row = this.rows.get(key);
    return row === undefined ? undefined : { value: structuredClone(row.value), etag: row.etag };
  }

  async create(key: string, value: T): Promise<string> {
    await yieldTurn();
    if (this.rows.has(key)) throw new StoreConflictError(`create ${key}: exists`, 409);
    return this.put(key, value);
  }

  async replace(key: string, value: T, etag: string): Promise<string> {
    await yieldTurn();
    const row = this.rows.get(key);
    if (row === undefined) throw new StoreConflictError(`replace ${key}: gone`, 404);
    if (row.etag !== etag) throw new StoreConflictError(`replace ${key}: stale etag`, 412);
    return this.put(key, value);
  }

  async upsert(key: string, value: T): Promise<string> {
    await yieldTurn();
    return this.put(key, value);
  }

  async delete(key: string, etag: string): Promise<void> {
    await yieldTurn();
    const row = this.rows.get(key);
    if (row === undefined) throw new StoreConflictError(`delete ${key}: gone`, 404);
    if (row.etag !== etag) throw new StoreConflictError(`delete ${key}: stale etag`, 412);
    this.rows.delete(key);
  }

  async values(): Promise<T[]> {
    return (await this.entries()).map((row) => row.value);
  }

  async entries(): Promise<VersionedRow<T>[]> {
    await yieldTurn();
    return [...this.rows.values()].map((row) => ({ value: structuredClone(row.value), etag: row.etag }));
  }

  private put(key: string, value: T): string {
    const etag = `W/"${randomUUID()}"`;
    this.rows.set(key, { value: structuredClone(value), etag });
    return etag;
  }
}

export const READ_MODIFY_WRITE_ATTEMPTS = 8;

/** Same loop as the Table adapter: re-read and re-apply while another writer wins. */
export async function readModifyWrite<T>(
  table: EtagTable<T>,
  key: string,
  change: (value: T) => T | undefined,
): Promise<VersionedRow<T> | undefined> {
  for (let attempt = 0; attempt < READ_MODIFY_WRITE_ATTEMPTS; attempt += 1) {
    const row = await table.get(key);
    if (row === undefined) return undefined;
    const next = change(row.value);
    if (next === undefined) return row;
    try {
      return { value: next, etag: await table.replace(key, next, row.etag) };
    } catch (err) {
      if (err instanceof StoreConflictError) continue;
      throw err;
    }
  }
  throw new StoreConflictError(`update ${key}: still conflicting`, 412);
}

function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
