// POST /api/token as a use case (DESIGN §3, issue 5): hand out an SMTP (Outlook audience) or Graph access
// token with at least 10 minutes left. Warm path: the instance's memory, zero outbound calls. Cold path:
// one registry read, one Key Vault read, at most one Entra refresh, at most one Key Vault write, shared
// by every concurrent request for the same mailbox.
import { canonicalMailboxAddress } from '#src/shared/domain/connect/loginHint.js';
import { reconnectUrl } from '#src/shared/domain/connect/reconnectUrl.js';
import {
  type CachedAccount,
  type OAuthClient,
  type MailboxRecord,
  type MailboxRegistry,
  OAuthClientError,
  type OAuthFailure,
  type SecretStore,
  type SecretValue,
  StoreConflictError,
  StoreUnavailableError,
} from '#src/shared/ports/index.js';
import type { Clock } from '#src/shared/domain/clock.js';
import {
  ADMIN_CONSENT_SCOPES,
  adminConsentUrl,
  GRAPH_MAIL_SEND_SCOPE,
  SMTP_SEND_SCOPE,
} from '#src/shared/domain/connect/authorizeRequest.js';
import {
  errorName,
  KeyrelayError,
  MailboxNotConnectedError,
  ReconnectRequiredError,
  TenantNotAllowedError,
  UPSTREAM_UNAVAILABLE,
  UpstreamUnavailableError,
} from '#src/shared/errors.js';
import { isTenantAllowed, type AllowedTenants } from '#src/shared/domain/tenants.js';
import type { Logger } from '#src/shared/logger.js';
import type { AuditTrail } from '../audit/auditTrail.js';
import type { RegistryRebuild } from '../mailboxes/registryRebuild.js';
import type { CredentialAlarm } from './credentialAlarm.js';
import type { TokenRequest, TokenResource } from './tokenRequest.js';
import { credentialRefusedMessage } from '../clientCredentialRefusal.js';

/** Exchange rejects tokens about to expire: never hand out one with less than this left. */
export const MIN_TOKEN_LIFETIME_MS = 10 * 60 * 1000;
/** Below this a token is refreshed ahead of time; the old one still serves if Entra is down. */
export const PROACTIVE_REFRESH_MS = 15 * 60 * 1000;
/** Every Key Vault write adds a permanent version (DESIGN §5): a newer refresh token is stored at most this often. */
export const CACHE_WRITE_MIN_AGE_MS = 6 * 60 * 60 * 1000;
/** lastRefreshAt feeds the 90-day idle watch; hours of precision are plenty and save Table writes. */
export const REFRESH_RECORD_INTERVAL_MS = 6 * 60 * 60 * 1000;
const CACHE_WRITE_ATTEMPTS = 3;
/** When keyrelay's own credential is refused, retrying within a minute will not help. */
const INVALID_CLIENT_RETRY_AFTER_SECONDS = 60;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Delegated scope per resource (FACTS.md: SMTP XOAUTH2 needs the Outlook audience, Graph sendMail Mail.Send). */
export const RESOURCE_SCOPES: Readonly<Record<TokenResource, string>> = {
  smtp: SMTP_SEND_SCOPE,
  graph: GRAPH_MAIL_SEND_SCOPE,
};

/** The seed's SMTP settings for Microsoft 365 (DESIGN §3). */
export const SMTP_ENDPOINT = { host: 'smtp.office365.com', port: 587, security: 'STARTTLS' } as const;

export interface TokenGrant {
  /** The address of the account the token is for (the cached account's own, checked against the registry). */
  mailbox: string;
  /** The Entra tenant of that account. */
  tenantId: string;
  resource: TokenResource;
  tokenType: 'Bearer';
  accessToken: string;
  /** ISO 8601. */
  expiresOn: string;
  /** smtp only: base64 of `user=<upn>\x01auth=Bearer <token>\x01\x01`. */
  xoauth2?: string;
  smtp?: typeof SMTP_ENDPOINT;
}

export interface TokenService {
  getToken(request: TokenRequest): Promise<TokenGrant>;
  /** Refreshes the mailbox's grant now (the monitor keeps idle grants alive before Entra's 90 days). */
  keepAlive(mailbox: string): Promise<'refreshed' | 'reconnect_required'>;
  /** Drops what this instance holds for the mailbox (it was disconnected). */
  forget(mailbox: string): void;
}

