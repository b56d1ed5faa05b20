// Microsoft Graph through the official client: one factory for every Graph adapter, and the mapping
// of Graph's errors to keyrelay's. The access token comes from the caller (app-only from the Azure
// identity, or a mailbox's delegated token), so the monitored client secret is never needed here.
import { Client, GraphError } from '@microsoft/microsoft-graph-client';
import { systemClock, type Clock } from '../domain/clock.js';
import { isMicrosoftGraphHost } from './cloudEndpoints.js';
import { parseRetryAfter } from './retryAfter.js';
import { type GraphFailure, GraphRequestError } from '../ports/index.js';

export type AccessTokenSource = () => Promise<string>;

export function createGraphClient(graphEndpoint: string, getAccessToken: AccessTokenSource): Client {
  const url = new URL(graphEndpoint);
  return Client.initWithMiddleware({
    authProvider: { getAccessToken },
    baseUrl: `${url.origin}/`,
    // FACTS.md: hostnames without port, else the client silently sends no Authorization header.
    ...(isMicrosoftGraphHost(graphEndpoint) ? {} : { customHosts: new Set([url.hostname]) }),
  });
}

/** Runs a Graph call and turns any failure into a GraphRequestError with status and code only. */
export async function callGraph<T>(operation: () => Promise<T>, clock: Clock = systemClock): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw new GraphRequestError(graphFailureOf(error, clock.now()), { cause: error });
  }
}

export function graphFailureOf(error: unknown, now: Date): GraphFailure {
  if (error instanceof GraphError) {
    const body = parseBody(error.body);
    const code = body?.error?.code ?? error.code ?? 'UnknownError';
    const retryAfterSeconds = parseRetryAfter(error.headers?.get('retry-after'), now);
    return { status: error.statusCode, code, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) };
  }
  return { status: 0, code: 'NetworkError' };
}

function parseBody(body: unknown): { error?: { code?: string } } | undefined {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as { error?: { code?: string } };
    } catch {
      return undefined;
    }
  }
  return typeof body === 'object' && body !== null ? body : undefined;
}
