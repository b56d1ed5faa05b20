// `npm run setup` against the local Microsoft cloud, from a tenant without the keyrelay app: the real
// CLI in a child process, with the admin's identity (Application.ReadWrite.All) as its Azure login.
import { ClientSecretCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_CLIENT_ID,
  CONTOSO_TENANT_ID,
  KEYRELAY_IDENTITY_CLIENT_ID,
  KEYRELAY_IDENTITY_OBJECT_ID,
  startLocalCloud,
  type StartedLocalCloud,
} from '../../../dev/cloud/index.js';
import { EXCHANGE_ONLINE_APP_ID, FIRST_PARTY_APIS, MICROSOFT_GRAPH_APP_ID } from '../../../dev/cloud/graphCatalog.js';
import { createGraphApplicationDirectory } from '#src/shared/adapters/graphApplications.js';
import { createGraphClient } from '#src/shared/adapters/graphClient.js';
import { createKeyVaultSecretStore } from '#src/shared/adapters/keyVaultSecretStore.js';
import { MsalOAuthClient } from '#src/shared/adapters/oauth/msalOAuthClient.js';
import { createKeyVaultClientCredential } from '#src/shared/services/clientSecret.js';
import { createRotationService } from '#src/shared/services/rotation/rotationService.js';
import type { SecretStore } from '#src/shared/ports/index.js';
import { InMemoryRotationStore } from '../../fakes/index.js';
import { englishWordsIn } from '../../support/catalogues.js';
import { runCli } from './runCli.js';

const PUBLIC_BASE_URL = 'https://func-keyrelay-test.azurewebsites.net';
const REDIRECT_URI = `${PUBLIC_BASE_URL}/api/oauth/callback`;
const SECRET_NAME = 'oauth-client-secret';

let local: StartedLocalCloud;
let env: Record<string, string>;
let adminVault: SecretStore;

function scopeIdOf(resourceAppId: string, value: string): string {
  const id = FIRST_PARTY_APIS.find((api) => api.appId === resourceAppId)?.oauth2PermissionScopes.find(
    (scope) => scope.value === value,
  )?.id;
  if (!id) throw new Error(`catalog lacks ${value}`);
  return id;
}

function keyrelayApps() {
  return local.ctx.applications.filter((app) => app.displayName === 'keyrelay' && app.tenantId === CONTOSO_TENANT_ID);
}

function identity() {
  return local.ctx.servicePrincipals.find((principal) => principal.clientId === KEYRELAY_IDENTITY_CLIENT_ID)!;
}

function credentialOf(principal: { clientId: string; secret: string }): ClientSecretCredential {
  return new ClientSecretCredential(CONTOSO_TENANT_ID, principal.clientId, principal.secret, {
    authorityHost: local.settings.AZURE_AUTHORITY_HOST,
    disableInstanceDiscovery: true,
  });
}

function secretVersions(): number {
  return local.cloud.state().keyVault.find((secret) => secret.name === SECRET_NAME)?.versionCount ?? 0;
}

beforeAll(async () => {
  local = await startLocalCloud();
  // An empty tenant: no keyrelay app registration or service principal, nothing in Key Vault, and
  // keyrelay's identity holds no Graph app role yet.
  local.ctx.applications.splice(0);
  local.ctx.enterpriseApps.splice(0);
  identity().graphRoles = [];
  const admin = local.ctx.servicePrincipals.find((principal) => principal.clientId === ADMIN_CLIENT_ID)!;
  env = {
    KEY_VAULT_URL: local.settings.KEY_VAULT_URL,
    AZURE_TENANT_ID: CONTOSO_TENANT_ID,
    AZURE_AUTHORITY_HOST: local.settings.AZURE_AUTHORITY_HOST,
    GRAPH_ENDPOINT: local.settings.GRAPH_ENDPOINT,
    PUBLIC_BASE_URL,
    ALERT_LOCALE: 'en',
    // The admin's login (DefaultAzureCredential reads it from the environment here).
    AZURE_CLIENT_ID: admin.clientId,
    AZURE_CLIENT_SECRET: admin.secret,
    // azd outputs naming keyrelay's identity: its client id and its directory object (principal) id.
    AZURE_MANAGED_IDENTITY_CLIENT_ID: KEYRELAY_IDENTITY_CLIENT_ID,
    AZURE_MANAGED_IDENTITY_PRINCIPAL_ID: KEYRELAY_IDENTITY_OBJECT_ID,
  };
  adminVault = createKeyVaultSecretStore(
    { keyVaultUrl: local.settings.KEY_VAULT_URL },
    new ClientSecretCredential(CONTOSO_TENANT_ID, admin.clientId, admin.secret, {
      authorityHost: local.settings.AZURE_AUTHORITY_HOST,
      disableInstanceDiscovery: true,
    }),
  );
});

