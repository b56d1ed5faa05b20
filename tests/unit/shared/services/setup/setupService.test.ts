// The setup use case over in-memory ports: what it writes, what it never writes, and how a failure
// between Graph and Key Vault is cleaned up.
import { describe, expect, it } from 'vitest';
import {
  type AddedPassword,
  type ApplicationChanges,
  type AppRegistrationAdmin,
  type AppRegistrationDirectory,
  GraphRequestError,
  type ManagedAppRegistration,
  StoreRequestError,
} from '#src/shared/ports/index.js';

import { EXCHANGE_ONLINE_APP_ID, MICROSOFT_GRAPH_APP_ID } from '#src/shared/services/setup/appRegistrationPlan.js';
import { SetupFailure } from '#src/shared/services/setup/setupFailure.js';
import { runSetup, type SetupOptions } from '#src/shared/services/setup/setupService.js';
import { InMemorySecretStore } from '../../../../fakes/index.js';

const NOW = new Date('2026-03-01T00:00:00Z');
const clock = { now: () => NOW };

/** A directory of app registrations in memory, recording every write. */
class FakeDirectory implements AppRegistrationAdmin, Pick<AppRegistrationDirectory, 'addPassword' | 'removePassword'> {
  apps: (ManagedAppRegistration & { owners: string[] })[] = [];
  servicePrincipals = new Map<string, string>();
  grants: { principalId: string; resourceId: string; appRoleId: string }[] = [];
  writes: string[] = [];
  addPasswordError: Error | undefined;
  grantError: Error | undefined;
  private counter = 0;

  findApplicationByAppId(appId: string) {
    return Promise.resolve(this.apps.find((app) => app.appId === appId));
  }
  findApplicationsByDisplayName(displayName: string) {
    return Promise.resolve(this.apps.filter((app) => app.displayName === displayName));
  }
  createApplication(request: { displayName: string } & Required<ApplicationChanges>) {
    this.writes.push('create');
    const app = {
      id: `obj-${++this.counter}`,
      appId: `app-${this.counter}`,
      displayName: request.displayName,
      signInAudience: request.signInAudience,
      webRedirectUris: request.webRedirectUris,
      requiredResourceAccess: request.requiredResourceAccess,
      passwordCredentials: [],
      owners: [],
    };
    this.apps.push(app);
    return Promise.resolve(app);
  }
  updateApplication(objectId: string, changes: ApplicationChanges) {
    this.writes.push('update');
    Object.assign(
      this.apps.find((app) => app.id === objectId)!,
      changes,
    );
    return Promise.resolve();
  }
  listOwners(objectId: string) {
    return Promise.resolve(this.apps.find((app) => app.id === objectId)!.owners.map((id) => ({ id, appId: null })));
  }
  addOwner(objectId: string, ownerObjectId: string) {
    this.writes.push('addOwner');
    this.apps.find((app) => app.id === objectId)!.owners.push(ownerObjectId);
    return Promise.resolve();
  }
  findServicePrincipal(appId: string) {
    const own = this.servicePrincipals.get(appId);
    if (own !== undefined) return Promise.resolve({ id: own, appId, oauth2PermissionScopes: [], appRoles: [] });
    const scopes =
      appId === EXCHANGE_ONLINE_APP_ID
        ? ['SMTP.Send']
        : appId === MICROSOFT_GRAPH_APP_ID
          ? ['Mail.Send', 'offline_access', 'openid', 'profile']
          : undefined;
    const appRoles =
      appId === MICROSOFT_GRAPH_APP_ID
        ? ['Application.ReadWrite.OwnedBy', 'Policy.Read.All', 'Mail.Send'].map((value) => ({
            id: `role-${value}`,
            value,
          }))
        : [];
    return Promise.resolve(
      scopes && {
        id: `sp-${appId}`,
        appId,
        oauth2PermissionScopes: scopes.map((value) => ({ id: `id-${value}`, value })),
        appRoles,
      },
    );
  }
  createServicePrincipal(appId: string) {
    this.writes.push('createServicePrincipal');
    this.servicePrincipals.set(appId, `sp-of-${appId}`);
    return Promise.resolve({ id: `sp-of-${appId}` });
  }
  listAppRoleGrants(principalObjectId: string) {
    return Promise.resolve(
      this.grants
        .filter((grant) => grant.principalId === principalObjectId)
        .map((grant) => ({ ...grant, createdDateTime: null })),
    );
  }
  grantAppRole(grant: { principalId: string; resourceId: string; appRoleId: string }) {
    if (this.grantError) return Promise.reject(this.grantError);
    this.writes.push(`grant:${grant.appRoleId}`);
    this.grants.push(grant);
    return Promise.resolve();
  }
  addPassword(objectId: string, request: { displayName: string; endDateTime: string }): Promise<AddedPassword> {
    if (this.addPasswordError) return Promise.reject(this.addPasswordError);
    this.writes.push('addPassword');
    const keyId = `key-${++this.counter}`;
    this.apps
      .find((app) => app.id === objectId)!
      .passwordCredentials.push({
        keyId,
        displayName: request.displayName,
        hint: 'sec',
        startDateTime: null,
        endDateTime: request.endDateTime,
      });
    return Promise.resolve({
      keyId,
      secretText: `secret-text-${keyId}`,
      hint: 'sec',
      endDateTime: request.endDateTime,
    });
  }
  removePassword(objectId: string, keyId: string): Promise<'removed' | 'not_found'> {
    this.writes.push(`removePassword:${keyId}`);
    const app = this.apps.find((candidate) => candidate.id === objectId)!;
    app.passwordCredentials = app.passwordCredentials.filter((credential) => credential.keyId !== keyId);
    return Promise.resolve('removed');
  }
}

