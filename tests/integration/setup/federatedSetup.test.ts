// `npm run setup -- --federated` against the local Microsoft cloud: the real CLI in a child process. Run
// with keyrelay's identity as its Azure login (as inside Azure), it adds the federated credential, verifies
// a token with the identity's assertion, and only once OAUTH_CLIENT_CREDENTIAL=federated removes the old
// secret; with the admin's login it adds the credential and defers the verification.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatedApplication } from '../../../dev/cloud/context.js';
import {
  ADMIN_CLIENT_ID,
  CONTOSO_TENANT_ID,
  KEYRELAY_IDENTITY_CLIENT_ID,
  startLocalCloud,
  type StartedLocalCloud,
} from '../../../dev/cloud/index.js';
import { runCli } from './runCli.js';

const SECRET_NAME = 'oauth-client-secret';
let local: StartedLocalCloud;
let app: EmulatedApplication;
let env: Record<string, string>;

function loginAs(clientId: string): Record<string, string> {
  const principal = local.ctx.servicePrincipals.find((p) => p.clientId === clientId)!;
  return { ...env, AZURE_CLIENT_ID: principal.clientId, AZURE_CLIENT_SECRET: principal.secret };
}

function secretInVault(): boolean {
  return local.cloud.state().keyVault.some((secret) => secret.name === SECRET_NAME && !secret.deleted);
}

beforeAll(async () => {
  local = await startLocalCloud({ seedKeyVault: true });
  app = local.ctx.applications.find((a) => a.appId === local.settings.OAUTH_CLIENT_ID)!;
  env = {
    KEY_VAULT_URL: local.settings.KEY_VAULT_URL,
    OAUTH_CLIENT_ID: local.settings.OAUTH_CLIENT_ID,
    AZURE_TENANT_ID: CONTOSO_TENANT_ID,
    AZURE_AUTHORITY_HOST: local.settings.AZURE_AUTHORITY_HOST,
    GRAPH_ENDPOINT: local.settings.GRAPH_ENDPOINT,
    PUBLIC_BASE_URL: 'https://func-keyrelay-test.azurewebsites.net',
    ALERT_LOCALE: 'en',
    AZURE_MANAGED_IDENTITY_PRINCIPAL_ID: local.settings.AZURE_MANAGED_IDENTITY_PRINCIPAL_ID,
  };
});

afterAll(async () => {
  await local?.stop();
});

describe('npm run setup -- --federated', { timeout: 120_000 }, () => {
  it('with the admin login, in a dry run, says what it would do and changes nothing', async () => {
    const run = await runCli('setup', loginAs(ADMIN_CLIENT_ID), ['--federated', '--dry-run']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain('→ would: federated credential keyrelay-managed-identity added to the app');
    expect(run.stdout).toContain("→ would: token verified with the identity's assertion");
    expect(app.federatedIdentityCredentials ?? []).toEqual([]);
  });

  it("with the admin login, adds the credential (the identity's object id as subject) and defers the verification", async () => {
    const run = await runCli('setup', loginAs(ADMIN_CLIENT_ID), ['--federated']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain('✓ federated credential keyrelay-managed-identity added to the app');
    expect(run.stdout).toContain("- verification deferred: this command's Azure login is not keyrelay's identity");
    expect(app.federatedIdentityCredentials).toEqual([
      expect.objectContaining({
        name: 'keyrelay-managed-identity',
        issuer: `${local.urls.entra}/${CONTOSO_TENANT_ID}/v2.0`,
        subject: local.settings.AZURE_MANAGED_IDENTITY_PRINCIPAL_ID,
        audiences: ['api://AzureADTokenExchange'],
      }),
    ]);
  });

  it("as keyrelay's identity, still in secret mode: verifies, changes nothing twice, and asks for the switch before any removal", async () => {
    const run = await runCli('setup', loginAs(KEYRELAY_IDENTITY_CLIENT_ID), ['--federated']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain('✓ federated credential keyrelay-managed-identity already present');
    expect(run.stdout).toContain("✓ Entra ID accepts keyrelay's identity's assertion");
    expect(run.stdout).toContain('azd env set OAUTH_CLIENT_CREDENTIAL federated');
    expect(app.federatedIdentityCredentials).toHaveLength(1);
    expect(app.passwordCredentials).toHaveLength(1);
    expect(secretInVault()).toBe(true);
  });

  it('after the switch, offers the removal, and with --remove-secret removes the old secret from the app and Key Vault', async () => {
    const switched = { ...loginAs(KEYRELAY_IDENTITY_CLIENT_ID), OAUTH_CLIENT_CREDENTIAL: 'federated' };
    const offer = await runCli('setup', switched, ['--federated']);
    expect(offer.exitCode, offer.stderr).toBe(0);
    expect(offer.stdout).toContain('✓ OAUTH_CLIENT_CREDENTIAL=federated already set');
    expect(offer.stdout).toContain('npm run setup -- --federated --remove-secret');
    expect(app.passwordCredentials).toHaveLength(1);

    const removal = await runCli('setup', switched, ['--federated', '--remove-secret']);
    expect(removal.exitCode, removal.stderr).toBe(0);
    expect(removal.stdout).toContain('✓ old client secret removed from the app');
    expect(app.passwordCredentials).toEqual([]);
    expect(secretInVault()).toBe(false);

    const again = await runCli('setup', switched, ['--federated', '--remove-secret']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toContain(`✓ no client secret ${SECRET_NAME} in Key Vault: nothing to remove`);
  });

  it('refuses a credential of the same name that trusts someone else, naming the fix', async () => {
    app.federatedIdentityCredentials = [
      { ...app.federatedIdentityCredentials![0]!, subject: KEYRELAY_IDENTITY_CLIENT_ID },
    ];
    const run = await runCli('setup', loginAs(ADMIN_CLIENT_ID), ['--federated']);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(
      'the app already has a federated credential keyrelay-managed-identity with another issuer, subject or audience',
    );
  });
});
