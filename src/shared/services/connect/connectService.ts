// Connect a mailbox (DESIGN §3, issue 4): /api/connect starts the Microsoft sign-in, /api/oauth/callback
// finishes it as one straight pipeline in the manner of oauth2-proxy — query → upstream error → cookie →
// state → redeem → id token → store cache → register → redirect — where each step returns early and
// nothing is written to Key Vault or Table storage, and no code is redeemed, before every check passed.
import { createHash } from 'node:crypto';
import { homeAccountIdsInCache } from '#src/shared/domain/mailboxes/mailboxCache.js';
import {
  type AttemptLimiter,
  type DeletableSecretStore,
  isStoreConflict,
  type MailboxRecord,
  type MailboxRegistry,
  OAuthClientError,
  type RedeemCodeRequest,
  type RedeemedCode,
  type SmtpAuthProbe,
  type UsedFlows,
} from '#src/shared/ports/index.js';
import type { SmtpAuthCheck } from '#src/shared/domain/connect/smtpAuth.js';
import type { Config } from '#src/shared/config.js';
import type { Clock } from '#src/shared/domain/clock.js';
import {
  authCookieName,
  clearedAuthCookieAttributes,
  constantTimeEqual,
  cookieValues,
  openAuthCookie,
  sealAuthCookie,
  type AuthCookieAttributes,
  type AuthCookiePayload,
} from '#src/shared/domain/connect/authCookie.js';
import {
  ADMIN_CONSENT_SCOPES,
  adminConsentUrl,
  buildAuthorizeUrl,
  CONNECT_SCOPES,
  EXTRA_CONSENT_SCOPES,
} from '#src/shared/domain/connect/authorizeRequest.js';
import { parseCallbackQuery } from '#src/shared/domain/connect/callbackQuery.js';
import type {
  ConnectFailureCode,
  ExplanationLinks,
  UpstreamSignInError,
} from '#src/shared/domain/connect/entraErrors.js';
import {
  mailboxCacheSecretName,
  validateIdTokenClaims,
  type MailboxIdentity,
} from '#src/shared/domain/connect/idTokenClaims.js';
import { canonicalMailboxAddress, validateLoginHint } from '#src/shared/domain/connect/loginHint.js';
import { createPkce, randomNonce, randomState } from '#src/shared/domain/connect/pkce.js';
import { isValidProductRef, MAX_PRODUCT_REF_LENGTH } from '#src/shared/domain/connect/productRef.js';
import { validateReturnUrl } from '#src/shared/domain/connect/returnUrl.js';
import {
  InvalidRequestError,
  MailboxTakenError,
  TooManyRequestsError,
  UpstreamUnavailableError,
} from '#src/shared/errors.js';
import { isTenantAllowed } from '#src/shared/domain/tenants.js';
import { credentialRefusedMessage } from '../clientCredentialRefusal.js';
import type { Logger } from '#src/shared/logger.js';
import { CACHE_WRITE_MIN_AGE_MS } from '../token/tokenService.js';
import type { AuditTrail } from '../audit/auditTrail.js';
import type { CookieKeyring } from './cookieKeyring.js';

/** What the connect flow needs from the OAuth client (MsalOAuthClient implements it). */
export interface ConnectOAuthClient {
  redeemCode(request: RedeemCodeRequest): Promise<RedeemedCode>;
  /**
   * Checks the signature only and returns the claims; the claims are validated by the domain. Rejects
   * with a jose error (see ID_TOKEN_REFUSAL_CODES) when the token does not verify; any other rejection
   * means the signing keys could not be fetched.
   */
  verifyIdTokenSignature(idToken: string, tenant: string): Promise<Record<string, unknown>>;
}

export type ConnectSettings = Pick<
  Config,
  | 'oauthClientId'
  | 'oauthTenant'
  | 'authorityHost'
  | 'publicBaseUrl'
  | 'redirectUri'
  | 'allowedReturnUrls'
  | 'allowedTenants'
  | 'connectAttemptsPerClientPerHour'
  | 'connectAttemptsPerTenantPerHour'
  | 'maxMailboxesPerTenant'
