// The OAuth client's network module against a real local HTTP server: 429/5xx are retried after the
// Retry-After they name, read against the injected clock (an HTTP date is relative to it, not to the host).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '#src/shared/domain/clock.js';
import { RetryingNetworkClient } from '#src/shared/adapters/oauth/retryingNetworkClient.js';

const now = new Date('2026-03-01T10:00:00Z');
const clock: Clock = { now: () => now };
/** What the server answers, one entry per request; the last one repeats. */
let answers: { status: number; retryAfter?: string }[] = [];
let served = 0;
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((_request, response) => {
    const answer = answers[Math.min(served, answers.length - 1)] ?? { status: 200 };
    served++;
    response.writeHead(answer.status, {
      'content-type': 'application/json',
      ...(answer.retryAfter === undefined ? {} : { 'retry-after': answer.retryAfter }),
    });
    response.end(JSON.stringify({ served }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function serve(...next: { status: number; retryAfter?: string }[]): void {
  answers = next;
  served = 0;
}

describe('RetryingNetworkClient', () => {
  it('retries a 429 after the seconds of an HTTP-date Retry-After, counted from the injected clock', async () => {
    serve({ status: 429, retryAfter: 'Sun, 01 Mar 2026 10:00:01 GMT' }, { status: 200 });
    const client = new RetryingNetworkClient(5_000, clock);
    const started = performance.now();
    const response = await client.sendPostRequestAsync<{ served: number }>(url, { body: 'grant_type=x' });
    expect(response.status).toBe(200);
    expect(client.requestCount).toBe(2);
    expect(client.lastRetryAfterSeconds).toBe(1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('does not wait on the request path for a long Retry-After: the caller gets it', async () => {
    serve({ status: 503, retryAfter: 'Sun, 01 Mar 2026 10:02:00 GMT' });
    const client = new RetryingNetworkClient(5_000, clock);
    const response = await client.sendGetRequestAsync(url);
    expect(response.status).toBe(503);
    expect(client.requestCount).toBe(1);
    expect(client.lastRetryAfterSeconds).toBe(120);
  });
});
