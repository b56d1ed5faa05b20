// Failures of the storage adapters (Key Vault secrets, Table storage). "Not found" is never an error
// (adapters answer undefined). The classes extend src/shared/errors.ts, so one that escapes a service
// still maps to a fitting HTTP answer: an outage to 503 + Retry-After, anything else to a generic 500.
import { InternalError, UpstreamUnavailableError } from '../errors.js';

/** When the store names no Retry-After: long enough for Key Vault/Storage throttling to ease. */
export const DEFAULT_STORE_RETRY_AFTER_SECONDS = 10;

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

interface ErrorWithResponse {
  statusCode?: unknown;
  response?: { headers?: { get?(name: string): string | undefined } };
}

/** Status code of an Azure SDK RestError (FACTS.md: `err.code` is undefined for Tables; branch on this). */
export function statusCodeOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const status = (err as ErrorWithResponse).statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Seconds from a Retry-After header (delta-seconds or HTTP date), relative to `now`. */
export function retryAfterSecondsOf(err: unknown, now: Date = new Date()): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const header = (err as ErrorWithResponse).response?.headers?.get?.('retry-after');
  if (header === undefined || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(header);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now.getTime()) / 1000));
}

/**
 * Turns an SDK failure into a store error. `operation` names what was attempted (e.g. "read secret
 * oauth-client-secret"); it must never contain a secret value. The SDK error stays as `cause`.
 */
export function toStoreError(err: unknown, operation: string): StoreError {
  if (err instanceof StoreUnavailableError || err instanceof StoreConflictError || err instanceof StoreRequestError)
    return err;
  const statusCode = statusCodeOf(err);
  if (statusCode === 409 || statusCode === 412) {
    return new StoreConflictError(`${operation}: conflicting write (HTTP ${statusCode})`, statusCode, err);
  }
  if (statusCode === undefined && !isTransportFailure(err)) {
    return new StoreRequestError(`${operation}: failed before reaching the store`, undefined, err);
  }
  if (statusCode === undefined || statusCode === 408 || statusCode === 429 || statusCode >= 500) {
    const status = statusCode === undefined ? 'no answer' : `HTTP ${statusCode}`;
    const retryAfter = retryAfterSecondsOf(err) ?? DEFAULT_STORE_RETRY_AFTER_SECONDS;
    return new StoreUnavailableError(`${operation}: store unavailable (${status})`, statusCode, retryAfter, err);
  }
  return new StoreRequestError(`${operation}: refused (HTTP ${statusCode})`, statusCode, err);
}

// The SDKs report a refused connection, a reset or a timeout as a RestError without a status (its
// `code` is the Node error code, e.g. ECONNREFUSED); an aborted request as an AbortError.
function isTransportFailure(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { name, code } = err as { name?: unknown; code?: unknown };
  return name === 'RestError' || name === 'AbortError' || (typeof code === 'string' && /^E[A-Z]+$/.test(code));
}