>;

export interface ConnectDependencies {
  settings: ConnectSettings;
  clock: Clock;
  keyring: CookieKeyring;
  oauthClient: ConnectOAuthClient;
  secretStore: DeletableSecretStore;
  mailboxRegistry: MailboxRegistry;
  usedFlows: UsedFlows;
  attemptLimiter: AttemptLimiter;
  /** One audit event per connect that reached a known identity (connected or refused). */
  audit?: AuditTrail;
  /** Checks SMTP AUTH with the access token the code redemption returned (no extra Entra call). */
  smtpAuthProbe: SmtpAuthProbe;
  logger: Logger;
}

export interface ConnectStartInput {
  returnUrl?: string;
  loginHint?: string;
  ref?: string;
  /** The browser's address as the platform saw it (clientAddress.ts), for the per-client limit. */
  clientAddress?: string;
}

/** A cookie to set, structurally the `Cookie` of @azure/functions' HttpResponseInit. */
export interface FlowCookie extends AuthCookieAttributes {
  name: string;
  value: string;
}

export interface ConnectStarted {
  authorizeUrl: string;
  cookie: FlowCookie;
}

/** Why the callback was refused, beyond the domain's codes. */
export type CallbackRejectionCode =
  ConnectFailureCode | 'id_token_bad_signature' | 'client_info_mismatch' | 'code_rejected';

/** Every outcome carries the cookies to clear, so that a used or broken flow cookie never lingers. */
export type CallbackOutcome =
  | {
      kind: 'connected';
      upn: string;
      ref?: string;
      smtpAuth: SmtpAuthCheck;
      redirectTo?: string;
      clearCookies: FlowCookie[];
    }
  | {
      kind: 'signInError';
      signInError: UpstreamSignInError;
      status: number;
      links: ExplanationLinks;
      clearCookies: FlowCookie[];
    }
  | { kind: 'rejected'; code: CallbackRejectionCode; links: ExplanationLinks; clearCookies: FlowCookie[] }
  /**
   * The admin-consent endpoint's answer. It carries no state of a flow this browser started, so
   * anyone can forge `admin_consent=True`: a success is never claimed, only a refusal is shown as such.
   */
  | { kind: 'adminConsent'; refused: boolean; clearCookies: FlowCookie[] };

export const MAX_CONNECT_QUERY_LENGTH = 8 * 1024;

const CONNECT_PARAMETERS: ReadonlySet<string> = new Set(['returnUrl', 'loginHint', 'ref']);

/**
 * Reads `returnUrl`, `loginHint` and `ref` from the raw query of /api/connect, refusing what URLSearchParams
 * would silently repair or pick from: duplicates, broken percent-encoding, invalid UTF-8. Other
 * parameters are ignored.
 */
export function parseConnectQuery(rawSearch: string): ConnectStartInput {
  const query = rawSearch.startsWith('?') ? rawSearch.slice(1) : rawSearch;
  if (query.length > MAX_CONNECT_QUERY_LENGTH) throw new InvalidRequestError('The query string is too long.');
  const input: ConnectStartInput = {};
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const separator = pair.indexOf('=');
    const name = strictDecode(separator === -1 ? pair : pair.slice(0, separator));
    if (!CONNECT_PARAMETERS.has(name)) continue;
    const parameter = name as keyof ConnectStartInput;
    if (input[parameter] !== undefined) throw new InvalidRequestError(`The parameter ${name} appears more than once.`);
    input[parameter] = strictDecode(separator === -1 ? '' : pair.slice(separator + 1));
  }
  return input;
}

function strictDecode(component: string): string {
  try {
    // decodeURIComponent throws on a broken escape and on bytes that are not UTF-8.
    return decodeURIComponent(component.replace(/\+/g, ' '));
  } catch {
    throw new InvalidRequestError('The query string is not valid percent-encoded UTF-8.');
  }
}