const options = (overrides: Partial<SetupOptions> = {}): SetupOptions => ({
  settings: {
    keyVaultUrl: 'https://kv.example',
    azureTenantId: 'tenant-1',
    oauthClientSecretName: 'oauth-client-secret',
    oauthClientCredential: 'secret',
    federatedTokenAudience: 'api://AzureADTokenExchange',
    publicBaseUrl: 'https://func.example',
    redirectUri: 'https://func.example/api/oauth/callback',
    authorityHost: 'https://login.microsoftonline.com',
    graphEndpoint: 'https://graph.microsoft.com',
    locale: 'en',
    identityClientId: 'identity-client',
    identityObjectId: 'identity-object',
    alertMailAuth: 'connected-mailbox',
  },
  appName: 'keyrelay',
  dryRun: false,
  secretLifetimeMonths: 24,
  ...overrides,
});

function setup() {
  const directory = new FakeDirectory();
  const secretStore = new InMemorySecretStore(clock);
  return { directory, secretStore, deps: { apps: directory, passwords: directory, secretStore, clock } };
}

describe('runSetup', () => {
  it('creates the app, owner and secret, storing the secret with expiresOn and tags only in the secret store', async () => {
    const { directory, secretStore, deps } = setup();

    const outcome = await runSetup(deps, options());

    expect(directory.writes).toEqual([
      'create',
      'createServicePrincipal',
      'addOwner',
      'grant:role-Application.ReadWrite.OwnedBy',
      'grant:role-Policy.Read.All',
      'addPassword',
    ]);
    const app = directory.apps[0]!;
    expect(app.owners).toEqual(['identity-object']);
    const stored = await secretStore.getSecret('oauth-client-secret');
    expect(stored).toMatchObject({
      value: 'secret-text-key-2',
      tags: { appId: app.appId, keyId: 'key-2', managedBy: 'keyrelay' },
      expiresOn: new Date('2028-03-01T00:00:00Z'),
    });
    expect(JSON.stringify(outcome)).not.toContain('secret-text');
  });

  it('grants Mail.Send too when alert mail goes through the managed identity, and a second run grants nothing', async () => {
    const { directory, deps } = setup();
    const settings = { ...options().settings, alertMailAuth: 'managed-identity' as const };

    await runSetup(deps, options({ settings }));
    const second = await runSetup(deps, options({ settings }));

    expect(directory.grants.map((grant) => grant.appRoleId)).toEqual([
      'role-Application.ReadWrite.OwnedBy',
      'role-Policy.Read.All',
      'role-Mail.Send',
    ]);
    expect(
      directory.grants.every(
        (grant) => grant.principalId === 'identity-object' && grant.resourceId === `sp-${MICROSOFT_GRAPH_APP_ID}`,
      ),
    ).toBe(true);
    expect(second.steps.filter((step) => step.code.startsWith('role')).map((step) => step.code)).toEqual([
      'role_ok',
      'role_ok',
      'role_ok',
    ]);
  });

  it('prints the exact grant command when the account may not grant app roles (Graph 403), and goes on', async () => {
    const { directory, deps } = setup();
    directory.grantError = new GraphRequestError({ status: 403, code: 'Authorization_RequestDenied' });

    const outcome = await runSetup(deps, options());

    const command = outcome.steps.find((step) => step.code === 'role_grant_command');
    expect(command?.status).toBe('skipped');
    expect(command?.params.command).toBe(
      `az rest --method POST --uri https://graph.microsoft.com/v1.0/servicePrincipals/sp-${MICROSOFT_GRAPH_APP_ID}/appRoleAssignedTo --headers Content-Type=application/json --body '{"principalId":"identity-object","resourceId":"sp-${MICROSOFT_GRAPH_APP_ID}","appRoleId":"role-Application.ReadWrite.OwnedBy"}'`,
    );
    expect(directory.writes).toContain('addPassword');
  });

  it('in a dry run reads but writes nothing, and reports every change as planned', async () => {
    const { directory, secretStore, deps } = setup();

    const outcome = await runSetup(deps, options({ dryRun: true }));

    expect(directory.writes).toEqual([]);
    expect(secretStore.calls.setSecret).toBe(0);
    expect(outcome.steps.map((step) => step.status)).toEqual([
      'planned',
      'planned',
      'planned',
      'planned',
      'planned',
      'planned',
      'planned',
      'planned',
    ]);
    expect(outcome.appId).toBeUndefined();
  });

  it('takes the password back when Key Vault refuses the secret, so no unreadable orphan stays behind', async () => {
    const { directory, secretStore, deps } = setup();
    secretStore.failNext(
      'setSecret',
      new StoreRequestError('write secret oauth-client-secret: refused (HTTP 403)', 403),
    );

    const failure = await runSetup(deps, options()).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(SetupFailure);
    expect((failure as SetupFailure).code).toBe('key_vault_denied');
    expect(directory.writes).toContain('removePassword:key-2');
    expect(directory.apps[0]!.passwordCredentials).toEqual([]);
  });

  it('turns a tenant lifetime policy refusal into a failure whose fix is a shorter lifetime', async () => {
    const { directory, deps } = setup();
    directory.addPasswordError = new GraphRequestError({
      status: 400,
      code: 'CredentialInvalidLifetimeAsPerAppPolicy',
    });

    const failure = await runSetup(deps, options()).catch((error: unknown) => error);

    expect((failure as SetupFailure).code).toBe('secret_lifetime_policy');
  });

  it('refuses to guess between two registrations with the same name', async () => {
    const { directory, deps } = setup();
    await runSetup(deps, options());
    directory.apps.push({ ...directory.apps[0]!, id: 'obj-x', appId: 'app-x' });

    const failure = await runSetup(deps, options()).catch((error: unknown) => error);

    expect(failure).toMatchObject({ code: 'app_name_ambiguous', params: { count: 2, displayName: 'keyrelay' } });
  });
});