/** The part of the OAuth client the token service needs. */
export type MailboxTokenClient = Pick<OAuthClient, 'acquireTokenSilently'>;

export interface TokenServiceDependencies {
  config: {
    publicBaseUrl: string;
    oauthTenant: string;
    allowedTenants: AllowedTenants;
    oauthClientId: string;
    authorityHost: string;
    redirectUri: string;
  };
  clock: Clock;
  secretStore: SecretStore;
  mailboxRegistry: MailboxRegistry;
  oauthClient: MailboxTokenClient;
  credentialAlarm: CredentialAlarm;
  logger: Logger;
  /** One audit event per hand-out or refusal. */
  audit?: AuditTrail;
  /** Tells a lost registry (empty while Key Vault holds mailbox caches) from an unknown mailbox. */
  registryLoss?: Pick<RegistryRebuild, 'registryLost'>;
}

/** While the registry is rebuilt from Key Vault (the monitor's next run): ask again in a minute. */
const REGISTRY_REBUILD_RETRY_AFTER_SECONDS = 60;
export const REGISTRY_REBUILDING_MESSAGE =
  'The mailbox registry is being rebuilt from the token caches in Key Vault; try again shortly.';

export function xoauth2String(mailbox: string, accessToken: string): string {
  return Buffer.from(`user=${mailbox}\x01auth=Bearer ${accessToken}\x01\x01`, 'utf8').toString('base64');
}

interface HeldToken {
  accessToken: string;
  expiresOn: Date;
  tenantId: string;
  /** The answer for this token, built once: the warm path only hands it out. */
  answer?: TokenGrant;
}