const CACHE_CONTENT_TYPE = 'application/json';
const HOUR_MS = 60 * 60 * 1000;
// DESIGN §5: a 409 from parallel writes of the same secret is retried.
const CACHE_WRITE_ATTEMPTS = 3;
// When discovery or the JWKS cannot be fetched: long enough for Entra's edge to recover.
const SIGNING_KEYS_RETRY_AFTER_SECONDS = 30;
/** keyrelay's own credential refused: the token route waits as long before asking Entra again. */
const CREDENTIAL_REFUSED_RETRY_AFTER_SECONDS = 60;

// jose's codes for an id token that does not verify against Entra's keys (forged, altered, unknown
// key, wrong algorithm, malformed or expired). Any other failure is an outage of discovery or the JWKS.
const ID_TOKEN_REFUSAL_CODES: ReadonlySet<string> = new Set([
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
  'ERR_JWS_INVALID',
  'ERR_JWT_INVALID',
  'ERR_JOSE_ALG_NOT_ALLOWED',
  'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JWT_CLAIM_VALIDATION_FAILED',
  'ERR_JWT_EXPIRED',
]);

function isIdTokenRefusal(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code } = error as { code?: unknown };
  return typeof code === 'string' && ID_TOKEN_REFUSAL_CODES.has(code);
}

/** A stable, non-reversible stand-in for a mailbox address in logs (the address is personal data). */
export function mailboxDigest(upn: string): string {
  return createHash('sha256').update(upn.toLowerCase(), 'utf8').digest('hex').slice(0, 16);
}

export class ConnectService {
  constructor(private readonly deps: ConnectDependencies) {}

  private get secure(): boolean {
    return this.deps.settings.publicBaseUrl.startsWith('https:');
  }

  async start(input: ConnectStartInput): Promise<ConnectStarted> {
    const { settings, clock, keyring, logger } = this.deps;
    let returnUrl: string | undefined;
    if (input.returnUrl !== undefined) {
      const checked = validateReturnUrl(input.returnUrl, settings.allowedReturnUrls);
      if (!checked.ok) {
        logger.warn('connect.failed', { code: `return_url_${checked.reason}` });
        throw new InvalidRequestError(
          'The return URL is not allowed: use an address of the product that sent you here.',
        );
      }
      returnUrl = checked.url;
    }
    let loginHint: string | undefined;
    if (input.loginHint !== undefined) {
      const checked = validateLoginHint(input.loginHint);
      if (!checked.ok) {
        logger.warn('connect.failed', { code: `login_hint_${checked.reason}` });
        throw new InvalidRequestError('The login hint must be a mailbox address such as user@contoso.com.');
      }
      loginHint = checked.loginHint;
    }

    if (input.ref !== undefined && !isValidProductRef(input.ref)) {
      logger.warn('connect.failed', { code: 'ref_invalid' });
      throw new InvalidRequestError(
        `The ref must be 1 to ${MAX_PRODUCT_REF_LENGTH} characters of A-Z, a-z, 0-9, '.', '_', '~' or '-'.`,
      );
    }

    // Abuse limit: sign-ins started per client address per hour, before any cookie or key is made.
    await this.withinLimit(
      `connect-client:${mailboxDigest(input.clientAddress ?? 'unknown')}`,
      settings.connectAttemptsPerClientPerHour,
    );

    const pkce = createPkce();
    const state = randomState();
    const nonce = randomNonce();
    const { version, key } = await keyring.currentKey();
    const sealed = sealAuthCookie(
      {
        state,
        codeVerifier: pkce.verifier,
        nonce,
        ...(returnUrl === undefined ? {} : { returnUrl }),
        ...(loginHint === undefined ? {} : { loginHint }),
        ...(input.ref === undefined ? {} : { ref: input.ref }),
      },
      key,
      clock,
      this.secure,
      // The key version travels with the cookie so that any instance can find the key that sealed it.
      version,
    );
    const authorizeUrl = buildAuthorizeUrl(settings.authorityHost, settings.oauthTenant, {
      clientId: settings.oauthClientId,
      redirectUri: settings.redirectUri,
      scopes: CONNECT_SCOPES,
      extraScopesToConsent: EXTRA_CONSENT_SCOPES,
      state,
      nonce,
      pkce,
      ...(loginHint === undefined ? {} : { loginHint }),
    });
    logger.info('connect.started', {
      returnUrl: returnUrl !== undefined,
      loginHint: loginHint !== undefined,
      ref: input.ref !== undefined,
    });
    return { authorizeUrl, cookie: sealed };
  }

