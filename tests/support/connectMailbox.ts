// Connects a mailbox the way the callback does (DESIGN §5), for tests that need one: the Entra
// emulator's real sign-in page (fetch), MsalOAuthClient.redeemCode, then the MSAL cache into Key Vault
// `mbx-<digest>` and the registry row. Also the test-side helpers that read or age that cache.
import { ClientSecretCredential } from '@azure/identity';
import { decodeJwt } from 'jose';
import { signInThroughForm } from '../../dev/cloud/entraSignIn.js';
import { createKeyVaultSecretStore } from '#src/shared/adapters/keyVaultSecretStore.js';
import {
  buildAuthorizeUrl,
  CONNECT_SCOPES,
  EXTRA_CONSENT_SCOPES,
} from '#src/shared/domain/connect/authorizeRequest.js';
import { mailboxCacheSecretName } from '#src/shared/domain/connect/idTokenClaims.js';
import { createPkce, randomNonce, randomState } from '#src/shared/domain/connect/pkce.js';
import type { MailboxRecord } from '#src/shared/ports/index.js';
import type { TestStack } from './stack.js';

export interface ConnectedMailbox {
  upn: string;
  tenantId: string;
  objectId: string;
  cacheSecretName: string;
  record: MailboxRecord;
}

export async function connectMailbox(stack: TestStack, upn: string): Promise<ConnectedMailbox> {
  const { config, core } = stack;
  const pkce = createPkce();
  const state = randomState();
  const nonce = randomNonce();
  const authorizeUrl = buildAuthorizeUrl(config.authorityHost, config.oauthTenant, {
    clientId: config.oauthClientId,
    redirectUri: config.redirectUri,
    scopes: CONNECT_SCOPES,
    extraScopesToConsent: EXTRA_CONSENT_SCOPES,
    state,
    nonce,
    pkce,
    loginHint: upn,
  });
  const { redirect } = await signInThroughForm(authorizeUrl, { upn });
  const code = redirect.searchParams.get('code');
  if (!code || redirect.searchParams.get('state') !== state)
    throw new Error(`sign-in did not return a code: ${redirect.searchParams.get('error') ?? 'state mismatch'}`);
  const redeemed = await core.oauthClient.redeemCode({
    tenant: config.oauthTenant,
    code,
    codeVerifier: pkce.verifier,
    redirectUri: config.redirectUri,
    scopes: [...CONNECT_SCOPES],
    nonce,
  });
  const claims = decodeJwt(redeemed.idToken);
  const tenantId = String(claims.tid);
  const objectId = String(claims.oid);
  const cacheSecretName = mailboxCacheSecretName(tenantId, objectId);
  await core.secretStore.setSecret(cacheSecretName, redeemed.serializedCache, {
    tags: { kind: 'mailbox-token-cache', managedBy: 'keyrelay', tid: tenantId },
    contentType: 'application/json',
  });
  const now = core.clock.now();
  const record = await core.mailboxRegistry.upsert({
    upn: String(claims.preferred_username).toLowerCase(),
    tenantId,
    objectId,
    cacheSecretName,
    connectedAt: now,
    lastRefreshAt: now,
    status: 'ok',
  });
  return { upn: record.upn, tenantId, objectId, cacheSecretName, record };
}

interface SerializedMsalCache {
  AccessToken?: Record<string, { expires_on?: string; extended_expires_on?: string; secret?: string; target?: string }>;
}

/**
 * Moves the expiry of every access token in the mailbox's stored cache to `secondsLeft` from now
 * (through the real Key Vault API): what a cache written an hour ago looks like to a new instance.
 * With `writtenHoursAgo`, the new version is written while the local cloud's clock is set back, so Key
 * Vault dates it then (a fresh credential gets a token valid at that time).
 */
export async function ageStoredAccessTokens(
  stack: TestStack,
  mailbox: ConnectedMailbox,
  secondsLeft: number,
  writtenHoursAgo = 0,
): Promise<void> {
  const stored = await stack.core.secretStore.getSecret(mailbox.cacheSecretName);
  if (!stored) throw new Error('the mailbox has no stored cache');
  const cache = JSON.parse(stored.value) as SerializedMsalCache;
  const expiresOn = String(Math.floor(Date.now() / 1000) + secondsLeft);
  for (const token of Object.values(cache.AccessToken ?? {})) {
    token.expires_on = expiresOn;
    token.extended_expires_on = expiresOn;
  }
  const options = { tags: stored.tags, ...(stored.contentType ? { contentType: stored.contentType } : {}) };
  if (writtenHoursAgo === 0) {
    await stack.core.secretStore.setSecret(mailbox.cacheSecretName, JSON.stringify(cache), options);
    return;
  }
  const { settings } = stack;
  const credentialInThePast = new ClientSecretCredential(
    settings.AZURE_TENANT_ID!,
    settings.AZURE_CLIENT_ID!,
    settings.AZURE_CLIENT_SECRET!,
    {
      authorityHost: settings.AZURE_AUTHORITY_HOST!,
      disableInstanceDiscovery: true,
    },
  );
  stack.local.cloud.setClockOffset(-writtenHoursAgo * 60 * 60 * 1000);
  try {
    await createKeyVaultSecretStore(stack.config, credentialInThePast).setSecret(
      mailbox.cacheSecretName,
      JSON.stringify(cache),
      options,
    );
  } finally {
    stack.local.cloud.setClockOffset(0);
  }
}
