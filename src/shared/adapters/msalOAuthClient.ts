// The OAuth client: MSAL Node behind a small interface. A new ConfidentialClientApplication is made
// for every operation (FACTS.md: a shared one leaked one user's sign-in into another's partition);
// what is expensive to repeat (authority metadata, JWKS) is cached per instance instead.
import {
  AuthError,
  ConfidentialClientApplication,
  InteractionRequiredAuthError,
  ServerError,
  type AuthenticationResult,
  type ICachePlugin,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
  type TokenCacheContext,
} from '@azure/msal-node';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { whoseEntraRefusal } from '../domain/entraFailure.js';
import { graphAppScope, graphEndpointOfAuthority } from './cloudEndpoints.js';
import { type ClientCredential, type ClientCredentialSource, OAuthClientError, type OAuthClient, type OAuthFailure, type RedeemCodeRequest, type RedeemedCode, type SilentTokenResult, type VerifyResult } from '../ports/index.js';

export interface OAuthClientSettings {
  clientId: string;
  /** e.g. https://login.microsoftonline.com (no trailing slash). */
  authorityHost: string;
  /** Home tenant of the app registration (client-credentials checks). */
  homeTenantId: string;
  /** Deadline of each HTTP attempt to Entra ID (default 10 s; Node's own is 300 s). */
  attemptTimeoutMs?: number;
}

const MAX_RETRY_WAIT_SECONDS = 3;
const MAX_ATTEMPTS = 3;
const DEFAULT_RETRY_AFTER_SECONDS = 30;
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 10_000;
/**
 * Entra's refusals of a client assertion from a federated credential: the app's own credential, not the
 * request. AADSTS70021 arrives as `invalid_request`, so the code decides, not the OAuth error.
 */
const CLIENT_ASSERTION_REFUSALS = new Set(['AADSTS70021', 'AADSTS700211', 'AADSTS700212', 'AADSTS700213', 'AADSTS7002137', 'AADSTS7002138', 'AADSTS700024', 'AADSTS700027']);
/** keyrelay's client secret is read again from Key Vault after invalid_client at most this often. */
const CLIENT_SECRET_RELOAD_INTERVAL_MS = 60_000;

/**
 * MSAL network module over fetch with bounded retries on 429/5xx that honour Retry-After. Waits
 * longer than a few seconds are not taken on the request path: the caller gets the Retry-After instead.
 */
export class RetryingNetworkClient implements INetworkModule {
  /** Retry-After (seconds) of the last throttled or failed answer, for the caller's 503. */
  lastRetryAfterSeconds: number | undefined;
  requestCount = 0;