  async complete(rawQuery: string, cookieHeader: string | null | undefined): Promise<CallbackOutcome> {
    const { settings, clock, logger } = this.deps;
    const query = parseCallbackQuery(rawQuery);

    if (query.kind === 'invalid') return this.reject(query.reason, []);

    if (query.kind === 'adminConsent') {
      logger.info('connect.admin_consent', {
        granted: query.granted,
        ...(query.tenant === undefined ? {} : { tid: query.tenant }),
      });
      return { kind: 'adminConsent', refused: !query.granted, clearCookies: [] };
    }

    if (query.kind === 'error') {
      const clearCookies = query.state === undefined ? [] : [this.clearedCookie(query.state)];
      // The cookie is only read here, for the return URL of the retry link; nothing is trusted from it.
      const flow = query.state === undefined ? undefined : await this.openFlowCookie(query.state, cookieHeader);
      const signInError: UpstreamSignInError = {
        error: query.error,
        ...(query.aadsts === undefined ? {} : { aadsts: query.aadsts }),
        ...(query.errorSubcode === undefined ? {} : { errorSubcode: query.errorSubcode }),
      };
      logger.warn('connect.failed', { code: `upstream_${query.error}`, aadsts: query.aadsts });
      const returnUrl = flow?.ok === true ? flow.payload.returnUrl : undefined;
      return { kind: 'signInError', signInError, status: 400, links: this.links(returnUrl), clearCookies };
    }

    const clearCookies = [this.clearedCookie(query.state)];
    const opened = await this.openFlowCookie(query.state, cookieHeader);
    if (!opened.ok) return this.reject(opened.code, clearCookies);
    const flow = opened.payload;
    // RFC 9700 §4.7.1: the state must be the one this browser's cookie was made for.
    if (!constantTimeEqual(flow.state, query.state)) return this.reject('state_mismatch', clearCookies, flow.returnUrl);
    // DESIGN §3: a flow is answered once; a replayed callback (cookie kept) is refused before any redemption.
    if (!(await this.deps.usedFlows.markUsed(flowId(flow.state), flow.expiresAt, clock.now()))) {
      return this.reject('flow_already_used', clearCookies, flow.returnUrl);
    }

    let redeemed: RedeemedCode;
    try {
      redeemed = await this.deps.oauthClient.redeemCode({
        tenant: settings.oauthTenant,
        code: query.code,
        codeVerifier: flow.codeVerifier,
        redirectUri: settings.redirectUri,
        scopes: [...CONNECT_SCOPES],
        nonce: flow.nonce,
      });
    } catch (error) {
      return this.redeemFailure(error, clearCookies, flow.returnUrl);
    }

    let claims: Record<string, unknown>;
    try {
      claims = await this.deps.oauthClient.verifyIdTokenSignature(redeemed.idToken, settings.oauthTenant);
    } catch (error) {
      if (isIdTokenRefusal(error)) return this.reject('id_token_bad_signature', clearCookies, flow.returnUrl);
      logger.warn('connect.failed', { code: 'signing_keys_unavailable' });
      throw new UpstreamUnavailableError(SIGNING_KEYS_RETRY_AFTER_SECONDS, undefined, { cause: error });
    }
    const validated = validateIdTokenClaims(claims, {
      clientId: settings.oauthClientId,
      nonce: flow.nonce,
      authorityHost: settings.authorityHost,
      allowedTenant: settings.oauthTenant,
      now: clock.now(),
    });
    if (!validated.ok) return this.reject(validated.code, clearCookies, flow.returnUrl);
    const { identity } = validated;
    // The cache is keyed by MSAL's home account (oid.tid from client_info); it must be the id token's user.
    if (redeemed.homeAccountId.toLowerCase() !== `${identity.oid}.${identity.tid}`) {
      return this.reject('client_info_mismatch', clearCookies, flow.returnUrl);
    }
    // DESIGN §3: only ALLOWED_TENANTS may connect, checked before anything is written anywhere.
    if (!isTenantAllowed(identity.tid, settings.allowedTenants)) {
      this.deps.logger.warn('connect.failed', { code: 'tenant_not_allowed', tid: identity.tid });
      this.auditConnect(identity, 'tenant_not_allowed');
      return { kind: 'rejected', code: 'tenant_not_allowed', links: this.links(flow.returnUrl), clearCookies };
    }
    // Abuse limits: completed sign-ins per tenant per hour, and mailboxes per tenant (a new identity only).
    await this.withinLimit(`connect-tenant:${identity.tid}`, settings.connectAttemptsPerTenantPerHour);
    if (await this.tenantIsFull(identity))
      return this.refuse(identity, 'tenant_mailbox_limit', clearCookies, flow.returnUrl);
    // DESIGN §3: the account that signed in must be the one the product named (the picker lets anyone choose).
    if (flow.loginHint !== undefined && !isAddress(flow.loginHint, identity.upn)) {
      return this.refuse(identity, 'account_mismatch', clearCookies, flow.returnUrl);
    }
    // DESIGN §3: an address is bound to one identity until that mailbox is disconnected.
    const holder = await this.deps.mailboxRegistry.get(identity.upn);
    if (holder !== undefined && !sameIdentity(holder, identity)) {
      return this.refuse(identity, 'mailbox_taken', clearCookies, flow.returnUrl);
    }

    const cacheSecretName = mailboxCacheSecretName(identity.tid, identity.oid);
    if (await this.cacheNeedsWrite(cacheSecretName, identity, holder)) {
      await this.storeTokenCache(cacheSecretName, redeemed.serializedCache, identity.tid);
    }
    // The redeemed token is the Outlook audience's (CONNECT_SCOPES): Exchange answers whether SMTP AUTH works.
    const smtpAuth = await this.deps.smtpAuthProbe.check(identity.upn, redeemed.accessToken);
    const now = clock.now();
    try {
      await this.deps.mailboxRegistry.upsert({
        upn: identity.upn,
        tenantId: identity.tid,
        objectId: identity.oid,
        cacheSecretName,
        connectedAt: now,
        lastRefreshAt: now,
        status: 'ok',
        ...(flow.ref === undefined ? {} : { ref: flow.ref }),
        smtpAuth: { ...smtpAuth, checkedAt: now },
      });
    } catch (error) {
      // Another identity bound the address between the check above and now: its row stands.
      if (error instanceof MailboxTakenError)
        return this.refuse(identity, 'mailbox_taken', clearCookies, flow.returnUrl);
      throw error;
    }
    logger.info('connect.completed', { tid: identity.tid, mailbox: mailboxDigest(identity.upn) });
    this.auditConnect(identity, 'connected');
    return {
      kind: 'connected',
      upn: identity.upn,
      smtpAuth,
      ...(flow.ref === undefined ? {} : { ref: flow.ref }),
      ...(flow.returnUrl === undefined
        ? {}
        : { redirectTo: connectedReturnUrl(flow.returnUrl, identity.upn, flow.ref) }),
      clearCookies,
    };
  }

