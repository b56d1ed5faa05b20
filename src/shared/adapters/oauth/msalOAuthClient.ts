// The OAuth client: MSAL Node behind a small interface. A new ConfidentialClientApplication is made
// for every operation (FACTS.md: a shared one leaked one user's sign-in into another's partition);
// what is expensive to repeat (authority metadata, JWKS) is cached per instance instead.
import { ConfidentialClientApplication, type AuthenticationResult, type ICachePlugin } from '@azure/msal-node';
import { systemClock, type Clock } from '#src/shared/domain/clock.js';
import {
  OAuthClientError,
  type ClientCredential,
  type ClientCredentialSource,
  type OAuthClient,
  type OAuthFailure,
  type RedeemCodeRequest,
  type RedeemedCode,
  type SilentTokenResult,
  type VerifyResult,
} from '#src/shared/ports/index.js';
import { graphAppScope, graphEndpointOfAuthority } from '../cloudEndpoints.js';
import { refreshTokenSecrets, SerializedCacheBridge } from './cacheBridge.js';
import { classifyOAuthError } from './classifyOAuthError.js';
import { IdTokenVerifier } from './idTokenVerifier.js';
import { DEFAULT_RETRY_AFTER_SECONDS, RetryingNetworkClient } from './retryingNetworkClient.js';

export interface OAuthClientSettings {
  clientId: string;
  /** e.g. https://login.microsoftonline.com (no trailing slash). */
  authorityHost: string;
  /** Home tenant of the app registration (client-credentials checks). */
  homeTenantId: string;
  /** Deadline of each HTTP attempt to Entra ID (default 10 s; Node's own is 300 s). */
  attemptTimeoutMs?: number;
}

/** keyrelay's client secret is read again from Key Vault after invalid_client at most this often. */
const CLIENT_SECRET_RELOAD_INTERVAL_MS = 60_000;

interface AuthorityMetadata {
  issuer: string;
  jwks_uri: string;
  authorization_endpoint: string;
  token_endpoint: string;
}

export class MsalOAuthClient implements OAuthClient {
  private readonly metadataByAuthority = new Map<string, Promise<string>>();
  private readonly idTokens: IdTokenVerifier;
  /** Counts the client-secret reloads started, so an operation can tell whether one began after it read its secret. */
  private reloadGeneration = 0;
  private lastReloadStartedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly settings: OAuthClientSettings,
    private readonly credential: ClientCredentialSource,
    private readonly clock: Clock = systemClock,
  ) {
    this.idTokens = new IdTokenVerifier(clock);
  }

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
      refreshTokenChanged:
        bridge.changed && refreshTokenSecrets(serializedCache) !== refreshTokenSecrets(request.serializedCache),
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
      await app.acquireTokenByClientCredential({
        scopes: [graphAppScope(graphEndpointOfAuthority(this.settings.authorityHost))],
        skipCache: true,
      });
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
  async verifyIdTokenSignature(idToken: string, tenant: string): Promise<Record<string, unknown>> {
    const metadata = JSON.parse(await this.authorityMetadata(this.authority(tenant))) as AuthorityMetadata;
    return this.idTokens.verifySignature(idToken, metadata.jwks_uri);
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
        throw new OAuthClientError(
          { kind: 'unavailable', retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS },
          { cause: error },
        );
      }
      try {
        const result = await operation(app);
        if (!result) throw new OAuthClientError({ kind: 'reconnect_required', errorCode: 'no_token' });
        return result;
      } catch (error) {
        if (error instanceof OAuthClientError)
          throw new OAuthClientError(this.withFix(error.failure), { cause: error.cause });
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
        if (failure.kind === 'invalid_client' && !homeTenant)
          failure = await this.confirmInHomeTenant(credential, failure);
        throw new OAuthClientError(this.withFix(failure), { cause: error });
      }
    }
  }

  private isHomeTenant(tenant: string): boolean {
    return tenant.toLowerCase() === this.settings.homeTenantId.toLowerCase();
  }

  private async confirmInHomeTenant(
    credential: ClientCredential,
    failure: OAuthFailure & { kind: 'invalid_client' },
  ): Promise<OAuthFailure> {
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
    if (this.clock.now().getTime() - this.lastReloadStartedAt < CLIENT_SECRET_RELOAD_INTERVAL_MS) return undefined;
    this.reloadGeneration++;
    this.lastReloadStartedAt = this.clock.now().getTime();
    return this.credential.reloadCredential();
  }

  private networkClient(): RetryingNetworkClient {
    return new RetryingNetworkClient(this.settings.attemptTimeoutMs, this.clock);
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
  const response = await network.sendGetRequestAsync<AuthorityMetadata>(
    `${authority}/v2.0/.well-known/openid-configuration`,
  );
  if (response.status !== 200 || !response.body.token_endpoint) {
    throw new Error(`authority metadata answered ${response.status}`);
  }
  return JSON.stringify(response.body);
}
