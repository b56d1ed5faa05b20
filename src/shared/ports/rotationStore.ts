// The rotation store: one rotation per app at a time, and its history.

/**
 * The fields the rotation store relies on; the full record (src/shared/domain/monitor/rotationPlan.ts)
 * is stored as it is, Dates included.
 */
export interface RotationRecordBase {
  rotationId: string;
  appId: string;
  step: string;
  startedAt: Date;
}

export interface StoredRotation<R extends RotationRecordBase> {
  record: R;
  etag: string;
}

/** One rotation per app at a time: `current` plus a history row per rotation (its latest state). */
export interface RotationStore<R extends RotationRecordBase = RotationRecordBase> {
  get(appId: string): Promise<StoredRotation<R> | undefined>;
  /** StoreConflictError when the app already has a current rotation. */
  create(record: R): Promise<StoredRotation<R>>;
  /** StoreConflictError when `etag` is stale or the current rotation is gone. */
  update(record: R, etag: string): Promise<StoredRotation<R>>;
  /** Ends the current rotation (kept in history) so that a new one can be created; ETag-guarded. */
  close(appId: string, etag: string): Promise<void>;
  /** Every rotation of the app, newest first. */
  listHistory(appId: string): Promise<R[]>;
}