  constructor(private readonly attemptTimeoutMs = DEFAULT_ATTEMPT_TIMEOUT_MS) {}

  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>('GET', url, options);
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>('POST', url, options);
  }

  private async send<T>(method: 'GET' | 'POST', url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
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
        const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
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

export function parseRetryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(header);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** Bridges MSAL's cache to a string the caller loads from and persists to Key Vault. */
class SerializedCacheBridge implements ICachePlugin {
  changed = false;
  constructor(public serialized: string | undefined) {}

  beforeCacheAccess(context: TokenCacheContext): Promise<void> {
    if (this.serialized) context.tokenCache.deserialize(this.serialized);
    return Promise.resolve();
  }

  afterCacheAccess(context: TokenCacheContext): Promise<void> {
    if (context.cacheHasChanged) {
      this.serialized = context.tokenCache.serialize();
      this.changed = true;
    }
    return Promise.resolve();
  }
}

function refreshTokenSecrets(serialized: string | undefined): string {
  if (!serialized) return '';
  const parsed = JSON.parse(serialized) as { RefreshToken?: Record<string, { secret?: string }> };
  return Object.values(parsed.RefreshToken ?? {})
    .map((entry) => entry.secret ?? '')
    .sort()
    .join('|');
}


interface AuthorityMetadata {
  issuer: string;
  jwks_uri: string;
  authorization_endpoint: string;
  token_endpoint: string;
}

export class MsalOAuthClient implements OAuthClient {
  private readonly metadataByAuthority = new Map<string, Promise<string>>();
  private readonly jwksByUri = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
  /** Counts the client-secret reloads started, so an operation can tell whether one began after it read its secret. */
  private reloadGeneration = 0;
  private lastReloadStartedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly settings: OAuthClientSettings,
    private readonly credential: ClientCredentialSource,
  ) {}

  authority(tenant: string): string {
    return `${this.settings.authorityHost}/${tenant}`;
  }

  /** The v2 authorize endpoint of the sign-in tenant (usually `organizations`). */
  authorizeEndpoint(tenant: string): string {
    return `${this.authority(tenant)}/oauth2/v2.0/authorize`;
  }

  async redeemCode(request: RedeemCodeRequest): Promise<RedeemedCode> {
    const bridge = new SerializedCacheBridge(undefined);
    const result = await this.withClientSecretRetry(request.tenant, bridge, (app) =>
      app.acquireTokenByCode({
        code: request.code,
        codeVerifier: request.codeVerifier,
        redirectUri: request.redirectUri,
        scopes: request.scopes,
        nonce: request.nonce,
      }),
    );
    if (!result.account || !result.idToken || !bridge.serialized) {
      throw new OAuthClientError({ kind: 'rejected', errorCode: 'no_id_token' });
    }
    return {
      idToken: result.idToken,
      homeAccountId: result.account.homeAccountId,
      accessToken: result.accessToken,
      expiresOn: result.expiresOn ?? new Date(0),
      serializedCache: bridge.serialized,
    };
  }

  /** A token for the mailbox from its cache, refreshing through Entra when needed or forced. */
  async acquireTokenSilently(request: {
    tenant: string;
    homeAccountId: string;
    serializedCache: string;
    scopes: string[];
    forceRefresh: boolean;
  }): Promise<SilentTokenResult> {
    const bridge = new SerializedCacheBridge(request.serializedCache);
    const result = await this.withClientSecretRetry(request.tenant, bridge, async (app) => {
      const account = await app.getTokenCache().getAccountByHomeId(request.homeAccountId);
      if (!account) throw new OAuthClientError({ kind: 'reconnect_required', errorCode: 'no_account_in_cache' });
      return app.acquireTokenSilent({ account, scopes: request.scopes, forceRefresh: request.forceRefresh });
    });
    const serializedCache = bridge.serialized ?? request.serializedCache;
    return {
      accessToken: result.accessToken,
      expiresOn: result.expiresOn ?? new Date(0),
      serializedCache,
      cacheChanged: bridge.changed,
      refreshTokenChanged: bridge.changed && refreshTokenSecrets(serializedCache) !== refreshTokenSecrets(request.serializedCache),
      account: {
        homeAccountId: result.account?.homeAccountId ?? '',
        tenantId: result.account?.tenantId ?? '',
        username: result.account?.username ?? '',
      },
    };
  }

  /**
   * Proves that a client secret works: a client-credentials token from the home tenant. Used to verify
   * a freshly rotated secret before it becomes current. Resolves with the failure instead of throwing.
   */
  verifyClientSecret(clientSecret: string): Promise<VerifyResult> {
    return this.verify({ clientSecret });
  }

  /** Proves that the credential in use works (whatever its kind): doctor, setup, the monitor. */
  async verifyClientCredential(): Promise<VerifyResult> {
    try {
      return await this.verify(await this.credential.getCredential());
    } catch (error) {
      return { ok: false, failure: this.withFix(classifyOAuthError(error, undefined, true)) };
    }
  }

  private async verify(credential: ClientCredential): Promise<VerifyResult> {
    const network = this.networkClient();
    try {
      const app = await this.createApplication(this.settings.homeTenantId, credential, network);
      await app.acquireTokenByClientCredential({ scopes: [graphAppScope(graphEndpointOfAuthority(this.settings.authorityHost))], skipCache: true });
      return { ok: true };
    } catch (error) {
      return { ok: false, failure: this.withFix(classifyOAuthError(error, network, true)) };
    }
  }

  /** Adds what the credential kind says an administrator must do about a refusal. */
  private withFix(failure: OAuthFailure): OAuthFailure {
    if (failure.kind !== 'invalid_client' || failure.fix !== undefined) return failure;
    const fix = this.credential.fixFor?.(failure.errorCode);
    return fix === undefined ? failure : { ...failure, fix };
  }

  /** Verifies the id token's signature against the tenant's JWKS; returns its claims (validated by the domain). */
  async verifyIdTokenSignature(idToken: string, tenant: string): Promise<JWTPayload> {
    const metadata = JSON.parse(await this.authorityMetadata(this.authority(tenant))) as AuthorityMetadata;
    let jwks = this.jwksByUri.get(metadata.jwks_uri);
    if (!jwks) {
      jwks = createRemoteJWKSet(new URL(metadata.jwks_uri));
      this.jwksByUri.set(metadata.jwks_uri, jwks);
    }
    // Claims (iss/aud/nonce/tid) are checked by the domain validator; here only the signature and alg.
    const { payload } = await jwtVerify(idToken, jwks, { algorithms: ['RS256'], clockTolerance: 300 });
    return payload;
  }

  private async withClientSecretRetry(
    tenant: string,
    bridge: SerializedCacheBridge,
    operation: (app: ConfidentialClientApplication) => Promise<AuthenticationResult | null>,
  ): Promise<AuthenticationResult> {
    let reloaded = false;
    const generation = this.reloadGeneration;
    let credential = await this.credential.getCredential();
    for (;;) {
      const network = this.networkClient();
      let app: ConfidentialClientApplication;
      try {
        app = await this.createApplication(tenant, credential, network, bridge);
      } catch (error) {
        throw new OAuthClientError({ kind: 'unavailable', retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS }, { cause: error });
      }
      try {
        const result = await operation(app);
        if (!result) throw new OAuthClientError({ kind: 'reconnect_required', errorCode: 'no_token' });
        return result;
      } catch (error) {
        if (error instanceof OAuthClientError) throw new OAuthClientError(this.withFix(error.failure), { cause: error.cause });
        const homeTenant = this.isHomeTenant(tenant);
        let failure = classifyOAuthError(error, network, homeTenant);
        // A rotated secret may have replaced ours in Key Vault: try the one read after ours, once.
        if (failure.kind === 'invalid_client' && !reloaded) {
          const newer = this.credentialNewerThan(generation);
          if (newer) {
            reloaded = true;
            credential = await newer;
            continue;
          }
        }
        // DESIGN §3: a customer tenant's refusal is evidence about keyrelay's credential only when the
        // home tenant refuses the same credential too; otherwise it is that tenant's problem alone.
        if (failure.kind === 'invalid_client' && !homeTenant) failure = await this.confirmInHomeTenant(credential, failure);
        throw new OAuthClientError(this.withFix(failure), { cause: error });
      }
    }
  }

  private isHomeTenant(tenant: string): boolean {
    return tenant.toLowerCase() === this.settings.homeTenantId.toLowerCase();
  }

  private async confirmInHomeTenant(credential: ClientCredential, failure: OAuthFailure & { kind: 'invalid_client' }): Promise<OAuthFailure> {
    const home = await this.verify(credential);
    if (home.ok) return { kind: 'tenant_refused', errorCode: failure.errorCode };
    return home.failure.kind === 'invalid_client' ? home.failure : failure;
  }

  /**
   * The client secret as read after `generation`: a reload another operation began since (parallel
   * refusals share one Key Vault read), else a new reload — unless the last one began less than a minute
   * ago (then Key Vault holds nothing newer worth a read, and undefined means "the refusal stands").
   */
  private credentialNewerThan(generation: number): Promise<ClientCredential> | undefined {
    if (this.reloadGeneration !== generation) return this.credential.getCredential();
    if (Date.now() - this.lastReloadStartedAt < CLIENT_SECRET_RELOAD_INTERVAL_MS) return undefined;
    this.reloadGeneration++;
    this.lastReloadStartedAt = Date.now();
    return this.credential.reloadCredential();
  }

  private networkClient(): RetryingNetworkClient {
    return new RetryingNetworkClient(this.settings.attemptTimeoutMs);
  }

  /** A new MSAL app object (never shared between requests, FACTS.md) for one operation. */
  private async createApplication(
    tenant: string,
    credential: ClientCredential,
    network: RetryingNetworkClient,
    cachePlugin?: ICachePlugin,
  ): Promise<ConfidentialClientApplication> {
    const authority = this.authority(tenant);
    return new ConfidentialClientApplication({
      auth: {
        clientId: this.settings.clientId,
        authority,
        ...credential,
        // Known authority + prefetched metadata: no instance-discovery or metadata call per request.
        knownAuthorities: [new URL(this.settings.authorityHost).host],
        authorityMetadata: await this.authorityMetadata(authority),
      },
      ...(cachePlugin ? { cache: { cachePlugin } } : {}),
      system: { networkClient: network },
    });
  }

  private authorityMetadata(authority: string): Promise<string> {
    let pending = this.metadataByAuthority.get(authority);
    if (!pending) {
      pending = fetchAuthorityMetadata(authority, this.networkClient());
      this.metadataByAuthority.set(authority, pending);
      // A failed discovery must not be cached for the life of the instance.
      pending.catch(() => this.metadataByAuthority.delete(authority));
    }
    return pending;
  }
}

