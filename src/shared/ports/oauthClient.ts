// The OAuth client (Entra ID through MSAL, src/shared/adapters/oauth/): redeem a code, a mailbox's token
// from its cache, verify the app's own credential, verify an id token's signature.

/** What MSAL presents to Entra for the app itself: a client secret, or a client assertion callback. */
export type ClientCredential = { clientSecret: string } | { clientAssertion: () => Promise<string> };

/**
 * The OAuth client's own credential (DESIGN §2): one port, two kinds (`secret`, `federated`). Connect,
 * token and the monitor use it only through the OAuth client and never learn which kind it is.
 */
export interface ClientCredentialSource {
  getCredential(): Promise<ClientCredential>;
  /** Forget the cached value and read it again (after Entra answered invalid_client). */
  reloadCredential(): Promise<ClientCredential>;
  /** What an administrator must do when Entra refuses this credential with `errorCode` (public text), if this kind knows better than the generic advice. */
  fixFor?(errorCode: string): string | undefined;
}

export interface RedeemCodeRequest {
  /** Tenant of the authority that redeems the code (the sign-in audience). */
  tenant: string;
  code: string;
  codeVerifier: string;
  redirectUri: string;
  scopes: string[];
  nonce: string;
}

export interface RedeemedCode {
  idToken: string;
  homeAccountId: string;
  accessToken: string;
  expiresOn: Date;
  serializedCache: string;
}

export interface SilentTokenResult {
  accessToken: string;
  expiresOn: Date;
  serializedCache: string;
  /** True when MSAL wrote anything to the cache (a refresh happened). */
  cacheChanged: boolean;
  /** True when the refresh token in the cache differs from the one loaded. */
  refreshTokenChanged: boolean;
  /** The account the cache answered for, as MSAL holds it (the token's own identity). */
  account: CachedAccount;
}

export interface CachedAccount {
  /** `oid.tid`. */
  homeAccountId: string;
  tenantId: string;
  /** The account's `preferred_username` as last seen in an id token. */
  username: string;
}

/** Why a token operation failed, in keyrelay's terms. */
export type OAuthFailure =
  | { kind: 'reconnect_required'; errorCode: string }
  /** keyrelay's own credential was refused, as confirmed in its home tenant: every mailbox is affected. `fix`: what an administrator must do, named by the credential kind (public text, never a secret). */
  | { kind: 'invalid_client'; errorCode: string; fix?: string | undefined }
  /** One customer tenant refused the app (removed or disabled there, AADSTS700016): that tenant's mailboxes only. */
  | { kind: 'tenant_refused'; errorCode: string }
  | { kind: 'unavailable'; retryAfterSeconds: number }
  | { kind: 'rejected'; errorCode: string };

export type VerifyResult = { ok: true } | { ok: false; failure: OAuthFailure };

export class OAuthClientError extends Error {
  constructor(
    readonly failure: OAuthFailure,
    options?: { cause?: unknown },
  ) {
    super(`OAuth operation failed: ${failure.kind}`, options);
    this.name = 'OAuthClientError';
  }
}

export interface SilentTokenRequest {
  tenant: string;
  homeAccountId: string;
  serializedCache: string;
  scopes: string[];
  forceRefresh: boolean;
}

/** The OAuth client as the services use it (src/shared/adapters/oauth/msalOAuthClient.ts implements it). */
export interface OAuthClient {
  /** The v2 authorize endpoint of the sign-in tenant (usually `organizations`). */
  authorizeEndpoint(tenant: string): string;
  redeemCode(request: RedeemCodeRequest): Promise<RedeemedCode>;
  /** A token for the mailbox from its cache, refreshing through Entra when needed or forced. */
  acquireTokenSilently(request: SilentTokenRequest): Promise<SilentTokenResult>;
  /** Proves that a client secret works (a client-credentials token from the home tenant); never throws. */
  verifyClientSecret(clientSecret: string): Promise<VerifyResult>;
  /** Proves that the credential in use works, whatever its kind; never throws. */
  verifyClientCredential(): Promise<VerifyResult>;
  /** Verifies the id token's signature against the tenant's JWKS; returns its claims (validated by the domain). */
  verifyIdTokenSignature(idToken: string, tenant: string): Promise<Record<string, unknown>>;
}