  private async withinLimit(bucket: string, limit: number): Promise<void> {
    const decision = await this.deps.attemptLimiter.take(bucket, limit, HOUR_MS, this.deps.clock.now());
    if (decision.allowed) return;
    this.deps.logger.warn('connect.failed', { code: 'too_many_requests', bucket: bucket.split(':')[0] });
    throw new TooManyRequestsError(
      decision.retryAfterSeconds,
      'Too many mailbox connections were attempted in a short time. Try again later.',
    );
  }

  /** Whether a new identity would take its tenant past MAX_MAILBOXES_PER_TENANT. */
  private async tenantIsFull(identity: MailboxIdentity): Promise<boolean> {
    if ((await this.deps.mailboxRegistry.getByIdentity(identity.tid, identity.oid)) !== undefined) return false;
    const mailboxes = await this.deps.mailboxRegistry.list();
    const ofTenant = mailboxes.filter((record) => record.tenantId.toLowerCase() === identity.tid).length;
    return ofTenant >= this.deps.settings.maxMailboxesPerTenant;
  }

  /**
   * DESIGN §5: every write adds a Key Vault version forever, so a reconnect writes only when no cache
   * exists, the cache holds another account, the mailbox needs the new grant (unknown or
   * reconnect_required), or the stored copy is older than a few hours. Otherwise the stored refresh
   * token still works (a new sign-in does not revoke it) and the row alone is renewed.
   */
  private async cacheNeedsWrite(
    cacheSecretName: string,
    identity: MailboxIdentity,
    current: MailboxRecord | undefined,
  ): Promise<boolean> {
    if (current?.status !== 'ok') return true;
    const stored = await this.deps.secretStore.getSecret(cacheSecretName);
    if (stored === undefined) return true;
    if (!homeAccountIdsInCache(stored.value).includes(`${identity.oid}.${identity.tid}`)) return true;
    // The token service's rule for its own write-backs.
    return this.deps.clock.now().getTime() - stored.updatedOn.getTime() >= CACHE_WRITE_MIN_AGE_MS;
  }

