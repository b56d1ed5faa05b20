// `npm run setup`: the portal procedure of the seed as one idempotent use case. Each step reads first and
// changes only what differs, so a second run changes nothing. The client secret goes from Graph's
// addPassword answer straight into Key Vault: it is never returned, printed, logged or written to disk.
import {
  type AppRegistrationAdmin,
  type AppRegistrationDirectory,
  GraphRequestError,
  type ManagedAppRegistration,
  type PublishedPermissions,
  type RequiredResourceAccess,
  type SecretStore,
} from '#src/shared/ports/index.js';
import type { Clock } from '#src/shared/domain/clock.js';
import {
  adminConsentUrl,
  EXCHANGE_ONLINE_APP_ID,
  MICROSOFT_GRAPH_APP_ID,
  MULTI_TENANT_AUDIENCE,
  PermissionNotPublishedError,
  planApplicationChanges,
  REQUIRED_DELEGATED_PERMISSIONS,
  requiredResourceAccessFrom,
  secretEndDate,
  storedSecretState,
} from './appRegistrationPlan.js';
import { SetupFailure, setupFailureOf } from './setupFailure.js';
import type { SetupMessage, SetupMessageCode, MessageParams } from './setupMessages.js';
import type { SetupSettings } from './setupSettings.js';

export interface SetupDependencies {
  apps: AppRegistrationAdmin;
  passwords: Pick<AppRegistrationDirectory, 'addPassword' | 'removePassword'>;
  secretStore: SecretStore;
  clock: Clock;
}

export interface SetupOptions {
  settings: SetupSettings;
  appName: string;
  dryRun: boolean;
  secretLifetimeMonths: number;
}

export type StepStatus = 'done' | 'unchanged' | 'planned' | 'skipped';

export interface SetupStep extends SetupMessage {
  status: StepStatus;
}

export interface SetupOutcome {
  /** Undefined only in a dry run that would create the registration. */
  appId?: string;
  steps: SetupStep[];
  nextSteps: SetupMessage[];
}

export const SECRET_DISPLAY_NAME = 'keyrelay (npm run setup)';

const PERMISSION_LIST = REQUIRED_DELEGATED_PERMISSIONS.flatMap(({ resourceName, scopes }) =>
  scopes.map((scope) => `${resourceName} ${scope}`),
).join(', ');

export async function runSetup(
  deps: SetupDependencies,
  options: SetupOptions,
  onStep: (step: SetupStep) => void = () => undefined,
): Promise<SetupOutcome> {
  const { settings, dryRun } = options;
  const steps: SetupStep[] = [];
  const record = (status: StepStatus, code: SetupMessageCode, params: MessageParams = {}): void => {
    const step = { status, code, params };
    steps.push(step);
    onStep(step);
  };
  const changed = (code: SetupMessageCode, params: MessageParams = {}): void =>
    record(dryRun ? 'planned' : 'done', code, params);

  const existing = await step('find app registration', () => findApplication(deps.apps, settings, options.appName));
  const required = await step('look up permissions', () => lookUpRequiredAccess(deps.apps));

  let app: ManagedAppRegistration | undefined = existing;
  if (existing) {
    record('unchanged', 'app_found', { displayName: existing.displayName, appId: existing.appId });
    const { changes, kinds } = planApplicationChanges(existing, settings.redirectUri, required);
    if (kinds.length > 0 && !dryRun)
      await step('update app registration', () => deps.apps.updateApplication(existing.id, changes));
    record(
      kinds.includes('audience') ? (dryRun ? 'planned' : 'done') : 'unchanged',
      kinds.includes('audience') ? 'audience_set' : 'audience_ok',
    );
    record(
      kinds.includes('redirectUri') ? (dryRun ? 'planned' : 'done') : 'unchanged',
      kinds.includes('redirectUri') ? 'redirect_uri_set' : 'redirect_uri_ok',
      {
        redirectUri: settings.redirectUri,
      },
    );
    record(
      kinds.includes('permissions') ? (dryRun ? 'planned' : 'done') : 'unchanged',
      kinds.includes('permissions') ? 'permissions_set' : 'permissions_ok',
      {
        permissions: PERMISSION_LIST,
      },
    );
  } else {
    if (!dryRun) {
      app = await step('create app registration', () =>
        deps.apps.createApplication({
          displayName: options.appName,
          signInAudience: MULTI_TENANT_AUDIENCE,
          webRedirectUris: [settings.redirectUri],
          requiredResourceAccess: required,
        }),
      );
    }
    changed('app_create', { displayName: options.appName, appId: app?.appId ?? '' });
    changed('redirect_uri_set', { redirectUri: settings.redirectUri });
    changed('permissions_set', { permissions: PERMISSION_LIST });
  }

  await ensureServicePrincipal(deps, app, dryRun, record);
  const identityObjectId = await ensureOwner(deps, settings, app, dryRun, record);
  if (identityObjectId !== undefined) await ensureRoleGrants(deps, settings, identityObjectId, dryRun, record);
  await ensureClientSecret(deps, options, app, record);

  const nextSteps: SetupMessage[] = [];
  const appId = app?.appId;
  if (appId !== undefined) {
    if (settings.oauthClientId !== appId) nextSteps.push({ code: 'next_client_id', params: { appId } });
    nextSteps.push({
      code: 'next_consent',
      params: {
        consentUrl: adminConsentUrl(settings.authorityHost, settings.azureTenantId, appId),
        tenant: settings.azureTenantId,
      },
    });
  }
  nextSteps.push({ code: 'next_connect', params: { connectUrl: `${settings.publicBaseUrl}/api/connect` } });
  nextSteps.push({ code: 'next_doctor', params: {} });
  return { ...(appId !== undefined && { appId }), steps, nextSteps };
}

