// Failures of the stores (Key Vault secrets, Table storage), as the services catch them. "Not found" is never
// an error (stores answer undefined). The classes extend src/shared/errors.ts, so one that escapes a service
// still maps to a fitting HTTP answer: an outage to 503 + Retry-After, anything else to a generic 500.
// The adapters turn SDK failures into these (src/shared/adapters/storeErrors.ts).
import { InternalError, UpstreamUnavailableError } from '../errors.js';

/** 429, 5xx or no answer: worth retrying after `retryAfterSeconds`. */
export class StoreUnavailableError extends UpstreamUnavailableError {
  override name = 'StoreUnavailableError';

  constructor(
    message: string,
    readonly statusCode: number | undefined,
    retryAfterSeconds: number,
    cause?: unknown,
  ) {
    super(retryAfterSeconds, undefined, { message, cause });
  }
}

/** 409 (exists, parallel write) or 412 (stale ETag): someone else wrote first; re-read and decide. */
export class StoreConflictError extends InternalError {
  override name = 'StoreConflictError';

  constructor(
    message: string,
    readonly statusCode: number,
    cause?: unknown,
  ) {
    super({ message, cause });
  }
}

/**
 * Any other refusal (400, 401, 403, …) or a failure that is not the store's (a bug on our side, without
 * a status): retrying will not help.
 */
export class StoreRequestError extends InternalError {
  override name = 'StoreRequestError';

  constructor(
    message: string,
    readonly statusCode: number | undefined,
    cause?: unknown,
  ) {
    super({ message, cause });
  }
}

export type StoreError = StoreUnavailableError | StoreConflictError | StoreRequestError;

export function isStoreConflict(err: unknown): err is StoreConflictError {
  return err instanceof StoreConflictError;
}
