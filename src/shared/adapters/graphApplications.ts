// The app registration's credentials through Microsoft Graph: read them (monitor), add and remove
// passwords (rotation). Called with keyrelay's Azure identity, never with the monitored secret.
import { RetryHandlerOptions, type Client } from '@microsoft/microsoft-graph-client';
import type { AppManagementPolicies, PasswordRestriction } from '../domain/monitor/passwordPolicy.js';
import { callGraph } from './graphClient.js';

export interface AppPasswordCredential {
  keyId: string;
  displayName: string | null;
  /** First three characters of the secret text. */
  hint: string | null;
  startDateTime: string | null;
  endDateTime: string;
}

export interface AppKeyCredential {
  keyId: string;
  displayName: string | null;
  type: string | null;
  usage: string | null;
  startDateTime: string | null;
  endDateTime: string;
}

export interface AppRegistration {
  /** Graph object id (addPassword/removePassword address the app by it). */
  id: string;
  appId: string;
  displayName: string;
  passwordCredentials: AppPasswordCredential[];
  keyCredentials: AppKeyCredential[];
}

export interface AddedPassword {
  keyId: string;
  secretText: string;
  hint: string | null;
  endDateTime: string;
}

export interface AppRegistrationDirectory {
  getApplication(appId: string): Promise<AppRegistration>;
  /** Sent once, never retried: a retry after a lost answer would add a second password. */
  addPassword(objectId: string, request: { displayName: string; endDateTime: string }): Promise<AddedPassword>;
  /**
   * Resolves 'not_found' when Graph's list no longer holds the keyId, whatever status the removal answered
   * (Graph documents only the 204; an admin may have removed it in the portal).
   */
  removePassword(objectId: string, keyId: string): Promise<'removed' | 'not_found'>;
  /** The tenant default and the app's own app-management policies (needs Policy.Read.All: 403 otherwise). */
  getAppManagementPolicies(objectId: string): Promise<AppManagementPolicies>;
}

const APP_FIELDS = 'id,appId,displayName,passwordCredentials,keyCredentials';

interface GraphAppManagementPolicy {
  isEnabled?: boolean | null;
  restrictions?: { passwordCredentials?: PasswordRestriction[] | null } | null;
  applicationRestrictions?: { passwordCredentials?: PasswordRestriction[] | null } | null;
}

