// An in-memory stand-in for the OAuth client's silent flow, with MSAL's rules that the token service
// relies on: the cache is a string the caller loads and persists; a cached access token is used
// while it has more than 5 minutes left (unless forceRefresh); a refresh rotates the refresh token.
import { randomBytes } from 'node:crypto';
import { OAuthClientError, type OAuthFailure, type SilentTokenResult } from '#src/shared/ports/index.js';
import type { MailboxTokenClient } from '#src/shared/services/token/tokenService.js';

const MSAL_EXPIRY_MARGIN_MS = 5 * 60 * 1000;

interface FakeCache {
  homeAccountId: string;
  username: string;
  refreshToken: string;
  accessTokens: Record<string, { secret: string; expiresOn: number }>;
}

export function fakeSerializedCache(
  homeAccountId: string,
  accessTokens: Record<string, { secret: string; expiresOn: Date }> = {},
  username = 'mario.rossi@contoso.example',
): string {
  const cache: FakeCache = {
    homeAccountId,
    username,
    refreshToken: `rt-${randomBytes(8).toString('hex')}`,
    accessTokens: Object.fromEntries(
      Object.entries(accessTokens).map(([scope, token]) => [
        scope,
        { secret: token.secret, expiresOn: token.expiresOn.getTime() },
      ]),
    ),
  };
  return JSON.stringify(cache);
}

export class FakeMailboxTokenClient implements MailboxTokenClient {
  /** Calls of acquireTokenSilently (cache hits included). */
  calls = 0;
  /** Token endpoint calls (refreshes), successful or not. */
  refreshes = 0;
  accessTokenLifetimeMs = 60 * 60 * 1000;
  private readonly failures: OAuthFailure[] = [];
  private pendingGate: Promise<void> | undefined;

  constructor(private readonly clock: { now(): Date }) {}

  /** The next refreshes fail with these, in order. */
  failNextRefresh(...failures: OAuthFailure[]): void {
    this.failures.push(...failures);
  }

  /** Refreshes wait until the returned function is called (to pile up concurrent requests). */
  holdRefreshes(): () => void {
    let release!: () => void;
    this.pendingGate = new Promise((resolve) => (release = resolve));
    return () => {
      this.pendingGate = undefined;
      release();
    };
  }

  async acquireTokenSilently(
    request: Parameters<MailboxTokenClient['acquireTokenSilently']>[0],
  ): Promise<SilentTokenResult> {
    this.calls++;
    await new Promise((resolve) => setImmediate(resolve));
    const cache = JSON.parse(request.serializedCache) as FakeCache;
    if (cache.homeAccountId !== request.homeAccountId)
      throw new OAuthClientError({ kind: 'reconnect_required', errorCode: 'no_account_in_cache' });
    const scope = request.scopes.join(' ');
    const [, tenantId = ''] = cache.homeAccountId.split('.');
    const account = { homeAccountId: cache.homeAccountId, tenantId, username: cache.username };
    const cached = cache.accessTokens[scope];
    const now = this.clock.now().getTime();
    if (cached && !request.forceRefresh && cached.expiresOn - now > MSAL_EXPIRY_MARGIN_MS) {
      return {
        accessToken: cached.secret,
        expiresOn: new Date(cached.expiresOn),
        serializedCache: request.serializedCache,
        cacheChanged: false,
        refreshTokenChanged: false,
        account,
      };
    }
    this.refreshes++;
    if (this.pendingGate) await this.pendingGate;
    const failure = this.failures.shift();
    if (failure) throw new OAuthClientError(failure);
    const token = {
      secret: `at-${scope.includes('outlook') ? 'outlook' : 'graph'}-${randomBytes(8).toString('hex')}`,
      expiresOn: now + this.accessTokenLifetimeMs,
    };
    const updated: FakeCache = {
      ...cache,
      refreshToken: `rt-${randomBytes(8).toString('hex')}`,
      accessTokens: { ...cache.accessTokens, [scope]: token },
    };
    return {
      accessToken: token.secret,
      expiresOn: new Date(token.expiresOn),
      serializedCache: JSON.stringify(updated),
      cacheChanged: true,
      refreshTokenChanged: true,
      account,
    };
  }
}
