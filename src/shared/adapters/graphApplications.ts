// The app registration's credentials through Microsoft Graph: read them (monitor), add and remove
// passwords (rotation). Called with keyrelay's Azure identity, never with the monitored secret.
import { RetryHandlerOptions, type Client } from '@microsoft/microsoft-graph-client';
import type { PasswordRestriction } from '../domain/monitor/passwordPolicy.js';
import { callGraph } from './graphClient.js';
import type {
  AddedPassword,
  AppPasswordCredential,
  AppRegistration,
  AppRegistrationAdmin,
  AppRegistrationDirectory,
  ApplicationChanges,
  ManagedAppRegistration,
  PublishedPermissions,
  RequiredResourceAccess,
  SignInAudience,
} from '../ports/index.js';

const APP_FIELDS = 'id,appId,displayName,passwordCredentials,keyCredentials';

interface GraphAppManagementPolicy {
  isEnabled?: boolean | null;
  restrictions?: { passwordCredentials?: PasswordRestriction[] | null } | null;
  applicationRestrictions?: { passwordCredentials?: PasswordRestriction[] | null } | null;
}

export function createGraphApplicationDirectory(client: Client): AppRegistrationDirectory {
  return {
    async getApplication(appId) {
      const app = await callGraph<AppRegistration>(
        () =>
          client
            .api(`/applications(appId='${encodeURIComponent(appId.replaceAll("'", "''"))}')`)
            .select(APP_FIELDS)
            .get() as Promise<AppRegistration>,
      );
      return {
        id: app.id,
        appId: app.appId,
        displayName: app.displayName,
        passwordCredentials: app.passwordCredentials ?? [],
        keyCredentials: app.keyCredentials ?? [],
      };
    },

    async addPassword(objectId, request) {
      const added = await callGraph<AddedPassword>(
        () =>
          client
            .api(`/applications/${encodeURIComponent(objectId)}/addPassword`)
            .middlewareOptions([new RetryHandlerOptions(0, 0)])
            .post({
              passwordCredential: { displayName: request.displayName, endDateTime: request.endDateTime },
            }) as Promise<AddedPassword>,
      );
      return {
        keyId: added.keyId,
        secretText: added.secretText,
        hint: added.hint ?? null,
        endDateTime: added.endDateTime,
      };
    },

    async removePassword(objectId, keyId) {
      const path = `/applications/${encodeURIComponent(objectId)}`;
      try {
        await callGraph(() => client.api(`${path}/removePassword`).post({ keyId }) as Promise<unknown>);
        return 'removed';
      } catch (error) {
        // The list decides, not the status: a password that is gone is removed, whoever removed it.
        const app = await callGraph(
          () =>
            client.api(path).select('passwordCredentials').get() as Promise<{
              passwordCredentials?: AppPasswordCredential[] | null;
            }>,
        ).catch(() => undefined);
        const listed = app?.passwordCredentials?.some(
          (password) => password.keyId.toLowerCase() === keyId.toLowerCase(),
        );
        if (app !== undefined && listed === false) return 'not_found';
        throw error;
      }
    },

    async getAppManagementPolicies(objectId) {
      const [tenant, assigned] = await Promise.all([
        callGraph(() => client.api('/policies/defaultAppManagementPolicy').get() as Promise<GraphAppManagementPolicy>),
        callGraph(
          () =>
            client.api(`/applications/${encodeURIComponent(objectId)}/appManagementPolicies`).get() as Promise<{
              value?: GraphAppManagementPolicy[] | null;
            }>,
        ),
      ]);
      return {
        ...(tenant.isEnabled === true
          ? { tenantDefault: tenant.applicationRestrictions?.passwordCredentials ?? [] }
          : {}),
        appPolicies: (assigned.value ?? [])
          .filter((policy) => policy.isEnabled !== false)
          .map((policy) => policy.restrictions?.passwordCredentials ?? []),
      };
    },
  };
}

// ---- app registration management (npm run setup / doctor, with the admin's or keyrelay's identity) ----

interface GraphApplicationResource {
  id: string;
  appId: string;
  displayName: string;
  signInAudience?: SignInAudience | null;
  web?: { redirectUris?: string[] | null } | null;
  requiredResourceAccess?: RequiredResourceAccess[] | null;
  passwordCredentials?: AppPasswordCredential[] | null;
}

const MANAGED_APP_FIELDS = 'id,appId,displayName,signInAudience,web,requiredResourceAccess,passwordCredentials';

const odataString = (text: string): string => text.replaceAll("'", "''");

