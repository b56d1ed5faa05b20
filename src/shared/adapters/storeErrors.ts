// SDK failures of the storage adapters (Key Vault secrets, Table storage) turned into the store errors the
// services catch (src/shared/ports/storeErrors.ts). "Not found" is never an error (adapters answer undefined).
import { systemClock, type Clock } from '../domain/clock.js';
import { parseRetryAfter } from './retryAfter.js';
import { StoreConflictError, type StoreError, StoreRequestError, StoreUnavailableError } from '../ports/index.js';

/** When the store names no Retry-After: long enough for Key Vault/Storage throttling to ease. */
export const DEFAULT_STORE_RETRY_AFTER_SECONDS = 10;

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

/** Seconds from the Retry-After header of an SDK error's response, relative to `now`. */
export function retryAfterSecondsOf(err: unknown, now: Date): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  return parseRetryAfter((err as ErrorWithResponse).response?.headers?.get?.('retry-after'), now);
}

/**
 * Turns an SDK failure into a store error. `operation` names what was attempted (e.g. "read secret
 * oauth-client-secret"); it must never contain a secret value. The SDK error stays as `cause`.
 */
export function toStoreError(err: unknown, operation: string, clock: Clock = systemClock): StoreError {
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
    const retryAfter = retryAfterSecondsOf(err, clock.now()) ?? DEFAULT_STORE_RETRY_AFTER_SECONDS;
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
