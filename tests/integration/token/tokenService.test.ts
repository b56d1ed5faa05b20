// The token service with the real SDKs against the local cloud and Azurite: what each request costs
// in calls (emulator request log) and how every failure of issue 5 is answered.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MailboxNotConnectedError, ReconnectRequiredError, UpstreamUnavailableError } from '#src/shared/errors.js';
import { MsalOAuthClient } from '#src/shared/adapters/oauth/msalOAuthClient.js';
import { createTokenServiceFor } from '#src/shared/runtime/token.js';
import { FABRIKAM_TENANT_ID, KEYRELAY_APP_ID } from '../../../dev/cloud/index.js';
import { CREDENTIAL_ALARM_RUN_PREFIX } from '#src/shared/services/token/credentialAlarm.js';
import { ageStoredAccessTokens, connectMailbox, type ConnectedMailbox } from '../../support/connectMailbox.js';
import { rejection } from '../../support/rejection.js';
import { startTestStack, type TestStack } from '../../support/stack.js';

const MARIO = 'mario.rossi@contoso.onmicrosoft.com';
const GIULIA = 'giulia.bianchi@contoso.onmicrosoft.com';
const NEWSLETTER = 'newsletter@contoso.onmicrosoft.com';
const ANNA = 'anna.verdi@fabrikam.onmicrosoft.com';
const MARKETING = 'marketing@fabrikam.onmicrosoft.com';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.close();
});

afterEach(() => {
  stack.local.cloud.clearFaults();
});

/** A new instance: empty memory, as after a cold start or on another worker. */
const newInstance = () => createTokenServiceFor(stack.core);

function calls(service: 'entra' | 'keyvault', route: string): number {
  return stack.local.cloud.countRequests(service, route);
}

describe('token service after a connect', () => {
  let mario: ConnectedMailbox;
  beforeAll(async () => {
    mario = await connectMailbox(stack, MARIO);
  });

  it('smtp: xoauth2 decodes to the mailbox and an Entra token for the Outlook audience', async () => {
    const grant = await newInstance().getToken({ mailbox: MARIO, resource: 'smtp' });
    expect(Buffer.from(grant.xoauth2!, 'base64').toString('utf8')).toBe(
      `user=${MARIO}\x01auth=Bearer ${grant.accessToken}\x01\x01`,
    );
    const claims = await stack.local.verifier.verify(grant.accessToken, 'https://outlook.office.com');
    expect(claims).toMatchObject({ upn: MARIO, tid: mario.tenantId, oid: mario.objectId, scp: 'SMTP.Send' });
    expect(Date.parse(grant.expiresOn) - Date.now()).toBeGreaterThanOrEqual(10 * 60 * 1000);
  });

  it('graph: an Entra token for the Graph audience with Mail.Send', async () => {
    const grant = await newInstance().getToken({ mailbox: MARIO, resource: 'graph' });
    const claims = await stack.local.verifier.verify(grant.accessToken, 'https://graph.microsoft.com');
    expect(claims).toMatchObject({ upn: MARIO, scp: 'Mail.Send' });
    expect(grant.xoauth2).toBeUndefined();
  });

  it('a warm request makes no outbound call at all', async () => {
    const service = newInstance();
    await service.getToken({ mailbox: MARIO, resource: 'smtp' });
    stack.local.cloud.clearRequestLog();
    await service.getToken({ mailbox: MARIO, resource: 'smtp' });
    expect(stack.local.cloud.requestLog().entries).toEqual([]);
  });
});