function toManagedApp(app: GraphApplicationResource): ManagedAppRegistration {
  return {
    id: app.id,
    appId: app.appId,
    displayName: app.displayName,
    signInAudience: app.signInAudience ?? 'AzureADMyOrg',
    webRedirectUris: app.web?.redirectUris ?? [],
    requiredResourceAccess: app.requiredResourceAccess ?? [],
    passwordCredentials: app.passwordCredentials ?? [],
  };
}

function applicationBody(changes: ApplicationChanges): Record<string, unknown> {
  return {
    ...(changes.signInAudience !== undefined && { signInAudience: changes.signInAudience }),
    ...(changes.webRedirectUris !== undefined && { web: { redirectUris: changes.webRedirectUris } }),
    ...(changes.requiredResourceAccess !== undefined && { requiredResourceAccess: changes.requiredResourceAccess }),
  };
}

const isNotFound = (error: unknown): boolean => (error as { failure?: { status?: number } }).failure?.status === 404;

/** `graphEndpoint` builds the directoryObjects reference that adding an owner takes. */
export function createGraphAppRegistrationAdmin(client: Client, graphEndpoint: string): AppRegistrationAdmin {
  const graphOrigin = new URL(graphEndpoint).origin;
  return {
    async findApplicationByAppId(appId) {
      try {
        const app = await callGraph(
          () =>
            client
              .api(`/applications(appId='${encodeURIComponent(odataString(appId))}')`)
              .select(MANAGED_APP_FIELDS)
              .get() as Promise<GraphApplicationResource>,
        );
        return toManagedApp(app);
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    async findApplicationsByDisplayName(displayName) {
      const page = await callGraph(
        () =>
          client
            .api('/applications')
            .filter(`displayName eq '${odataString(displayName)}'`)
            .select(MANAGED_APP_FIELDS)
            .get() as Promise<{ value: GraphApplicationResource[] }>,
      );
      return page.value.map(toManagedApp);
    },

    async createApplication(request) {
      const app = await callGraph(
        () =>
          client.api('/applications').post({
            displayName: request.displayName,
            ...applicationBody(request),
          }) as Promise<GraphApplicationResource>,
      );
      return toManagedApp(app);
    },

    async updateApplication(objectId, changes) {
      await callGraph(
        () =>
          client
            .api(`/applications/${encodeURIComponent(objectId)}`)
            .patch(applicationBody(changes)) as Promise<unknown>,
      );
    },

    async listOwners(objectId) {
      const page = await callGraph(
        () =>
          client.api(`/applications/${encodeURIComponent(objectId)}/owners`).get() as Promise<{
            value: { id: string; appId?: string | null }[];
          }>,
      );
      return page.value.map((owner) => ({ id: owner.id, appId: owner.appId ?? null }));
    },

    async addOwner(objectId, ownerObjectId) {
      await callGraph(
        () =>
          client.api(`/applications/${encodeURIComponent(objectId)}/owners/$ref`).post({
            '@odata.id': `${graphOrigin}/v1.0/directoryObjects/${encodeURIComponent(ownerObjectId)}`,
          }) as Promise<unknown>,
      );
    },

    async findServicePrincipal(appId) {
      try {
        const principal = await callGraph(
          () =>
            client
              .api(`/servicePrincipals(appId='${encodeURIComponent(odataString(appId))}')`)
              .select('id,appId,oauth2PermissionScopes,appRoles')
              .get() as Promise<PublishedPermissions>,
        );
        return {
          id: principal.id,
          appId: principal.appId,
          oauth2PermissionScopes: (principal.oauth2PermissionScopes ?? []).map(({ id, value }) => ({ id, value })),
          appRoles: (principal.appRoles ?? []).map(({ id, value }) => ({ id, value })),
        };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    async createServicePrincipal(appId) {
      const created = await callGraph(
        () => client.api('/servicePrincipals').post({ appId }) as Promise<{ id: string }>,
      );
      return { id: created.id };
    },

    async listAppRoleGrants(principalObjectId) {
      const page = await callGraph(
        () =>
          client
            .api(`/servicePrincipals/${encodeURIComponent(principalObjectId)}/appRoleAssignments`)
            .get() as Promise<{
            value: { resourceId: string; appRoleId: string; createdDateTime?: string | null }[];
          }>,
      );
      return page.value.map(({ resourceId, appRoleId, createdDateTime }) => ({
        resourceId,
        appRoleId,
        createdDateTime: createdDateTime ?? null,
      }));
    },

    async grantAppRole(grant) {
      await callGraph(
        () =>
          client
            .api(`/servicePrincipals/${encodeURIComponent(grant.resourceId)}/appRoleAssignedTo`)
            .post(grant) as Promise<unknown>,
      );
    },
  };
}