/** Runs one step; any failure becomes a SetupFailure that says what is wrong and how to fix it. */
export async function step<T>(name: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw setupFailureOf(error, name);
  }
}

export async function findApplication(
  apps: Pick<AppRegistrationAdmin, 'findApplicationByAppId' | 'findApplicationsByDisplayName'>,
  settings: SetupSettings,
  appName: string,
): Promise<ManagedAppRegistration | undefined> {
  if (settings.oauthClientId !== undefined) {
    const app = await apps.findApplicationByAppId(settings.oauthClientId);
    if (!app)
      throw new SetupFailure('app_not_found', { appId: settings.oauthClientId, tenant: settings.azureTenantId });
    return app;
  }
  const matches = await apps.findApplicationsByDisplayName(appName);
  if (matches.length > 1) throw new SetupFailure('app_name_ambiguous', { count: matches.length, displayName: appName });
  return matches[0];
}

async function lookUpRequiredAccess(apps: AppRegistrationAdmin): Promise<RequiredResourceAccess[]> {
  const published = new Map<string, PublishedPermissions>();
  for (const resourceAppId of [EXCHANGE_ONLINE_APP_ID, MICROSOFT_GRAPH_APP_ID]) {
    const principal = await apps.findServicePrincipal(resourceAppId);
    if (principal) published.set(resourceAppId, principal);
  }
  try {
    return requiredResourceAccessFrom(published);
  } catch (error) {
    if (error instanceof PermissionNotPublishedError)
      throw new SetupFailure('permission_not_published', { resource: error.resourceName, scope: error.scope });
    throw error;
  }
}

type RecordStep = (status: StepStatus, code: SetupMessageCode, params?: MessageParams) => void;

/**
 * Entra refuses client credentials of an app without a service principal in its home tenant (AADSTS7000229),
 * and Graph `POST /applications` does not create one (the portal does): without it no rotation verifies.
 */
async function ensureServicePrincipal(
  deps: SetupDependencies,
  app: ManagedAppRegistration | undefined,
  dryRun: boolean,
  record: RecordStep,
): Promise<void> {
  if (!app) return record('planned', 'service_principal_create', { appId: '' });
  const existing = await step('find service principal', () => deps.apps.findServicePrincipal(app.appId));
  if (existing) return record('unchanged', 'service_principal_ok', { appId: app.appId });
  if (!dryRun) await step('create service principal', () => deps.apps.createServicePrincipal(app.appId));
  record(dryRun ? 'planned' : 'done', 'service_principal_create', { appId: app.appId });
}

/**
 * The Graph app roles keyrelay's identity needs: rotation (and reading the tenant's cap on secret
 * lifetimes), and alert mail without a mailbox when configured.
 */
export function requiredIdentityRoles(alertMailAuth: SetupSettings['alertMailAuth']): string[] {
  const rotation = ['Application.ReadWrite.OwnedBy', 'Policy.Read.All'];
  return alertMailAuth === 'managed-identity' ? [...rotation, 'Mail.Send'] : rotation;
}

/**
 * Grants keyrelay's identity its Graph app roles as appRoleAssignments (the only thing Entra puts in an
 * app-only token's roles). An account that may not grant (Microsoft Graph 403: it takes
 * AppRoleAssignment.ReadWrite.All, e.g. a Privileged Role Administrator) gets the exact command instead.
 */