describe('cold requests on an expired token', () => {
  it('50 concurrent requests: one Entra refresh, one cache read, no write for a fresh stored copy', async () => {
    const mailbox = await connectMailbox(stack, GIULIA);
    await ageStoredAccessTokens(stack, mailbox, -60);
    const service = newInstance();
    stack.local.cloud.clearRequestLog();
    const grants = await Promise.all(
      Array.from({ length: 50 }, () => service.getToken({ mailbox: GIULIA, resource: 'smtp' })),
    );
    expect(new Set(grants.map((grant) => grant.accessToken)).size).toBe(1);
    expect(calls('entra', 'token.refresh_token')).toBe(1);
    expect(calls('keyvault', 'secrets.get')).toBeLessThanOrEqual(2); // the cache, and keyrelay's client secret once per instance
    expect(calls('keyvault', 'secrets.set')).toBe(0);
  });

  it('writes the refreshed cache back once when the stored copy is over 6 hours old', async () => {
    const mailbox = await connectMailbox(stack, GIULIA);
    await ageStoredAccessTokens(stack, mailbox, -60, 7);
    const versionsBefore = versionCount(mailbox.cacheSecretName);
    stack.local.cloud.clearRequestLog();
    await newInstance().getToken({ mailbox: GIULIA, resource: 'smtp' });
    expect(calls('entra', 'token.refresh_token')).toBe(1);
    expect(calls('keyvault', 'secrets.set')).toBe(1);
    expect(versionCount(mailbox.cacheSecretName)).toBe(versionsBefore + 1);
    // Later cold requests find a fresh copy: no further refresh is needed and nothing is written.
    stack.local.cloud.clearRequestLog();
    await newInstance().getToken({ mailbox: GIULIA, resource: 'smtp' });
    expect(calls('keyvault', 'secrets.set')).toBe(0);
    expect(calls('entra', 'token.refresh_token')).toBe(0);
  });

  it('a Key Vault write failure after a successful refresh still answers the token and records the failure', async () => {
    const mailbox = await connectMailbox(stack, NEWSLETTER);
    await ageStoredAccessTokens(stack, mailbox, -60, 7);
    stack.local.cloud.injectFault({
      service: 'keyvault',
      route: 'secrets.set',
      kind: 'status',
      status: 503,
      retryAfterSeconds: 0,
      remaining: Infinity,
    });
    const grant = await newInstance().getToken({ mailbox: NEWSLETTER, resource: 'smtp' });
    await stack.local.verifier.verify(grant.accessToken, 'https://outlook.office.com');
    const record = await stack.core.mailboxRegistry.get(NEWSLETTER);
    expect(record?.cacheWriteFailure?.code).toBe('keyvault_unavailable');
  });
});

function versionCount(name: string): number {
  return stack.local.cloud.state().keyVault.find((secret) => secret.name === name)?.versionCount ?? 0;
}

