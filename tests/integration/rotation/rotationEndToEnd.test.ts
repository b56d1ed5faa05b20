// Issue 7's "done when": on the local cloud, a secret 20 days from expiry (inside the 30-day lead) is
// rotated while a connected mailbox keeps getting tokens — a token request between every step, each one
// a real refresh at Entra with the client secret the token service holds — and the old secret is removed
// after the overlap (the run's clock moved 8 days on). The running token service never restarts: it
// picks up the new secret from Key Vault when Entra first refuses the old one.
import { randomUUID } from 'node:crypto';
import { ConfidentialClientApplication, CryptoProvider } from '@azure/msal-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInThroughForm } from '../../../dev/cloud/entraSignIn.js';
import { KEYRELAY_APP_ID } from '../../../dev/cloud/index.js';
import { addDays } from '#src/shared/domain/monitor/expiryPolicy.js';
import { formatLogLine } from '#src/shared/logger.js';
import type { RotationServiceDependencies } from '#src/shared/services/rotation/rotationService.js';
import { createRunReportCredentialAlarm } from '#src/shared/services/token/credentialAlarm.js';
import { RESOURCE_SCOPES, createTokenService, type TokenService } from '#src/shared/services/token/tokenService.js';
import { OURS, startRotationRig, type RotationRig } from './rotationHarness.js';

const MAILBOX = 'mario.rossi@contoso.onmicrosoft.com';

let rig: RotationRig;
let tokens: TokenService;
const tokenLogLines: string[] = [];

async function connectMailbox(): Promise<void> {
  const { stack } = rig;
  const redirectUri = `${stack.config.publicBaseUrl}/api/oauth/callback`;
  const msal = new ConfidentialClientApplication({
    auth: {
      clientId: KEYRELAY_APP_ID,
      authority: stack.local.urls.authority('organizations'),
      clientSecret: stack.local.clientSecret,
      knownAuthorities: [new URL(stack.local.urls.entra).host],
    },
  });
  const pkce = await new CryptoProvider().generatePkceCodes();
  const nonce = randomUUID();
  const url = await msal.getAuthCodeUrl({
    scopes: [RESOURCE_SCOPES.smtp, 'offline_access'],
    redirectUri,
    codeChallenge: pkce.challenge,
    codeChallengeMethod: 'S256',
    nonce,
    loginHint: MAILBOX,
  });
  const { redirect } = await signInThroughForm(url, { upn: MAILBOX });
  const code = redirect.searchParams.get('code');
  if (!code) throw new Error('sign-in returned no code');
  const redeemed = await stack.core.oauthClient.redeemCode({
    tenant: 'organizations',
    code,
    codeVerifier: pkce.verifier,
    redirectUri,
    scopes: [RESOURCE_SCOPES.smtp],
    nonce,
  });
  const [objectId, tenantId] = redeemed.homeAccountId.split('.') as [string, string];
  const cacheSecretName = 'mbx-rotation-e2e';
  await stack.core.secretStore.setSecret(cacheSecretName, redeemed.serializedCache, {
    contentType: 'application/json',
  });
  const now = new Date();
  await stack.core.mailboxRegistry.upsert({
    upn: MAILBOX,
    tenantId,
    objectId,
    cacheSecretName,
    connectedAt: now,
    lastRefreshAt: now,
    status: 'ok',
  });
}

/** One token request that must reach Entra with the client secret (keepAlive forces the refresh), then one served. */
async function mailStillFlows(): Promise<void> {
  expect(await tokens.keepAlive(MAILBOX)).toBe('refreshed');
  const grant = await tokens.getToken({ mailbox: MAILBOX, resource: 'smtp' });
  expect(grant.xoauth2).toBeTruthy();
}

beforeAll(async () => {
  rig = await startRotationRig();
  await connectMailbox();
  const logger = {
    info: (event: string, properties?: Record<string, string | number | boolean | undefined>) =>
      tokenLogLines.push(formatLogLine(event, properties)),
    warn: (event: string, properties?: Record<string, string | number | boolean | undefined>) =>
      tokenLogLines.push(formatLogLine(event, properties)),
    error: (event: string, properties?: Record<string, string | number | boolean | undefined>) =>
      tokenLogLines.push(formatLogLine(event, properties)),
  };
  const { core } = rig.stack;
  tokens = createTokenService({
    config: core.config,
    clock: core.clock,
    secretStore: core.secretStore,
    mailboxRegistry: core.mailboxRegistry,
    oauthClient: core.oauthClient,
    credentialAlarm: createRunReportCredentialAlarm(core.runReports, core.clock, logger),
    logger,
  });
});

afterAll(async () => {
  await rig?.close();
});

describe('rotation end to end', () => {
  it('rotates 30 days before expiry while tokens keep flowing, and removes the old secret after the overlap', async () => {
    await mailStillFlows();
    const now = new Date();
    // The new secret takes a while to work: the run retries, tokens flow meanwhile.
    rig.app.newPasswordActivation = { rejectedAttempts: 2 };
    let step: string | undefined;
    const interleaved: Partial<RotationServiceDependencies> = {
      rotationStore: {
        get: (appId) => rig.stack.core.rotationStore.get(appId),
        create: (record) => rig.stack.core.rotationStore.create(record),
        close: (appId, etag) => rig.stack.core.rotationStore.close(appId, etag),
        listHistory: (appId) => rig.stack.core.rotationStore.listHistory(appId),
        // After every saved step: the invariants hold and a mailbox still gets a token.
        update: async (record, etag) => {
          const saved = await rig.stack.core.rotationStore.update(record, etag);
          step = record.step;
          await rig.assertInvariants();
          await mailStillFlows();
          return saved;
        },
      },
    };
    const rotated = await rig.service(interleaved).advance({ runId: 'run-1', now });
    expect(rotated.step).toBe('switched');
    expect(step).toBe('switched');
    expect(rig.app.passwordCredentials.map((password) => password.keyId)).toContain(rig.initialKeyId);
    await mailStillFlows();

    const waiting = await rig.service(interleaved).advance({ runId: 'run-2', now: addDays(now, 3) });
    expect(waiting.step).toBe('switched');
    const removed = await rig.service(interleaved).advance({ runId: 'run-3', now: addDays(now, 8) });
    expect(removed).toMatchObject({ step: 'old_removed', removedKeyId: rig.initialKeyId });
    expect(rig.app.passwordCredentials.map((password) => password.keyId)).not.toContain(rig.initialKeyId);
    expect(rig.app.passwordCredentials.filter((password) => password.displayName?.startsWith(OURS))).toHaveLength(1);
    // The token service still held the old secret: Entra refuses it now, it reloads from Key Vault once.
    await mailStillFlows();
    await rig.assertInvariants();
    expect(removed.history).toHaveLength(1);
    const timestamps = removed.history[0]?.stepTimestamps;
    expect(timestamps?.switched).toBeInstanceOf(Date);
    expect(timestamps?.old_removed).toBeInstanceOf(Date);
    for (const line of tokenLogLines) expect(line).not.toContain(rig.stack.local.clientSecret);
  });
});