afterAll(async () => {
  await local?.stop();
});

// Each case spawns the CLI (tsx + the Azure SDKs): seconds each, more on a busy machine.
describe('npm run setup', { timeout: 90_000 }, () => {
  it('in a dry run from an empty tenant, says what it would do and changes nothing', async () => {
    const run = await runCli('setup', env, ['--dry-run']);

    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain('→ would: app registration created: keyrelay');
    expect(run.stdout).toContain(`→ would: Web redirect URI set: ${REDIRECT_URI}`);
    expect(run.stdout).toContain('→ would: service principal of the app created in the tenant');
    expect(run.stdout).toContain('→ would: Microsoft Graph app role Application.ReadWrite.OwnedBy granted');
    expect(local.ctx.applications).toHaveLength(0);
    expect(local.ctx.enterpriseApps).toHaveLength(0);
    expect(local.ctx.appRoleAssignments).toHaveLength(0);
    expect(secretVersions()).toBe(0);
  });

  it('in an Italian dry run speaks only Italian, dates included', async () => {
    const run = await runCli('setup', { ...env, ALERT_LOCALE: 'it' }, ['--dry-run']);

    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain('(prova: nessuna modifica)');
    expect(run.stdout).toMatch(/segreto client creato \(scade il \d{1,2} [a-z]+ \d{4}\)/);
    expect(englishWordsIn(run.stdout + run.stderr)).toEqual([]);
  });

  it('from an empty tenant creates the registration, its permissions and owner, and a client secret that exists only in Key Vault and authenticates', async () => {
    const run = await runCli('setup', env);

    expect(run.exitCode, run.stderr).toBe(0);
    const [app, ...others] = keyrelayApps();
    expect(others).toHaveLength(0);
    expect(app).toMatchObject({ signInAudience: 'AzureADMultipleOrgs', webRedirectUris: [REDIRECT_URI] });
    expect(app!.requiredResourceAccess).toEqual(
      expect.arrayContaining([
        {
          resourceAppId: EXCHANGE_ONLINE_APP_ID,
          resourceAccess: [{ id: scopeIdOf(EXCHANGE_ONLINE_APP_ID, 'SMTP.Send'), type: 'Scope' }],
        },
        {
          resourceAppId: MICROSOFT_GRAPH_APP_ID,
          resourceAccess: ['Mail.Send', 'offline_access', 'openid', 'profile'].map((value) => ({
            id: scopeIdOf(MICROSOFT_GRAPH_APP_ID, value),
            type: 'Scope',
          })),
        },
      ]),
    );
    expect(app!.ownerObjectIds).toContain(KEYRELAY_IDENTITY_OBJECT_ID);
    expect(app!.passwordCredentials).toHaveLength(1);
    const credential = app!.passwordCredentials[0]!;

    const stored = await adminVault.getSecret(SECRET_NAME);
    expect(stored?.tags).toEqual({ appId: app!.appId, keyId: credential.keyId, managedBy: 'keyrelay' });
    // Key Vault keeps whole seconds.
    expect(stored?.expiresOn?.getTime()).toBe(Math.floor(Date.parse(credential.endDateTime) / 1000) * 1000);

    // The stored text is the app's password: a client-credentials token with it is accepted by Entra.
    const appCredential = new ClientSecretCredential(CONTOSO_TENANT_ID, app!.appId, stored!.value, {
      authorityHost: local.settings.AZURE_AUTHORITY_HOST,
      disableInstanceDiscovery: true,
    });
    const token = await appCredential.getToken('https://graph.microsoft.com/.default');
    const claims = await local.verifier.verify(token.token, 'https://graph.microsoft.com');
    expect(claims.appid).toBe(app!.appId);

    expect(run.stdout + run.stderr).not.toContain(stored!.value);
    expect(run.stdout).toContain(
      `${local.settings.AZURE_AUTHORITY_HOST}/${CONTOSO_TENANT_ID}/adminconsent?client_id=${app!.appId}`,
    );
    expect(run.stdout).toContain(`OAUTH_CLIENT_ID=${app!.appId}`);
  });

  it('a second run changes nothing: no new password, no new Key Vault version, no Graph write', async () => {
    const [app] = keyrelayApps();
    const keyIds = app!.passwordCredentials.map((credential) => credential.keyId);
    const versions = secretVersions();
    local.cloud.clearRequestLog();

    const run = await runCli('setup', { ...env, OAUTH_CLIENT_ID: app!.appId });

    expect(run.exitCode, run.stderr).toBe(0);
    expect(keyrelayApps()).toHaveLength(1);
    expect(app!.passwordCredentials.map((credential) => credential.keyId)).toEqual(keyIds);
    expect(secretVersions()).toBe(versions);
    const writes = local.cloud
      .requestLog()
      .entries.filter((entry) => entry.service !== 'entra' && entry.method !== 'GET');
    expect(writes).toEqual([]);
    expect(run.stdout).toContain(`Web redirect URI already present: ${REDIRECT_URI}`);
    expect(run.stdout).toContain('already owns the app');
    expect(run.stdout).toContain('no new secret');
  });

  it('finds the registration by display name when OAUTH_CLIENT_ID is not set, and restores a removed redirect URI', async () => {
    const [app] = keyrelayApps();
    app!.webRedirectUris = ['https://old.example/api/oauth/callback'];

    const run = await runCli('setup', env);

    expect(run.exitCode, run.stderr).toBe(0);
    expect(keyrelayApps()).toHaveLength(1);
    expect(app!.webRedirectUris).toEqual(['https://old.example/api/oauth/callback', REDIRECT_URI]);
    expect(run.stdout).toContain(`✓ Web redirect URI set: ${REDIRECT_URI}`);
  });

  it('replaces an expired client secret with a new one written straight into Key Vault', async () => {
    const [app] = keyrelayApps();
    const old = app!.passwordCredentials[0]!;
    local.cloud.setCredentialEndDateTime(app!.appId, old.keyId, new Date(Date.now() - 86_400_000));

    const run = await runCli('setup', { ...env, OAUTH_CLIENT_ID: app!.appId });

    expect(run.exitCode, run.stderr).toBe(0);
    const fresh = app!.passwordCredentials.find((credential) => credential.keyId !== old.keyId);
    const stored = await adminVault.getSecret(SECRET_NAME);
    expect(stored?.tags.keyId).toBe(fresh?.keyId);
    expect(run.stdout).toContain('because the one in Key Vault has expired');
    expect(run.stdout + run.stderr).not.toContain(stored!.value);
  });

  it('names the missing Key Vault role when the Azure login may not use the vault, and exits non-zero', async () => {
    const admin = local.ctx.servicePrincipals.find((principal) => principal.clientId === ADMIN_CLIENT_ID)!;
    admin.keyVaultAccess = false;
    try {
      const run = await runCli('setup', { ...env, ALERT_LOCALE: 'it' });

      expect(run.exitCode).toBe(1);
      expect(run.stderr).toContain('non può scrivere segreti in Key Vault');
      expect(run.stderr).toContain('Key Vault Secrets Officer');
      expect(run.stderr).not.toMatch(/\bat .+\.(ts|js):\d+/);
    } finally {
      admin.keyVaultAccess = true;
    }
  });

  it('with no Azure sign-in anywhere (a real DefaultAzureCredential), says to sign in with az login and names what it tried', async () => {
    const { AZURE_CLIENT_ID: _id, AZURE_CLIENT_SECRET: _secret, ...withoutLogin } = env;
    const run = await runCli('setup', withoutLogin, ['--dry-run'], { withoutAzureLogin: true });

    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(
      '✗ no Azure sign-in found: DefaultAzureCredential tried environment (AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)',
    );
    expect(run.stderr).toMatch(/managed identity.*Azure CLI \(`az login`\)/);
    expect(run.stderr).toContain('Fix: Sign in with `az login`');
    expect(run.stderr).not.toContain('unexpected');
    expect(run.stderr).not.toContain('file an issue');
  });

  it('lists every missing setting in one message and exits non-zero', async () => {
    const run = await runCli('setup', { ALERT_LOCALE: 'en', AZURE_CLIENT_ID: ADMIN_CLIENT_ID });

    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('KEY_VAULT_URL');
    expect(run.stderr).toContain('AZURE_TENANT_ID');
    expect(run.stderr).toContain('PUBLIC_BASE_URL');
    expect(run.stderr).not.toContain('OAUTH_CLIENT_ID');
  });
  it('prints the exact grant command when the Azure login may not grant app roles, and still finishes', async () => {
    const admin = local.ctx.servicePrincipals.find((principal) => principal.clientId === ADMIN_CLIENT_ID)!;
    const granted = local.ctx.appRoleAssignments.splice(0);
    admin.graphRoles = ['Application.ReadWrite.All'];
    try {
      const run = await runCli('setup', env);

      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stdout).toContain('a Privileged Role Administrator runs, for Application.ReadWrite.OwnedBy:');
      expect(run.stdout).toMatch(
        /az rest --method POST --uri \S+\/v1\.0\/servicePrincipals\/[0-9a-f-]+\/appRoleAssignedTo --headers Content-Type=application\/json --body '\{"principalId":"[0-9a-f-]+"/,
      );
      expect(run.stdout).toContain(`"principalId":"${KEYRELAY_IDENTITY_OBJECT_ID}"`);
      expect(local.ctx.appRoleAssignments).toEqual([]);
    } finally {
      admin.graphRoles = ['Application.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All'];
      local.ctx.appRoleAssignments.push(...granted);
    }
  });

  it("leaves the app's service principal and keyrelay's role assignment, so the first rotation verifies its new secret at once", async () => {
    const [app] = keyrelayApps();
    expect(
      local.ctx.enterpriseApps.filter((sp) => sp.appId === app!.appId && sp.tenantId === CONTOSO_TENANT_ID),
    ).toHaveLength(1);
    // Application.ReadWrite.OwnedBy and Policy.Read.All (the rotation reads the tenant's lifetime cap).
    expect(local.ctx.appRoleAssignments.map((assignment) => assignment.principalId)).toEqual([
      KEYRELAY_IDENTITY_OBJECT_ID,
      KEYRELAY_IDENTITY_OBJECT_ID,
    ]);

    // keyrelay's own identity now rotates: its Graph token carries the granted role, it owns the app by object id.
    const keyrelay = credentialOf(identity());
    const graph = createGraphClient(
      local.settings.GRAPH_ENDPOINT,
      async () => (await keyrelay.getToken('https://graph.microsoft.com/.default')).token,
    );
    const secretStore = createKeyVaultSecretStore({ keyVaultUrl: local.settings.KEY_VAULT_URL }, keyrelay);
    const oauthClient = new MsalOAuthClient(
      { clientId: app!.appId, authorityHost: local.settings.AZURE_AUTHORITY_HOST, homeTenantId: CONTOSO_TENANT_ID },
      createKeyVaultClientCredential(secretStore, SECRET_NAME),
    );
    const rotation = createRotationService({
      // Due at once: setup's 24-month secret is inside a 800-day lead.
      config: {
        oauthClientId: app!.appId,
        oauthClientSecretName: SECRET_NAME,
        rotationMode: 'auto',
        rotationLeadDays: 800,
        rotationOverlapDays: 7,
      },
      secretStore,
      rotationStore: new InMemoryRotationStore(),
      appDirectory: createGraphApplicationDirectory(graph),
      secretVerifier: oauthClient,
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      wait: () => Promise.reject(new Error('the first verification must succeed without waiting')),
    });

    const outcome = await rotation.advance({ runId: 'first-rotation', now: new Date() });

    expect(outcome.lastError).toBeUndefined();
    expect(outcome.events.map((event) => event.kind)).toContain('verified');
    expect((await secretStore.getSecret(SECRET_NAME))?.tags.keyId).toBe(outcome.newKeyId);
  });
});