describe('failure mapping', () => {
  it('unknown mailbox -> mailbox_not_connected, no Key Vault or Entra call', async () => {
    const service = newInstance();
    stack.local.cloud.clearRequestLog();
    await expect(
      service.getToken({ mailbox: 'nobody@contoso.onmicrosoft.com', resource: 'smtp' }),
    ).rejects.toBeInstanceOf(MailboxNotConnectedError);
    expect(stack.local.cloud.requestLog().entries).toEqual([]);
  });

  it('a revoked grant -> reconnect_required with the Entra code recorded, then no more Entra calls', async () => {
    const mailbox = await connectMailbox(stack, ANNA);
    await ageStoredAccessTokens(stack, mailbox, -60);
    stack.local.cloud.revokeUser(ANNA);
    const service = newInstance();
    const error = await rejection(service.getToken({ mailbox: ANNA, resource: 'smtp' }));
    expect(error).toBeInstanceOf(ReconnectRequiredError);
    expect((error as ReconnectRequiredError).connectUrl).toBe(
      `${stack.config.publicBaseUrl}/api/connect?loginHint=${encodeURIComponent(ANNA)}`,
    );
    expect(await stack.core.mailboxRegistry.get(ANNA)).toMatchObject({
      status: 'reconnect_required',
      lastErrorCode: 'AADSTS50173',
    });
    stack.local.cloud.clearRequestLog();
    await expect(newInstance().getToken({ mailbox: ANNA, resource: 'graph' })).rejects.toBeInstanceOf(
      ReconnectRequiredError,
    );
    expect(calls('entra', 'token.refresh_token')).toBe(0);
  });

  it('invalid_client twice (before and after reloading the secret) -> 503 and a credential alarm', async () => {
    const mailbox = await connectMailbox(stack, MARIO);
    await ageStoredAccessTokens(stack, mailbox, -60);
    stack.local.cloud.injectFault({
      service: 'entra',
      route: 'token.refresh_token',
      kind: 'invalid_client',
      aadsts: 7000222,
      remaining: 2,
    });
    const error = await rejection(newInstance().getToken({ mailbox: MARIO, resource: 'smtp' }));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(calls('entra', 'token.refresh_token')).toBeGreaterThanOrEqual(2);
    const alarms = (await stack.core.runReports.latest(20)).filter((report) =>
      report.runId.startsWith(CREDENTIAL_ALARM_RUN_PREFIX),
    );
    expect(alarms.flatMap((report) => report.errors)).toContain('credential_rejected:AADSTS7000222');
    expect((await stack.core.mailboxRegistry.get(MARIO))?.status).toBe('ok');
  });

  it('Entra 503 on every try -> upstream_unavailable with its Retry-After', async () => {
    const mailbox = await connectMailbox(stack, MARIO);
    await ageStoredAccessTokens(stack, mailbox, -60);
    stack.local.cloud.injectFault({
      service: 'entra',
      route: 'token.refresh_token',
      kind: 'status',
      status: 503,
      retryAfterSeconds: 0,
      remaining: Infinity,
    });
    const error = await rejection(newInstance().getToken({ mailbox: MARIO, resource: 'smtp' }));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as UpstreamUnavailableError).retryAfterSeconds).toBe(0);
  });

  it('Entra 429 while the stored token still has 12 minutes -> that token is served', async () => {
    const mailbox = await connectMailbox(stack, MARIO);
    await ageStoredAccessTokens(stack, mailbox, 12 * 60);
    stack.local.cloud.injectFault({
      service: 'entra',
      route: 'token.refresh_token',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 0,
      remaining: Infinity,
    });
    const grant = await newInstance().getToken({ mailbox: MARIO, resource: 'smtp' });
    // The stored token (12 minutes left), not a fresh one (60 minutes).
    const minutesLeft = (Date.parse(grant.expiresOn) - Date.now()) / 60_000;
    expect(minutesLeft).toBeGreaterThan(10);
    expect(minutesLeft).toBeLessThanOrEqual(12);
    expect(calls('entra', 'token.refresh_token')).toBeGreaterThan(0);
  });

  it('a Key Vault 429 storm on half the reads: every caller still gets its token', async () => {
    const mailboxes = await Promise.all([MARIO, GIULIA].map((upn) => connectMailbox(stack, upn)));
    const instances = Array.from({ length: 10 }, () => newInstance());
    // Warm each instance's client secret so the storm hits the mailbox cache reads.
    await Promise.all(instances.map((instance) => instance.getToken({ mailbox: MARIO, resource: 'graph' })));
    stack.local.cloud.clearRequestLog();
    // Retry-After 1 s: the SDK's retries come after every caller's first read has met the storm, so the
    // storm hits exactly the first read of each caller (half of all reads), whatever the machine's load.
    stack.local.cloud.injectFault({
      service: 'keyvault',
      route: 'secrets.get',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 1,
      remaining: 10,
    });
    const requests = instances.flatMap((instance, index) => {
      const mailbox = mailboxes[index % 2]!;
      return [instance.getToken({ mailbox: mailbox.upn, resource: 'smtp' }).then((grant) => ({ mailbox, grant }))];
    });
    const answers = await Promise.all(requests);
    for (const { mailbox, grant } of answers) {
      expect(grant.mailbox).toBe(mailbox.upn);
      expect(await stack.local.verifier.verify(grant.accessToken, 'https://outlook.office.com')).toMatchObject({
        upn: mailbox.upn,
      });
    }
    const reads = stack.local.cloud
      .requestLog()
      .entries.filter((entry) => entry.service === 'keyvault' && entry.route === 'secrets.get');
    expect(reads.filter((entry) => entry.status === 429)).toHaveLength(10);
    expect(reads.filter((entry) => entry.status === 200)).toHaveLength(10);
  });

  it('Key Vault 503 that does not clear -> upstream_unavailable with Retry-After', async () => {
    await connectMailbox(stack, MARIO);
    stack.local.cloud.injectFault({
      service: 'keyvault',
      route: 'secrets.get',
      kind: 'status',
      status: 503,
      retryAfterSeconds: 1,
      remaining: Infinity,
    });
    const error = await rejection(newInstance().getToken({ mailbox: MARIO, resource: 'smtp' }));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as UpstreamUnavailableError).retryAfterSeconds).toBe(1);
  });
});

