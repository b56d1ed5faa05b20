// `npm run doctor` against the local Microsoft cloud + Azurite: a healthy setup and five broken ones,
// each made by changing the emulated world the way the real mistake would. The CLI runs as a child
// process with keyrelay's own identity, as the Function App would.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEYRELAY_APP_ID, KEYRELAY_IDENTITY_CLIENT_ID } from '../../../dev/cloud/index.js';
import { connectMailbox as connectMailboxThroughEntra } from '../../support/connectMailbox.js';
import { startTestStack, type TestStack } from '../../support/stack.js';
import { formatDate } from '#src/shared/presentation/time.js';
import { englishWordsIn } from '../../support/catalogues.js';
import { runCli } from '../setup/runCli.js';

const MAILBOX = 'mario.rossi@contoso.onmicrosoft.com';

let stack: TestStack;

beforeEach(async () => {
  stack = await startTestStack();
});

afterEach(async () => {
  await stack?.close();
});

function keyrelayApp() {
  const app = stack.local.ctx.applications.find((candidate) => candidate.appId === KEYRELAY_APP_ID);
  if (!app) throw new Error('seeded keyrelay app missing');
  return app;
}

async function connectMailbox(status: 'ok' | 'reconnect_required' = 'ok', lastErrorCode?: string): Promise<void> {
  const now = new Date();
  await stack.core.mailboxRegistry.upsert({
    upn: MAILBOX,
    tenantId: stack.settings.AZURE_TENANT_ID!,
    objectId: '1a2b3c4d-0001-4a5b-8c6d-7e8f9a0b1c2d',
    cacheSecretName: 'mbx-0123456789abcdef',
    connectedAt: now,
    lastRefreshAt: now,
    status,
    ...(lastErrorCode !== undefined && { lastErrorCode, lastErrorAt: now }),
  });
}

const doctor = (settings: Record<string, string> = {}) =>
  runCli('doctor', { ...stack.settings, ALERT_LOCALE: 'en', ...settings });

