// The app registration through Microsoft Graph: its credentials (monitor, rotation) and its management
// (setup, doctor).
import type { AppManagementPolicies } from '../domain/monitor/passwordPolicy.js';

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

export type SignInAudience =
  'AzureADMyOrg' | 'AzureADMultipleOrgs' | 'AzureADandPersonalMicrosoftAccount' | 'PersonalMicrosoftAccount';

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