/** A new instance with an OAuth client of its own (its own memory of reloads, its own Entra timeout). */
function newInstanceWithOwnOAuthClient(attemptTimeoutMs?: number) {
  const { config, clientCredential } = stack.core;
  const oauthClient = new MsalOAuthClient(
    {
      clientId: config.oauthClientId,
      authorityHost: config.authorityHost,
      homeTenantId: config.azureTenantId,
      ...(attemptTimeoutMs !== undefined && { attemptTimeoutMs }),
    },
    clientCredential,
  );
  return createTokenServiceFor({ ...stack.core, oauthClient });
}

describe('a stalled or refusing Entra ID', () => {
  it('a stalled Entra token endpoint (emulator latency fault longer than the timeout) answers 503 upstream_unavailable within the timeout', async () => {
    const mailbox = await connectMailbox(stack, MARIO);
    await ageStoredAccessTokens(stack, mailbox, -60);
    const timeoutMs = 1_000;
    const stallMs = 10_000;
    stack.local.cloud.injectFault({
      service: 'entra',
      route: 'token.refresh_token',
      kind: 'latency',
      latencyMs: stallMs,
      remaining: Infinity,
    });
    const service = newInstanceWithOwnOAuthClient(timeoutMs);
    const started = performance.now();
    const error = await rejection(service.getToken({ mailbox: MARIO, resource: 'smtp' }));
    const elapsedMs = performance.now() - started;
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as UpstreamUnavailableError).retryAfterSeconds).toBeGreaterThan(0);
    // One attempt, cut at the timeout (three would take 3 s): a retry would only wait as long again.
    expect(elapsedMs).toBeGreaterThanOrEqual(timeoutMs);
    expect(elapsedMs).toBeLessThan(2.5 * timeoutMs);
  });

  it('after invalid_client, parallel cold requests share one reload of the client secret and the next cold requests within a minute call neither Entra nor Key Vault', async () => {
    const upns = [MARIO, GIULIA, NEWSLETTER];
    for (const mailbox of await Promise.all(upns.map((upn) => connectMailbox(stack, upn))))
      await ageStoredAccessTokens(stack, mailbox, -60);
    await stack.core.clientCredential.getCredential();
    const service = newInstanceWithOwnOAuthClient();
    stack.local.cloud.injectFault({
      service: 'entra',
      route: 'token.refresh_token',
      kind: 'invalid_client',
      aadsts: 7000215,
      remaining: Infinity,
    });
    stack.local.cloud.clearRequestLog();
    const errors = await Promise.all(
      upns.map((upn) => rejection(service.getToken({ mailbox: upn, resource: 'smtp' }))),
    );
    for (const error of errors) expect(error).toBeInstanceOf(UpstreamUnavailableError);
    // Three mailbox caches and one shared reload of keyrelay's client secret.
    expect(calls('keyvault', 'secrets.get')).toBe(upns.length + 1);
    expect(calls('entra', 'token.refresh_token')).toBeLessThanOrEqual(2 * upns.length);

    stack.local.cloud.clearRequestLog();
    const again = await Promise.all(
      upns.map((upn) => rejection(service.getToken({ mailbox: upn, resource: 'graph' }))),
    );
    for (const error of again) expect((error as UpstreamUnavailableError).retryAfterSeconds).toBeGreaterThan(0);
    expect(calls('entra', 'token.refresh_token')).toBe(0);
    expect(calls('keyvault', 'secrets.get')).toBe(0);
  });
});