async function ensureRoleGrants(
  deps: SetupDependencies,
  settings: SetupSettings,
  principalId: string,
  dryRun: boolean,
  record: RecordStep,
): Promise<void> {
  const graph = await step('look up Microsoft Graph', () => deps.apps.findServicePrincipal(MICROSOFT_GRAPH_APP_ID));
  if (!graph)
    throw new SetupFailure('permission_not_published', {
      resource: 'Microsoft Graph',
      scope: 'Application.ReadWrite.OwnedBy',
    });
  const grants = await step('read app role assignments', () => deps.apps.listAppRoleGrants(principalId));
  for (const role of requiredIdentityRoles(settings.alertMailAuth)) {
    const appRoleId = graph.appRoles.find((candidate) => candidate.value === role)?.id;
    if (appRoleId === undefined)
      throw new SetupFailure('permission_not_published', { resource: 'Microsoft Graph', scope: role });
    if (grants.some((grant) => grant.resourceId === graph.id && grant.appRoleId === appRoleId)) {
      record('unchanged', 'role_ok', { role });
      continue;
    }
    const grant = { principalId, resourceId: graph.id, appRoleId };
    if (dryRun) {
      record('planned', 'role_grant', { role });
      continue;
    }
    try {
      await deps.apps.grantAppRole(grant);
      record('done', 'role_grant', { role });
    } catch (error) {
      if (!(error instanceof GraphRequestError && error.failure.status === 403))
        throw setupFailureOf(error, 'grant app role');
      record('skipped', 'role_grant_command', { role, command: appRoleGrantCommand(settings.graphEndpoint, grant) });
    }
  }
}

/** The one command a Privileged Role Administrator runs to grant the role (Azure CLI, same Graph call). */
export function appRoleGrantCommand(
  graphEndpoint: string,
  grant: { principalId: string; resourceId: string; appRoleId: string },
): string {
  const body = JSON.stringify(grant);
  return `az rest --method POST --uri ${graphEndpoint}/v1.0/servicePrincipals/${grant.resourceId}/appRoleAssignedTo --headers Content-Type=application/json --body '${body}'`;
}

/** Makes keyrelay's identity an owner of the app; resolves its directory object id (undefined: no identity given). */
async function ensureOwner(
  deps: SetupDependencies,
  settings: SetupSettings,
  app: ManagedAppRegistration | undefined,
  dryRun: boolean,
  record: RecordStep,
): Promise<string | undefined> {
  const identityClientId = settings.identityClientId;
  if (identityClientId === undefined) {
    record('skipped', 'owner_skipped');
    return undefined;
  }
  const objectId =
    settings.identityObjectId ??
    (await step('look up keyrelay identity', async () => (await deps.apps.findServicePrincipal(identityClientId))?.id));
  if (objectId === undefined) throw new SetupFailure('identity_not_found', { identityClientId });
  if (!app) {
    record('planned', 'owner_add', { identityClientId });
    return objectId;
  }
  const owners = await step('read owners', () => deps.apps.listOwners(app.id));
  if (owners.some((owner) => owner.id === objectId || owner.appId === identityClientId)) {
    record('unchanged', 'owner_ok', { identityClientId });
    return objectId;
  }
  if (!dryRun) {
    await step('add owner', () => deps.apps.addOwner(app.id, objectId));
  }
  record(dryRun ? 'planned' : 'done', 'owner_add', { identityClientId });
  return objectId;
}

async function ensureClientSecret(
  deps: SetupDependencies,
  options: SetupOptions,
  app: ManagedAppRegistration | undefined,
  record: RecordStep,
): Promise<void> {
  const { settings } = options;
  const secretName = settings.oauthClientSecretName;
  const now = deps.clock.now();
  const stored = await step('read client secret from Key Vault', () => deps.secretStore.getSecret(secretName));
  const state = app ? storedSecretState(stored, app, now) : ({ usable: false, reason: 'missing' } as const);
  if (state.usable) {
    return record('unchanged', 'secret_ok', { secretName, expiresOn: state.credential.endDateTime });
  }
  const endDateTime = secretEndDate(now, options.secretLifetimeMonths);
  if (options.dryRun || !app) {
    return record('planned', 'secret_create', {
      secretName,
      expiresOn: endDateTime.toISOString(),
      reason: state.reason,
    });
  }
  const added = await step('create client secret', () =>
    deps.passwords.addPassword(app.id, { displayName: SECRET_DISPLAY_NAME, endDateTime: endDateTime.toISOString() }),
  );
  try {
    await deps.secretStore.setSecret(secretName, added.secretText, {
      expiresOn: new Date(added.endDateTime),
      tags: { appId: app.appId, keyId: added.keyId, managedBy: 'keyrelay' },
    });
  } catch (error) {
    // A password nobody can read is only an orphan: take it back so a retry starts clean.
    await deps.passwords.removePassword(app.id, added.keyId).catch(() => undefined);
    throw setupFailureOf(error, 'write client secret to Key Vault');
  }
  record('done', 'secret_create', { secretName, expiresOn: added.endDateTime, reason: state.reason });
}
