// OAUTH_CLIENT_CREDENTIAL=federated end to end (issue 15): no oauth-client-secret in Key Vault; keyrelay's
// identity's token for api://AzureADTokenExchange is MSAL's client assertion, and the Entra emulator
// accepts it only through the app's matching federated identity credential. Connect and the token route
// run through the local host (build in dist/), keep-alive in process, all with the real SDKs. Each bad
// case answers 503 upstream_unavailable naming the fix, raises the alarm and stores nothing.
import { ClientSecretCredential } from '@azure/identity';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatedApplication, EmulatedFederatedCredential } from '../../../dev/cloud/context.js';
import { CONTOSO_TENANT_ID } from '../../../dev/cloud/index.js';
import { loadConfig } from '#src/shared/config.js';
import { UpstreamUnavailableError } from '#src/shared/errors.js';
import { createCore } from '#src/shared/runtime/core.js';
import { createApp } from '#src/shared/runtime/app.js';
import { createTokenServiceFor } from '#src/shared/runtime/token.js';
import { CREDENTIAL_ALARM_RUN_PREFIX } from '#src/shared/services/token/credentialAlarm.js';
import { ConnectDriver, queryParam } from '../connect/connectDriver.js';
import { runCli } from '../setup/runCli.js';
import { ageStoredAccessTokens, connectMailbox, type ConnectedMailbox } from '../../support/connectMailbox.js';
import { rejection } from '../../support/rejection.js';
import { startTestHost, startTestStack, type TestHost, type TestStack } from '../../support/stack.js';

const FUNCTION_KEY = 'federated-test-key';
const MARIO = 'mario.rossi@contoso.onmicrosoft.com';
const GIULIA = 'giulia.bianchi@contoso.onmicrosoft.com';
const SETUP_FIX = 'npm run setup -- --federated';

let stack: TestStack;
let host: TestHost;
let driver: ConnectDriver;
let app: EmulatedApplication;

/** The credential infra/app/appRegistration.bicep creates: the tenant's issuer, the identity's object id. */
function deployedCredential(): EmulatedFederatedCredential {
  return {
    id: '7c1f0e4a-2b3d-4e5f-8a9b-0c1d2e3f4a5b',
    name: 'keyrelay-managed-identity',
    issuer: `${stack.local.urls.entra}/${CONTOSO_TENANT_ID}/v2.0`,
    subject: stack.settings.AZURE_MANAGED_IDENTITY_PRINCIPAL_ID!,
    audiences: ['api://AzureADTokenExchange'],
    description: null,
  };
}

beforeAll(async () => {
  stack = await startTestStack({ settings: { OAUTH_CLIENT_CREDENTIAL: 'federated' }, seedClientSecret: false });
  app = stack.local.ctx.applications.find((a) => a.appId === stack.config.oauthClientId)!;
  app.federatedIdentityCredentials = [deployedCredential()];
  host = await startTestHost(stack, { functionKey: FUNCTION_KEY });
  driver = new ConnectDriver(stack, host);
});

afterEach(() => {
  stack.local.cloud.clearFaults();
  app.federatedIdentityCredentials = [deployedCredential()];
});

afterAll(async () => {
  await host?.close();
  await stack?.close();
});