// DESIGN §3: a problem of one customer tenant affects that tenant's mailboxes only.
describe('one customer tenant refusing keyrelay', () => {
  const credentialAlarms = async () =>
    (await stack.core.runReports.latest(50)).filter((report) => report.runId.startsWith(CREDENTIAL_ALARM_RUN_PREFIX))
      .length;

  beforeAll(async () => {
    await ageStoredAccessTokens(stack, await connectMailbox(stack, MARKETING), -60);
  });

  it("an invalid_client from a customer tenant that keyrelay's home tenant does not confirm stays that tenant's problem", async () => {
    const alarmsBefore = await credentialAlarms();
    // Fabrikam refuses the client (also after a secret reload, should one happen); contoso accepts it.
    stack.local.cloud.injectFault({
      service: 'entra',
      route: 'token.refresh_token',
      kind: 'invalid_client',
      aadsts: 7000215,
      remaining: 2,
    });
    const service = newInstance();
    stack.local.cloud.clearRequestLog();

    await expect(service.getToken({ mailbox: MARKETING, resource: 'graph' })).rejects.toBeInstanceOf(
      ReconnectRequiredError,
    );
    stack.local.cloud.clearFaults();

    expect(calls('entra', 'token.client_credentials')).toBe(1);
    const grant = await service.getToken({ mailbox: MARIO, resource: 'graph' });
    expect((await stack.local.verifier.verify(grant.accessToken, 'https://graph.microsoft.com')).upn).toBe(MARIO);
    expect(await credentialAlarms()).toBe(alarmsBefore);
  });

  it("fabrikam's admin removed the app (AADSTS700016): its mailboxes reconnect after its admin consents, contoso keeps working, no alarm", async () => {
    const record = (await stack.core.mailboxRegistry.get(MARKETING))!;
    await stack.core.mailboxRegistry.upsert({ ...record, status: 'ok' });
    const alarmsBefore = await credentialAlarms();
    const service = newInstance();
    stack.local.cloud.removeEnterpriseApp(KEYRELAY_APP_ID, FABRIKAM_TENANT_ID);

    const error = await rejection(service.getToken({ mailbox: MARKETING, resource: 'smtp' }));

    expect(error).toBeInstanceOf(ReconnectRequiredError);
    const consent = new URL((error as ReconnectRequiredError).adminConsentUrl!);
    expect(consent.pathname).toBe(`/${FABRIKAM_TENANT_ID}/v2.0/adminconsent`);
    expect(consent.searchParams.get('scope')?.split(' ')).toEqual(
      expect.arrayContaining(['openid', 'profile', 'offline_access']),
    );
    expect(await stack.core.mailboxRegistry.get(MARKETING)).toMatchObject({
      status: 'reconnect_required',
      lastErrorCode: 'AADSTS700016',
    });
    // Right after, in the same instance: contoso is served by Entra (no process-wide fail-fast).
    await ageStoredAccessTokens(stack, await connectMailbox(stack, NEWSLETTER), -60);
    const grant = await service.getToken({ mailbox: NEWSLETTER, resource: 'smtp' });
    expect((await stack.local.verifier.verify(grant.accessToken, 'https://outlook.office.com')).upn).toBe(NEWSLETTER);
    expect(await credentialAlarms()).toBe(alarmsBefore);
  });
});