export function createTokenService(deps: TokenServiceDependencies): TokenService {
  const { clock, secretStore, mailboxRegistry, oauthClient, credentialAlarm, logger } = deps;
  /** Per (mailbox, resource): the warm path. */
  const heldTokens = new Map<string, HeldToken>();
  /** Per (mailbox, resource): the refresh every concurrent request for it awaits. */
  const inFlight = new Map<string, Promise<HeldToken>>();
  /** Per mailbox: the tail of its refreshes, run one after the other so they never race on Key Vault. */
  const mailboxQueues = new Map<string, Promise<unknown>>();
  /** Rows known to be `ok`, for the lastRefreshAt throttle; a cold path re-reads the registry anyway. */
  const knownRecords = new Map<string, MailboxRecord>();
  /** Until when Entra's last invalid_client is taken as the answer, without asking Key Vault or Entra again. */
  let credentialRefusedUntil = 0;
  let credentialRefusalFix: string | undefined;

  const keyOf = (mailbox: string, resource: TokenResource) => `${mailbox}\n${resource}`;
  const timeLeft = (token: { expiresOn: Date }) => token.expiresOn.getTime() - clock.now().getTime();
  const connectUrl = (mailbox: string) => reconnectUrl(deps.config.publicBaseUrl, mailbox);

  function grant(mailbox: string, resource: TokenResource, token: HeldToken): TokenGrant {
    if (token.answer?.mailbox !== mailbox || token.answer.resource !== resource) {
      const base = {
        mailbox,
        tenantId: token.tenantId,
        resource,
        tokenType: 'Bearer' as const,
        accessToken: token.accessToken,
        expiresOn: token.expiresOn.toISOString(),
      };
      // Frozen: the same object answers every warm request for this token.
      token.answer = Object.freeze(
        resource === 'smtp'
          ? { ...base, xoauth2: xoauth2String(mailbox, token.accessToken), smtp: Object.freeze({ ...SMTP_ENDPOINT }) }
          : base,
      );
    }
    return token.answer;
  }

  function forget(mailbox: string): void {
    knownRecords.delete(mailbox);
    for (const resource of Object.keys(RESOURCE_SCOPES) as TokenResource[]) heldTokens.delete(keyOf(mailbox, resource));
  }

  function oneAfterAnother<T>(mailbox: string, work: () => Promise<T>): Promise<T> {
    const previous = mailboxQueues.get(mailbox) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    mailboxQueues.set(mailbox, tail);
    void tail.then(() => {
      if (mailboxQueues.get(mailbox) === tail) mailboxQueues.delete(mailbox);
    });
    return next;
  }

  function refreshShared(mailbox: string, resource: TokenResource): Promise<HeldToken> {
    const key = keyOf(mailbox, resource);
    const pending = inFlight.get(key);
    if (pending) return pending;
    const refresh = oneAfterAnother(mailbox, () => coldPath(mailbox, resource, false)).finally(() =>
      inFlight.delete(key),
    );
    inFlight.set(key, refresh);
    return refresh;
  }

  function refreshInBackground(mailbox: string, resource: TokenResource): void {
    refreshShared(mailbox, resource).catch((error: unknown) => {
      // The held token keeps serving; the next request past the threshold tries again.
      logger.warn('token.background_refresh_failed', {
        resource,
        code: error instanceof KeyrelayError ? error.code : errorName(error),
      });
    });
  }

  async function loadRecord(mailbox: string): Promise<MailboxRecord> {
    const record = await mailboxRegistry.get(mailbox);
    // Another tenant's mailbox gets the same answer as an unknown one: nothing to learn from probing.
    const tenantMismatch =
      record !== undefined &&
      GUID.test(deps.config.oauthTenant) &&
      record.tenantId.toLowerCase() !== deps.config.oauthTenant.toLowerCase();
    if (record === undefined || tenantMismatch) {
      forget(mailbox);
      // DESIGN §5: after storage loss the mailbox is most likely connected, its row not yet rebuilt: never 404 then.
      if (record === undefined && (await registryLost())) {
        throw new UpstreamUnavailableError(REGISTRY_REBUILD_RETRY_AFTER_SECONDS, REGISTRY_REBUILDING_MESSAGE, {
          message: 'mailbox registry empty while Key Vault holds mailbox caches',
        });
      }
      throw new MailboxNotConnectedError();
    }
    // DESIGN §3: a tenant that left ALLOWED_TENANTS gets no more tokens; its rows stay (the monitor reports them).
    if (!isTenantAllowed(record.tenantId, deps.config.allowedTenants)) {
      forget(mailbox);
      throw new TenantNotAllowedError();
    }
    if (record.status === 'reconnect_required') {
      forget(mailbox);
      throw new ReconnectRequiredError(connectUrl(mailbox));
    }
    knownRecords.set(mailbox, record);
    return record;
  }

  async function registryLost(): Promise<boolean> {
    if (!deps.registryLoss) return false;
    try {
      return await deps.registryLoss.registryLost();
    } catch (cause) {
      // Cannot tell a lost registry from an unknown mailbox: a 404 could make the product drop a connected one.
      throw new UpstreamUnavailableError(REGISTRY_REBUILD_RETRY_AFTER_SECONDS, undefined, {
        cause,
        message: 'registry loss check failed',
      });
    }
  }

  /** The tenant's admin-consent link (v2, with the sign-in scopes): what a tenant that removed the app needs first. */
  const tenantConsentUrl = (tenantId: string) =>
    adminConsentUrl({
      authorityHost: deps.config.authorityHost,
      tenant: tenantId,
      clientId: deps.config.oauthClientId,
      redirectUri: deps.config.redirectUri,
      scopes: ADMIN_CONSENT_SCOPES,
    });

  async function requireReconnect(mailbox: string, errorCode: string, tenantId?: string): Promise<never> {
    forget(mailbox);
    logger.warn('token.reconnect_required', { errorCode });
    try {
      await mailboxRegistry.markReconnectRequired(mailbox, errorCode, clock.now());
    } catch (error) {
      // The answer is the same; the next cold request will reach Entra again and mark it then.
      logger.error('token.mark_reconnect_failed', { errorCode, reason: errorName(error) });
    }
    throw new ReconnectRequiredError(
      connectUrl(mailbox),
      tenantId === undefined ? {} : { adminConsentUrl: tenantConsentUrl(tenantId) },
    );
  }

  async function failureToError(
    mailbox: string,
    tenantId: string,
    failure: OAuthFailure,
    cause: unknown,
  ): Promise<never> {
    switch (failure.kind) {
      case 'reconnect_required':
        return requireReconnect(mailbox, failure.errorCode);
      case 'tenant_refused':
        // DESIGN §3: that tenant's problem: its mailboxes reconnect after its admin consents; no fail-fast, no alarm.
        return requireReconnect(mailbox, failure.errorCode, tenantId);
      case 'invalid_client':
        credentialRefusedUntil = clock.now().getTime() + INVALID_CLIENT_RETRY_AFTER_SECONDS * 1000;
        credentialRefusalFix = failure.fix;
        await credentialAlarm.raise(failure.errorCode);
        throw new UpstreamUnavailableError(INVALID_CLIENT_RETRY_AFTER_SECONDS, credentialRefusedMessage(failure.fix), {
          cause,
          message: `client credential refused: ${failure.errorCode}`,
        });
      case 'unavailable':
        logger.warn('token.entra_unavailable', { retryAfterSeconds: failure.retryAfterSeconds });
        throw new UpstreamUnavailableError(failure.retryAfterSeconds, undefined, { cause });
      case 'rejected':
        // Neither the grant nor keyrelay's credential: an app-registration or Entra problem an admin must look at.
        logger.error('token.entra_rejected', { errorCode: failure.errorCode });
        throw new UpstreamUnavailableError(INVALID_CLIENT_RETRY_AFTER_SECONDS, undefined, {
          cause,
          message: `Entra rejected the refresh: ${failure.errorCode}`,
        });
    }
  }

  async function acquire(
    mailbox: string,
    record: MailboxRecord,
    serializedCache: string,
    resource: TokenResource,
    forceRefresh: boolean,
  ): ReturnType<MailboxTokenClient['acquireTokenSilently']> {
    try {
      return await oauthClient.acquireTokenSilently({
        tenant: record.tenantId,
        homeAccountId: `${record.objectId}.${record.tenantId}`,
        serializedCache,
        scopes: [RESOURCE_SCOPES[resource]],
        forceRefresh,
      });
    } catch (error) {
      if (error instanceof OAuthClientError) return failureToError(mailbox, record.tenantId, error.failure, error);
      throw error;
    }
  }

  /** Every cold request would meet the same refusal (and an expired secret would cost a reload each): answer it now. */
  function failFastWhileCredentialRefused(): void {
    const remainingMs = credentialRefusedUntil - clock.now().getTime();
    if (remainingMs <= 0) return;
    throw new UpstreamUnavailableError(Math.ceil(remainingMs / 1000), credentialRefusedMessage(credentialRefusalFix), {
      message: 'client credential refused within the last minute',
    });
  }

  async function coldPath(mailbox: string, resource: TokenResource, forceRefresh: boolean): Promise<HeldToken> {
    const record = await loadRecord(mailbox);
    failFastWhileCredentialRefused();
    const stored = await secretStore.getSecret(record.cacheSecretName);
    if (stored === undefined || stored.value === '') return requireReconnect(mailbox, 'token_cache_missing');

    let result = await acquire(mailbox, record, stored.value, resource, forceRefresh);
    let refreshed = result.cacheChanged;
    let refreshTokenChanged = result.refreshTokenChanged;
    if (timeLeft(result) < PROACTIVE_REFRESH_MS) {
      // MSAL only refreshes 5 minutes before expiry; keyrelay wants a token that lasts a whole SMTP session.
      try {
        const forced = await acquire(mailbox, record, result.serializedCache, resource, true);
        refreshed ||= forced.cacheChanged;
        refreshTokenChanged ||= forced.refreshTokenChanged;
        result = forced;
      } catch (error) {
        if (!(isUpstreamOutage(error) && timeLeft(result) >= MIN_TOKEN_LIFETIME_MS)) throw error;
        logger.warn('token.refresh_failed_serving_cached', { resource });
      }
    }
    if (timeLeft(result) < MIN_TOKEN_LIFETIME_MS) {
      throw new UpstreamUnavailableError(60, undefined, {
        message: 'Entra issued an access token with less than 10 minutes left',
      });
    }
    // The token is handed out under the row's address only when the cache answers for that very identity
    // and address (a row written for one account must never lend another account's token).
    if (!cacheAnswersFor(record, result.account)) return requireReconnect(mailbox, 'cache_account_mismatch');

    const token: HeldToken = {
      accessToken: result.accessToken,
      expiresOn: result.expiresOn,
      tenantId: record.tenantId,
    };
    heldTokens.set(keyOf(mailbox, resource), token);
    if (refreshTokenChanged && clock.now().getTime() - stored.updatedOn.getTime() >= CACHE_WRITE_MIN_AGE_MS) {
      await writeCacheBack(mailbox, stored, result.serializedCache);
    }
    if (refreshed) await recordRefresh(mailbox, record);
    return token;
  }

  async function writeCacheBack(mailbox: string, stored: SecretValue, serializedCache: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await secretStore.setSecret(stored.name, serializedCache, {
          tags: stored.tags,
          ...(stored.contentType !== undefined && { contentType: stored.contentType }),
        });
        logger.info('token.cache_written', { attempt });
        return;
      } catch (error) {
        // A 409 means another instance wrote at the same moment: its refresh token works as well as ours.
        if (error instanceof StoreConflictError && attempt < CACHE_WRITE_ATTEMPTS) continue;
        const code =
          error instanceof StoreConflictError
            ? 'keyvault_conflict'
            : error instanceof StoreUnavailableError
              ? 'keyvault_unavailable'
              : 'keyvault_write_failed';
        // The refresh succeeded and the token is good: answer it; the stored refresh token still works.
        logger.error('token.cache_write_failed', { code, attempts: attempt });
        try {
          await mailboxRegistry.recordCacheWriteFailure(mailbox, code, clock.now());
        } catch (recordError) {
          logger.error('token.cache_write_failure_not_recorded', { code, reason: errorName(recordError) });
        }
        return;
      }
    }
  }

  async function recordRefresh(mailbox: string, record: MailboxRecord): Promise<void> {
    const now = clock.now();
    const known = knownRecords.get(mailbox) ?? record;
    if (now.getTime() - known.lastRefreshAt.getTime() < REFRESH_RECORD_INTERVAL_MS) return;
    try {
      const updated = await mailboxRegistry.recordRefresh(mailbox, now);
      if (updated?.status === 'ok') knownRecords.set(mailbox, updated);
    } catch (error) {
      logger.warn('token.record_refresh_failed', { reason: errorName(error) });
    }
  }

  async function handOut(request: TokenRequest): Promise<TokenGrant> {
    const mailbox = normaliseMailbox(request.mailbox);
    const { resource } = request;
    const held = heldTokens.get(keyOf(mailbox, resource));
    if (held && timeLeft(held) >= MIN_TOKEN_LIFETIME_MS) {
      // Long enough for a session: answer now; a token near its end is renewed behind the answer.
      if (timeLeft(held) < PROACTIVE_REFRESH_MS) refreshInBackground(mailbox, resource);
      return grant(mailbox, resource, held);
    }
    try {
      return grant(mailbox, resource, await refreshShared(mailbox, resource));
    } catch (error) {
      // Entra or Key Vault is down but the token we hold still lasts long enough: serve it.
      const current = heldTokens.get(keyOf(mailbox, resource));
      if (current && isUpstreamOutage(error) && timeLeft(current) >= MIN_TOKEN_LIFETIME_MS) {
        logger.warn('token.refresh_failed_serving_held', { resource });
        return grant(mailbox, resource, current);
      }
      throw error;
    }
  }

  return {
    async getToken(request) {
      const mailbox = normaliseMailbox(request.mailbox);
      const event = { action: 'token' as const, mailbox, resource: request.resource };
      try {
        const answer = await handOut(request);
        deps.audit?.record({ ...event, tenantId: answer.tenantId, outcome: 'issued' });
        return answer;
      } catch (error) {
        deps.audit?.record({ ...event, outcome: error instanceof KeyrelayError ? error.code : 'error' });
        throw error;
      }
    },

    forget(mailbox) {
      forget(normaliseMailbox(mailbox));
    },

    async keepAlive(mailbox) {
      const upn = normaliseMailbox(mailbox);
      try {
        await oneAfterAnother(upn, () => coldPath(upn, 'smtp', true));
        return 'refreshed';
      } catch (error) {
        if (error instanceof ReconnectRequiredError) return 'reconnect_required';
        throw error;
      }
    },
  };
}

function normaliseMailbox(mailbox: string): string {
  const address = canonicalMailboxAddress(mailbox.trim());
  return address.ok ? address.address : mailbox.trim().toLowerCase();
}

function cacheAnswersFor(record: MailboxRecord, account: CachedAccount): boolean {
  const username = canonicalMailboxAddress(account.username);
  return (
    account.homeAccountId.toLowerCase() === `${record.objectId}.${record.tenantId}`.toLowerCase() &&
    account.tenantId.toLowerCase() === record.tenantId.toLowerCase() &&
    username.ok &&
    username.address === record.upn
  );
}

function isUpstreamOutage(error: unknown): boolean {
  return (
    error instanceof UpstreamUnavailableError || (error instanceof KeyrelayError && error.code === UPSTREAM_UNAVAILABLE)
  );
}