function postToken(mailbox: string, resource: 'smtp' | 'graph'): Promise<Response> {
  return fetch(`${host.url}/api/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-functions-key': FUNCTION_KEY },
    body: JSON.stringify({ mailbox, resource }),
  });
}

function entraCalls(route: string): { status: number }[] {
  return stack.local.cloud.requestLog().entries.filter((entry) => entry.service === 'entra' && entry.route === route);
}

async function alarms(): Promise<string[]> {
  return (await stack.core.runReports.latest(50))
    .map((report) => report.runId)
    .filter((id) => id.startsWith(CREDENTIAL_ALARM_RUN_PREFIX));
}

describe('federated: the happy path without any client secret', () => {
  it('has no oauth-client-secret in Key Vault', async () => {
    expect(await stack.core.secretStore.getSecret(stack.config.oauthClientSecretName)).toBeUndefined();
  });

  it("connects a mailbox through the host: the code is redeemed with the identity's assertion", async () => {
    const flow = await driver.start(
      `?returnUrl=${encodeURIComponent(driver.returnUrl)}&loginHint=${encodeURIComponent(MARIO)}`,
    );
    const callback = await driver.callback(await driver.signIn(flow, { upn: MARIO }), flow.cookie);
    expect(callback.status).toBe(302);
    expect(queryParam(callback.location ?? '', 'keyrelay')).toBe('connected');
    expect(entraCalls('token.authorization_code').map((call) => call.status)).toContain(200);
    expect(entraCalls('token.client_credentials').some((call) => call.status === 200)).toBe(true);
  });

  it('hands out smtp and graph tokens through POST /api/token, refreshing with the assertion', async () => {
    stack.local.cloud.clearRequestLog();
    for (const resource of ['smtp', 'graph'] as const) {
      const response = await postToken(MARIO, resource);
      expect(response.status).toBe(200);
      const grant = (await response.json()) as { accessToken: string };
      const audience = resource === 'smtp' ? 'https://outlook.office.com' : 'https://graph.microsoft.com';
      expect(await stack.local.verifier.verify(grant.accessToken, audience)).toMatchObject({ upn: MARIO });
    }
    expect(entraCalls('token.refresh_token').every((call) => call.status === 200)).toBe(true);
    expect(entraCalls('token.refresh_token').length).toBeGreaterThan(0);
  });

  it('keeps an idle mailbox alive with a refresh through the assertion', async () => {
    const giulia = await connectMailbox(stack, GIULIA);
    stack.local.cloud.clearRequestLog();
    expect(await createTokenServiceFor(stack.core).keepAlive(GIULIA)).toBe('refreshed');
    expect(entraCalls('token.refresh_token').map((call) => call.status)).toEqual([200]);
    expect((await stack.core.mailboxRegistry.get(giulia.upn))?.status).toBe('ok');
  });

  it('never writes the assertion or a token into the host log', () => {
    const logs = host.logs.join('\n');
    expect(logs).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
    expect(logs).not.toContain(stack.settings.AZURE_CLIENT_SECRET!);
  });
});

describe('federated: npm run doctor', { timeout: 60_000 }, () => {
  it('shows the posture, the credential matching and accepted, and the password left on the app as no longer needed', async () => {
    const run = await runCli('doctor', { ...stack.settings, ALERT_LOCALE: 'en' });
    expect(run.stdout).toContain('i credential of app');
    expect(run.stdout).toContain(
      'managed identity as federated credential (OAUTH_CLIENT_CREDENTIAL=federated), no secret',
    );
    expect(run.stdout).toContain(
      "✓ the app's federated credential matches keyrelay's identity and Entra ID accepts its assertion",
    );
    expect(run.stdout).toContain('! client secret');
    expect(run.stdout).toContain('no longer needed');
    expect(run.stdout).not.toContain('Key Vault holds no client secret');
  });

  it('names the fix when the credential was removed', async () => {
    app.federatedIdentityCredentials = [];
    const run = await runCli('doctor', { ...stack.settings, ALERT_LOCALE: 'en' });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(
      '✗ app ' + stack.config.oauthClientId + " has no federated credential for keyrelay's identity",
    );
    expect(run.stdout).toContain('Fix: Run `npm run setup -- --federated`.');
  });
});

describe('federated: GET /api/status', () => {
  it('shows the posture at a glance, in JSON and on the page', async () => {
    const json = (await (
      await fetch(`${host.url}/api/status`, { headers: { 'x-functions-key': FUNCTION_KEY } })
    ).json()) as { credentialPosture: string };
    expect(json.credentialPosture).toBe('federated');
    const page = await (
      await fetch(`${host.url}/api/status`, { headers: { 'x-functions-key': FUNCTION_KEY, accept: 'text/html' } })
    ).text();
    expect(page).toContain('Credenziale: identità gestita federata, nessun segreto da far scadere');
  });
});

describe('federated: the monitor', () => {
  const SENDER = 'newsletter@contoso.onmicrosoft.com';
  /** Alerts by keyrelay's identity's own Mail.Send: a channel that does not depend on the app's credential. */
  function monitor() {
    const config = loadConfig({
      ...stack.settings,
      ALERT_MAIL_AUTH: 'managed-identity',
      ALERT_SENDER: SENDER,
      ALERT_LOCALE: 'en',
    });
    return createApp(config, {
      azureCredential: identityCredential(),
      logger: { info: () => {}, warn: () => {}, error: () => {} },
      rotation: false,
    }).monitor().monitor;
  }

  function newMail(before: number) {
    return stack.local.cloud.outbox().slice(before);
  }

  it('rotates nothing, finds the credential matching, and says once that the password left on the app is no longer needed, with its date', async () => {
    stack.local.cloud.clearRequestLog();
    const before = stack.local.cloud.outbox().length;
    const result = await monitor().run();
    expect(result.errors).toEqual([]);
    expect(stack.local.cloud.countRequests('graph', 'applications.addPassword')).toBe(0);
    const [mail, ...more] = newMail(before);
    expect(more).toEqual([]);
    expect(mail?.message.subject).toContain('1 client secret no longer needed');
    expect(mail?.message.body?.content).toContain(
      'no longer needed, keyrelay uses the federated credential. Remove it in the portal.',
    );
    expect(mail?.message.body?.content).toMatch(/expires on \d{1,2} \w+ \d{4}/);

    const again = stack.local.cloud.outbox().length;
    await monitor().run();
    expect(newMail(again)).toEqual([]);
  });

  it('a federated credential removed from the app: an urgent mail naming the fix, through a channel that still works', async () => {
    app.federatedIdentityCredentials = [];
    const before = stack.local.cloud.outbox().length;
    await monitor().run();
    const [mail] = newMail(before);
    expect(mail?.message.subject).toContain('URGENT: keyrelay cannot authenticate');
    expect(mail?.message.body?.content).toContain(SETUP_FIX);
    expect(mail?.from).toBe(SENDER);
  });

  it('a federated credential changed to another subject: urgent, as a mismatch', async () => {
    app.federatedIdentityCredentials = [{ ...deployedCredential(), subject: stack.settings.AZURE_CLIENT_ID! }];
    const before = stack.local.cloud.outbox().length;
    const result = await monitor().run();
    expect(result.digest?.subject).toContain('URGENT');
    expect(newMail(before)[0]?.message.body?.content).toContain('was changed and no longer matches');
  });
});

describe('federated: bad input answers 503 upstream_unavailable naming the fix, alarms, stores nothing', () => {
  let mailbox: ConnectedMailbox;
  beforeAll(async () => {
    mailbox = await connectMailbox(stack, GIULIA);
  });

  async function refusedColdToken(core = stack.core): Promise<UpstreamUnavailableError> {
    await ageStoredAccessTokens(stack, mailbox, -60);
    const versionsBefore = versionsOf(mailbox.cacheSecretName);
    const error = await rejection(createTokenServiceFor(core).getToken({ mailbox: GIULIA, resource: 'smtp' }));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(versionsOf(mailbox.cacheSecretName)).toBe(versionsBefore);
    expect((await stack.core.mailboxRegistry.get(GIULIA))?.status).toBe('ok');
    return error as UpstreamUnavailableError;
  }

  function versionsOf(name: string): number {
    return stack.local.cloud.state().keyVault.find((secret) => secret.name === name)?.versionCount ?? 0;
  }

  it("a federated credential whose subject is the identity's client id (AADSTS70021)", async () => {
    app.federatedIdentityCredentials = [{ ...deployedCredential(), subject: stack.settings.AZURE_CLIENT_ID! }];
    const error = await refusedColdToken();
    expect(error.publicMessage).toContain(SETUP_FIX);
    expect(error.publicMessage).toContain("subject = the identity's object id");
    expect(await alarms()).toContainEqual(expect.stringContaining('AADSTS70021'));
  });

  it('a federated credential removed from the app (AADSTS700211)', async () => {
    app.federatedIdentityCredentials = [];
    const error = await refusedColdToken();
    expect(error.publicMessage).toContain(SETUP_FIX);
    expect(await alarms()).toContainEqual(expect.stringContaining('AADSTS700211'));
  });

  it('an audience the credential does not list (FEDERATED_TOKEN_AUDIENCE of another cloud)', async () => {
    const config = loadConfig({ ...stack.settings, FEDERATED_TOKEN_AUDIENCE: 'api://AzureADTokenExchangeUSGov' });
    const error = await refusedColdToken(createCore(config, { azureCredential: identityCredential() }));
    expect(error.publicMessage).toContain('audience api://AzureADTokenExchangeUSGov');
  });

  it('an identity that cannot get a token for the exchange audience', async () => {
    const azureCredential = identityCredential();
    const core = createCore(stack.config, { azureCredential });
    // Key Vault still answers (the SDK already holds its token); only the identity's exchange token fails.
    await core.secretStore.getSecret(mailbox.cacheSecretName);
    stack.local.cloud.injectFault({
      service: 'entra',
      route: 'token.client_credentials',
      kind: 'status',
      status: 503,
      remaining: Infinity,
    });
    const error = await refusedColdToken(core);
    expect(error.publicMessage).toContain('AZURE_CLIENT_ID');
    expect(error.publicMessage).toContain('OAUTH_CLIENT_CREDENTIAL=secret');
    expect(await alarms()).toContainEqual(expect.stringContaining('managed_identity_token_unavailable'));
  });

  it('a sign-in while the credential is missing: the callback answers 503 with the fix, nothing is written', async () => {
    app.federatedIdentityCredentials = [];
    const before = await driver.writtenState();
    const flow = await driver.start();
    const callback = await driver.callback(
      await driver.signIn(flow, { upn: 'newsletter@contoso.onmicrosoft.com' }),
      flow.cookie,
    );
    expect(callback.status).toBe(503);
    expect(callback.body).toContain(SETUP_FIX);
    expect(await driver.writtenState()).toEqual(before);
  });
});

function identityCredential(): ClientSecretCredential {
  return new ClientSecretCredential(
    CONTOSO_TENANT_ID,
    stack.settings.AZURE_CLIENT_ID!,
    stack.settings.AZURE_CLIENT_SECRET!,
    {
      authorityHost: stack.settings.AZURE_AUTHORITY_HOST!,
      disableInstanceDiscovery: true,
    },
  );
}