async function fetchAuthorityMetadata(authority: string, network: RetryingNetworkClient): Promise<string> {
  const response = await network.sendGetRequestAsync<AuthorityMetadata>(`${authority}/v2.0/.well-known/openid-configuration`);
  if (response.status !== 200 || !response.body.token_endpoint) {
    throw new Error(`authority metadata answered ${response.status}`);
  }
  return JSON.stringify(response.body);
}

const AADSTS_PATTERN = /AADSTS(\d{4,9})/;

/**
 * Maps an MSAL (or network) error to keyrelay's failure kinds by whose problem it is (domain/entraFailure);
 * never keeps Entra's free text. `homeTenant`: the request went to keyrelay's home tenant.
 */
export function classifyOAuthError(error: unknown, network: RetryingNetworkClient | undefined, homeTenant: boolean): OAuthFailure {
  if (error instanceof OAuthClientError) return error.failure;
  if (error instanceof AuthError) {
    const aadsts = error.errorMessage.match(AADSTS_PATTERN)?.[1] ?? (error as ServerError).errorNo;
    const errorCode = aadsts ? `AADSTS${aadsts}` : error.errorCode;
    const status = error instanceof ServerError ? error.status : undefined;
    if (error instanceof InteractionRequiredAuthError) return { kind: 'reconnect_required', errorCode };
    // A refused client assertion (federated) is about keyrelay's own credential wherever it was used.
    if (CLIENT_ASSERTION_REFUSALS.has(errorCode)) return { kind: 'invalid_client', errorCode };
    const owner = whoseEntraRefusal({
      error: error.errorCode,
      ...(aadsts ? { aadsts: Number(aadsts) } : {}),
      ...(error.subError ? { suberror: error.subError } : {}),
      ...(status !== undefined ? { status } : {}),
      homeTenant,
    });
    if (owner === 'mailbox') return { kind: 'reconnect_required', errorCode };
    if (owner === 'tenant') return { kind: 'tenant_refused', errorCode };
    // Unconfirmed refusals stay invalid_client here; the client confirms them in the home tenant.
    if (owner === 'keyrelay' || owner === 'client_unconfirmed') return { kind: 'invalid_client', errorCode };
    if (status === 429 || (status !== undefined && status >= 500) || error.errorCode === 'temporarily_unavailable' || isNetworkErrorCode(error.errorCode)) {
      return { kind: 'unavailable', retryAfterSeconds: network?.lastRetryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS };
    }
    if (network?.lastRetryAfterSeconds !== undefined) {
      return { kind: 'unavailable', retryAfterSeconds: network.lastRetryAfterSeconds };
    }
    return { kind: 'rejected', errorCode };
  }
  return { kind: 'unavailable', retryAfterSeconds: network?.lastRetryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS };
}

function isNetworkErrorCode(code: string): boolean {
  return code === 'network_error' || code === 'endpoints_resolution_error' || code === 'post_request_failed' || code === 'get_request_failed';
}
