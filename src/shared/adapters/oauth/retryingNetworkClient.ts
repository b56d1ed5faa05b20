// MSAL's network module over fetch, with bounded retries on 429/5xx that honour Retry-After. Waits longer
// than a few seconds are not taken on the request path: the caller gets the Retry-After instead.
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { systemClock, type Clock } from '#src/shared/domain/clock.js';
import { parseRetryAfter } from '../retryAfter.js';

const MAX_RETRY_WAIT_SECONDS = 3;
const MAX_ATTEMPTS = 3;
/** When Entra names no Retry-After (or did not answer at all). */
export const DEFAULT_RETRY_AFTER_SECONDS = 30;
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 10_000;

export class RetryingNetworkClient implements INetworkModule {
  /** Retry-After (seconds) of the last throttled or failed answer, for the caller's 503. */
  lastRetryAfterSeconds: number | undefined;
  requestCount = 0;

  constructor(
    private readonly attemptTimeoutMs = DEFAULT_ATTEMPT_TIMEOUT_MS,
    private readonly clock: Clock = systemClock,
  ) {}

  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>('GET', url, options);
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>('POST', url, options);
  }

  private async send<T>(
    method: 'GET' | 'POST',
    url: string,
    options?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> {
    for (let attempt = 1; ; attempt++) {
      this.requestCount++;
      // Covers the body too: a stalled Entra ID must not hold the request path for minutes.
      const signal = AbortSignal.timeout(this.attemptTimeoutMs);
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          ...(options?.headers !== undefined ? { headers: options.headers } : {}),
          ...(method === 'POST' && options?.body !== undefined ? { body: options.body } : {}),
          signal,
        });
      } catch (error) {
        this.lastRetryAfterSeconds = DEFAULT_RETRY_AFTER_SECONDS;
        // After a timeout another attempt would only make the caller wait as long again.
        if (attempt >= MAX_ATTEMPTS || signal.aborted) throw error;
        continue;
      }
      const retryable = response.status === 429 || response.status >= 500;
      if (retryable) {
        const retryAfter = parseRetryAfter(response.headers.get('retry-after'), this.clock.now());
        this.lastRetryAfterSeconds = retryAfter ?? DEFAULT_RETRY_AFTER_SECONDS;
        const wait = retryAfter ?? 1;
        if (attempt < MAX_ATTEMPTS && wait <= MAX_RETRY_WAIT_SECONDS) {
          await response.arrayBuffer();
          await new Promise((resolve) => setTimeout(resolve, wait * 1000));
          continue;
        }
      }
      const headers: Record<string, string> = {};
      response.headers.forEach((value, key) => (headers[key] = value));
      const text = await response.text();
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : {};
      } catch {
        body = {};
      }
      return { headers, body: body as T, status: response.status };
    }
  }
}