export function createGraphApplicationDirectory(client: Client): AppRegistrationDirectory {
  return {
    async getApplication(appId) {
      const app = await callGraph<AppRegistration>(() =>
        client.api(`/applications(appId='${encodeURIComponent(appId.replaceAll("'", "''"))}')`).select(APP_FIELDS).get() as Promise<AppRegistration>,
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
      return { keyId: added.keyId, secretText: added.secretText, hint: added.hint ?? null, endDateTime: added.endDateTime };
    },

    async removePassword(objectId, keyId) {
      const path = `/applications/${encodeURIComponent(objectId)}`;
      try {
        await callGraph(() => client.api(`${path}/removePassword`).post({ keyId }) as Promise<unknown>);
        return 'removed';
      } catch (error) {
        // The list decides, not the status: a password that is gone is removed, whoever removed it.
        const app = await callGraph(
          () => client.api(path).select('passwordCredentials').get() as Promise<{ passwordCredentials?: AppPasswordCredential[] | null }>,
        ).catch(() => undefined);
        const listed = app?.passwordCredentials?.some((password) => password.keyId.toLowerCase() === keyId.toLowerCase());
        if (app !== undefined && listed === false) return 'not_found';
        throw error;
      }
    },

    async getAppManagementPolicies(objectId) {
      const [tenant, assigned] = await Promise.all([
        callGraph(() => client.api('/policies/defaultAppManagementPolicy').get() as Promise<GraphAppManagementPolicy>),
        callGraph(
          () => client.api(`/applications/${encodeURIComponent(objectId)}/appManagementPolicies`).get() as Promise<{ value?: GraphAppManagementPolicy[] | null }>,
        ),
      ]);
      return {
        ...(tenant.isEnabled === true ? { tenantDefault: tenant.applicationRestrictions?.passwordCredentials ?? [] } : {}),
        appPolicies: (assigned.value ?? [])
          .filter((policy) => policy.isEnabled !== false)
          .map((policy) => policy.restrictions?.passwordCredentials ?? []),
      };
    },
  };
}

// ---- app registration management (npm run setup / doctor, with the admin's or keyrelay's identity) ----

export type SignInAudience = 'AzureADMyOrg' | 'AzureADMultipleOrgs' | 'AzureADandPersonalMicrosoftAccount' | 'PersonalMicrosoftAccount';

export interface ResourceAccess {
  id: string;
  type: 'Scope' | 'Role';
}

export interface RequiredResourceAccess {
  resourceAppId: string;
  resourceAccess: ResourceAccess[];
}

/** The parts of an application setup reads and writes. */
export interface ManagedAppRegistration {
  id: string;
  appId: string;
  displayName: string;
  signInAudience: SignInAudience;
  webRedirectUris: string[];
  requiredResourceAccess: RequiredResourceAccess[];
  passwordCredentials: AppPasswordCredential[];
}

export interface ApplicationChanges {
  signInAudience?: SignInAudience;
  webRedirectUris?: string[];
  requiredResourceAccess?: RequiredResourceAccess[];
}

export interface DirectoryOwner {
  /** Directory object id. */
  id: string;
  /** Client id when the owner is a service principal. */
  appId: string | null;
}

/** A resource API's published permissions (servicePrincipal oauth2PermissionScopes / appRoles). */
export interface PublishedPermissions {
  id: string;
  appId: string;
  oauth2PermissionScopes: { id: string; value: string }[];
  appRoles: { id: string; value: string }[];
}

/** An app role granted to a service principal (appRoleAssignment). */
export interface AppRoleGrant {
  resourceId: string;
  appRoleId: string;
  createdDateTime: string | null;
}

export interface AppRegistrationAdmin {
  findApplicationByAppId(appId: string): Promise<ManagedAppRegistration | undefined>;
  findApplicationsByDisplayName(displayName: string): Promise<ManagedAppRegistration[]>;
  createApplication(request: { displayName: string } & Required<ApplicationChanges>): Promise<ManagedAppRegistration>;
  updateApplication(objectId: string, changes: ApplicationChanges): Promise<void>;
  listOwners(objectId: string): Promise<DirectoryOwner[]>;
  addOwner(objectId: string, ownerObjectId: string): Promise<void>;
  findServicePrincipal(appId: string): Promise<PublishedPermissions | undefined>;
  /** Creates the app's service principal in the caller's tenant (Graph `POST /applications` does not). */
  createServicePrincipal(appId: string): Promise<{ id: string }>;
  listAppRoleGrants(principalObjectId: string): Promise<AppRoleGrant[]>;
  grantAppRole(grant: { principalId: string; resourceId: string; appRoleId: string }): Promise<void>;
}

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
          () => client.api(`/applications(appId='${encodeURIComponent(odataString(appId))}')`).select(MANAGED_APP_FIELDS).get() as Promise<GraphApplicationResource>,
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
        () => client.api('/applications').post({ displayName: request.displayName, ...applicationBody(request) }) as Promise<GraphApplicationResource>,
      );
      return toManagedApp(app);
    },

    async updateApplication(objectId, changes) {
      await callGraph(() => client.api(`/applications/${encodeURIComponent(objectId)}`).patch(applicationBody(changes)) as Promise<unknown>);
    },

    async listOwners(objectId) {
      const page = await callGraph(
        () => client.api(`/applications/${encodeURIComponent(objectId)}/owners`).get() as Promise<{ value: { id: string; appId?: string | null }[] }>,
      );
      return page.value.map((owner) => ({ id: owner.id, appId: owner.appId ?? null }));
    },

    async addOwner(objectId, ownerObjectId) {
      await callGraph(
        () =>
          client
            .api(`/applications/${encodeURIComponent(objectId)}/owners/$ref`)
            .post({ '@odata.id': `${graphOrigin}/v1.0/directoryObjects/${encodeURIComponent(ownerObjectId)}` }) as Promise<unknown>,
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
      const created = await callGraph(() => client.api('/servicePrincipals').post({ appId }) as Promise<{ id: string }>);
      return { id: created.id };
    },

    async listAppRoleGrants(principalObjectId) {
      const page = await callGraph(
        () =>
          client.api(`/servicePrincipals/${encodeURIComponent(principalObjectId)}/appRoleAssignments`).get() as Promise<{
            value: { resourceId: string; appRoleId: string; createdDateTime?: string | null }[];
          }>,
      );
      return page.value.map(({ resourceId, appRoleId, createdDateTime }) => ({ resourceId, appRoleId, createdDateTime: createdDateTime ?? null }));
    },

    async grantAppRole(grant) {
      await callGraph(() => client.api(`/servicePrincipals/${encodeURIComponent(grant.resourceId)}/appRoleAssignedTo`).post(grant) as Promise<unknown>);
    },
  };
}