// Each case spawns the CLI (tsx + the Azure SDKs): seconds each, more on a busy machine.
describe('npm run doctor', { timeout: 90_000 }, () => {
  it('on a healthy setup reports every check fine, in Italian by default, and exits 0', async () => {
    await connectMailboxThroughEntra(stack, MAILBOX);

    const run = await runCli('doctor', stack.settings);

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('✓ impostazioni valide');
    expect(run.stdout).toContain(`può leggere e ruotare le credenziali dell'app ${KEYRELAY_APP_ID}`);
    expect(run.stdout).toContain(`✓ redirect URI registrato: ${stack.config.redirectUri}`);
    expect(run.stdout).toContain(`✓ casella ${MAILBOX}: ok`);
    expect(run.stdout).toContain(`✓ casella ${MAILBOX}: Invio SMTP (AUTH XOAUTH2) verificato: funziona.`);
    expect(run.stdout).toContain('Tutto a posto.');
    expect(run.stdout).not.toContain('✗');
    expect(run.stdout + run.stderr).not.toContain(stack.local.clientSecret);
    // What the admin reads is Italian; stderr carries only log lines (the SMTP check's token is audited).
    expect(englishWordsIn(run.stdout)).toEqual([]);
    for (const line of run.stderr.split('\n').filter(Boolean)) expect(line).toMatch(/^[a-z]+\.[a-z_]+ /);
  });

  it('checks SMTP AUTH per mailbox: 535 5.7.139 is a problem with the Exchange fix, and exits non-zero', async () => {
    await connectMailboxThroughEntra(stack, MAILBOX);
    const user = stack.local.ctx.tenants
      .flatMap((tenant) => tenant.users)
      .find((candidate) => candidate.upn === MAILBOX)!;
    user.smtpAuthDisabled = true;

    const run = await doctor();

    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(
      `✗ mailbox ${MAILBOX}: Exchange refuses SMTP submission for this mailbox (535 5.7.139`,
    );
    expect(run.stdout).toContain(`Set-CASMailbox -Identity ${MAILBOX} -SmtpClientAuthenticationDisabled $false`);
  });

  it('names missing consent (no mailbox ever connected) with the admin-consent link, and exits non-zero', async () => {
    const run = await doctor();

    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain('✗ no mailbox connected: consent to the permissions has not been given');
    expect(run.stdout).toContain(`adminconsent?client_id=${KEYRELAY_APP_ID}`);
    expect(run.stdout).toContain(`${stack.config.publicBaseUrl}/api/connect`);
  });

  it('names missing ownership when the identity holds OwnedBy but does not own the app, with the fix, and exits non-zero', async () => {
    await connectMailbox();
    keyrelayApp().ownerObjectIds = [];

    const run = await doctor();

    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(
      `✗ the identity ${KEYRELAY_IDENTITY_CLIENT_ID} holds Application.ReadWrite.OwnedBy but does not own app ${KEYRELAY_APP_ID}`,
    );
    expect(run.stdout).toContain(`npm run setup -- --identity-client-id ${KEYRELAY_IDENTITY_CLIENT_ID}`);
  });

  it('names an expired client secret with the fix, and exits non-zero', async () => {
    await connectMailbox();
    const expired = new Date(Date.now() - 3 * 86_400_000);
    stack.local.cloud.setCredentialEndDateTime(KEYRELAY_APP_ID, stack.local.clientSecretKeyId, expired);

    const run = await doctor();

    expect(run.exitCode).toBe(1);
    // Dates read in the run's language and ALERT_TIME_ZONE, like every date keyrelay shows.
    expect(run.stdout).toContain(
      `✗ the client secret expired on ${formatDate(expired, { locale: 'en', timeZone: stack.config.alertTimeZone })}`,
    );
    expect(run.stdout).toContain('Fix: Run `npm run setup`');
  });

  it('names a redirect URI that the app registration does not list, with the fix, and exits non-zero', async () => {
    await connectMailbox();
    keyrelayApp().webRedirectUris = ['https://old-host.example/api/oauth/callback'];

    const run = await doctor();

    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(
      `✗ the redirect URI ${stack.config.redirectUri} is not registered on the app (registered: https://old-host.example/api/oauth/callback)`,
    );
    expect(run.stdout).toContain('it adds the redirect URI');
  });

  it('names Key Vault access denied with the role to assign, and exits non-zero', async () => {
    await connectMailbox();
    stack.local.ctx.servicePrincipals.find(
      (principal) => principal.clientId === KEYRELAY_IDENTITY_CLIENT_ID,
    )!.keyVaultAccess = false;

    const run = await doctor();

    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(`✗ Key Vault denies access to the identity ${KEYRELAY_IDENTITY_CLIENT_ID}`);
    expect(run.stdout).toContain(`--role "Key Vault Secrets Officer" --assignee ${KEYRELAY_IDENTITY_CLIENT_ID}`);
  });

  it('gives a mailbox that must reconnect its reconnect link', async () => {
    await connectMailbox('reconnect_required', 'invalid_grant:50173');

    const run = await doctor();

    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(`✗ mailbox ${MAILBOX}: must be reconnected (invalid_grant:50173)`);
    expect(run.stdout).toContain(`${stack.config.publicBaseUrl}/api/connect?loginHint=${encodeURIComponent(MAILBOX)}`);
  });

  it('with no Azure sign-in anywhere (a real DefaultAzureCredential), says to sign in with az login once, not that Graph or Key Vault are down', async () => {
    const { AZURE_CLIENT_ID: _id, AZURE_CLIENT_SECRET: _secret, ...withoutLogin } = stack.settings;
    const run = await runCli('doctor', { ...withoutLogin, ALERT_LOCALE: 'en' }, [], { withoutAzureLogin: true });

    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(
      '✗ no Azure sign-in found: DefaultAzureCredential tried environment (AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)',
    );
    expect(run.stdout).toMatch(/managed identity.*Azure CLI \(`az login`\)/);
    expect(run.stdout).toContain('Fix: Locally, sign in with `az login`');
    expect(run.stdout.match(/no Azure sign-in found/g)).toHaveLength(1);
    expect(run.stdout).not.toContain('Microsoft Graph does not answer');
    expect(run.stdout).not.toContain('Key Vault does not answer');
  });

  it('without an Azure sign-in speaks only Italian in an Italian run', async () => {
    const { AZURE_CLIENT_ID: _id, AZURE_CLIENT_SECRET: _secret, ...withoutLogin } = stack.settings;
    const run = await runCli('doctor', { ...withoutLogin, ALERT_LOCALE: 'it' }, [], { withoutAzureLogin: true });

    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain('✗ nessun accesso Azure trovato');
    expect(run.stdout).toMatch(/\n(1 problema|\d+ problemi) da risolvere\.\n/);
    expect(englishWordsIn(run.stdout + run.stderr)).toEqual([]);
  });

  it('lists invalid settings instead of probing, and exits non-zero', async () => {
    const run = await doctor({ KEY_VAULT_URL: 'not a url', OAUTH_CLIENT_ID: '' });

    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain('✗ setting KEY_VAULT_URL');
    expect(run.stdout).toContain('✗ setting OAUTH_CLIENT_ID: missing');
  });
});