  private async storeTokenCache(cacheSecretName: string, serializedCache: string, tid: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.deps.secretStore.setSecret(cacheSecretName, serializedCache, {
          contentType: CACHE_CONTENT_TYPE,
          // DESIGN §5: tags without personal data (the tenant id names an organisation, not a person).
          tags: { kind: 'mailbox-token-cache', managedBy: 'keyrelay', tid },
        });
        return;
      } catch (error) {
        if (!isStoreConflict(error) || attempt >= CACHE_WRITE_ATTEMPTS) throw error;
        // A disconnected mailbox's cache is soft-deleted and its name refused until recovered (Key Vault
        // soft delete); the write that follows replaces the recovered copy. Otherwise: a parallel write.
        const recovered = await this.deps.secretStore.recoverDeletedSecret(cacheSecretName);
        this.deps.logger.warn(recovered ? 'connect.cache_recovered' : 'connect.cache_write_conflict', { attempt });
      }
    }
  }

  private async openFlowCookie(
    state: string,
    cookieHeader: string | null | undefined,
  ): Promise<
    | { ok: true; payload: AuthCookiePayload }
    | { ok: false; code: 'cookie_missing' | 'cookie_invalid' | 'cookie_expired' }
  > {
    const name = authCookieName(state, this.secure);
    const values = cookieValues(cookieHeader, name);
    // Two cookies of one name: one was planted next to ours (cookie tossing).
    if (values.length > 1) return { ok: false, code: 'cookie_invalid' };
    const value = values[0];
    if (value === undefined || value === '') return { ok: false, code: 'cookie_missing' };
    const separator = value.indexOf('.');
    if (separator <= 0) return { ok: false, code: 'cookie_invalid' };
    const key = await this.deps.keyring.keyOfVersion(value.slice(0, separator));
    if (key === undefined) return { ok: false, code: 'cookie_invalid' };
    return openAuthCookie({ name, value: value.slice(separator + 1) }, key, this.deps.clock);
  }

  private redeemFailure(error: unknown, clearCookies: FlowCookie[], returnUrl: string | undefined): CallbackOutcome {
    if (!(error instanceof OAuthClientError)) throw error;
    const { failure } = error;
    if (failure.kind === 'unavailable') {
      this.deps.logger.warn('connect.failed', { code: 'upstream_unavailable' });
      throw new UpstreamUnavailableError(failure.retryAfterSeconds, undefined, { cause: error });
    }
    if (failure.kind === 'invalid_client') {
      // keyrelay's own credential was refused: nothing the person signing in can fix; nothing is stored.
      this.deps.logger.error('connect.failed', { code: `invalid_client_${failure.errorCode}` });
      throw new UpstreamUnavailableError(
        CREDENTIAL_REFUSED_RETRY_AFTER_SECONDS,
        credentialRefusedMessage(failure.fix),
        { cause: error },
      );
    }
    // MSAL compares the id token's nonce itself (FACTS.md) and refuses before we see the token.
    if (failure.kind === 'rejected' && failure.errorCode === 'nonce_mismatch') {
      return this.reject('id_token_nonce_mismatch', clearCookies, returnUrl);
    }
    // A replayed, expired or foreign code, or a verifier that does not match its challenge.
    this.deps.logger.warn('connect.failed', { code: 'code_rejected', upstream: failure.errorCode });
    return { kind: 'rejected', code: 'code_rejected', links: this.links(returnUrl), clearCookies };
  }

  private auditConnect(identity: MailboxIdentity, outcome: string): void {
    this.deps.audit?.record({ action: 'connect', mailbox: identity.upn, tenantId: identity.tid, outcome });
  }

  /** A refusal once the identity is known: it is audited. */
  private refuse(
    identity: MailboxIdentity,
    code: CallbackRejectionCode,
    clearCookies: FlowCookie[],
    returnUrl: string | undefined,
  ): CallbackOutcome {
    this.auditConnect(identity, code);
    return this.reject(code, clearCookies, returnUrl);
  }

  private reject(code: CallbackRejectionCode, clearCookies: FlowCookie[], returnUrl?: string): CallbackOutcome {
    this.deps.logger.warn('connect.failed', { code });
    return { kind: 'rejected', code, links: this.links(returnUrl), clearCookies };
  }

  private clearedCookie(state: string): FlowCookie {
    return { name: authCookieName(state, this.secure), value: '', ...clearedAuthCookieAttributes(this.secure) };
  }

  private links(returnUrl: string | undefined): ExplanationLinks {
    const { settings } = this.deps;
    const retry = new URL(`${settings.publicBaseUrl}/api/connect`);
    if (returnUrl !== undefined) retry.searchParams.set('returnUrl', returnUrl);
    return {
      adminConsentUrl: adminConsentUrl({
        authorityHost: settings.authorityHost,
        tenant: settings.oauthTenant,
        clientId: settings.oauthClientId,
        redirectUri: settings.redirectUri,
        scopes: ADMIN_CONSENT_SCOPES,
      }),
      retryUrl: retry.href,
    };
  }
}

function isAddress(raw: string, canonical: string): boolean {
  const address = canonicalMailboxAddress(raw);
  return address.ok && address.address === canonical;
}

/** The used-flow mark names a digest of the state, never the state itself. */
function flowId(state: string): string {
  return createHash('sha256').update(`keyrelay-flow/${state}`, 'utf8').digest('hex');
}

function sameIdentity(record: { tenantId: string; objectId: string }, identity: MailboxIdentity): boolean {
  return record.tenantId.toLowerCase() === identity.tid && record.objectId.toLowerCase() === identity.oid;
}

/** `returnUrl` with keyrelay=connected&mailbox=<upn>[&ref=<ref>] merged into its query (DESIGN §3). */
export function connectedReturnUrl(returnUrl: string, upn: string, ref?: string): string {
  const target = new URL(returnUrl);
  target.searchParams.set('keyrelay', 'connected');
  target.searchParams.set('mailbox', upn);
  if (ref !== undefined) target.searchParams.set('ref', ref);
  return target.href;
}
