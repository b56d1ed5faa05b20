// Shared state of the local Microsoft cloud. Every emulator (Entra ID, Graph, Key Vault) reads and
// writes this one object, so a password added or removed through Graph really changes what the
// Entra token endpoint accepts, and a Key Vault bearer token is verified against Entra's keys.
import type { IncomingMessage, ServerResponse } from 'node:http';

export type ServiceName = 'entra' | 'graph' | 'keyvault';

export interface CloudClock {
  now(): Date;
}

export interface EmulatedUser {
  oid: string;
  upn: string;
  displayName: string;
  /** Set by the control API or an admin "revoke sessions": every refresh token of the user fails with invalid_grant 50173. */
  revokedAt?: Date;
  /** Exchange: SMTP AUTH disabled for this mailbox (`Set-CASMailbox -SmtpClientAuthenticationDisabled $true`): 535 5.7.139. */
  smtpAuthDisabled?: boolean;
  /** A shared mailbox used as the XOAUTH2 identity: Exchange answers 535 5.7.3. */
  sharedMailbox?: boolean;
}

export interface EmulatedTenant {
  id: string;
  domain: string;
  users: EmulatedUser[];
  /** The tenant's default app-management policy (Graph `policies/defaultAppManagementPolicy`), when enabled. */
  defaultAppManagementPolicy?: EmulatedPasswordPolicy;
}

/** The password restrictions of an app-management policy (Graph `passwordCredentials` restrictions). */
export interface EmulatedPasswordPolicy {
  maxLifetimeDays?: number;
  forbidPasswords?: boolean;
}

export interface EmulatedPasswordCredential {
  keyId: string;
  displayName: string | null;
  /** First three characters of the secret, as Graph returns them. */
  hint: string;
  /** sha256 hex of the secret text; the text itself is returned once by addPassword and never stored. */
  secretSha256: string;
  startDateTime: string;
  endDateTime: string;
  /** Entra refuses the secret until this time: a new secret takes seconds to minutes to work. */
  activatesAt?: string;
  /** Entra refuses this many more token requests with the secret before it starts to work. */
  rejectionsLeft?: number;
}

export interface EmulatedKeyCredential {
  keyId: string;
  displayName: string | null;
  type: string;
  usage: string;
  startDateTime: string;
  endDateTime: string;
}

export interface EmulatedApplication {
  /** Graph object id. */
  id: string;
  appId: string;
  displayName: string;
  /** Home tenant. */
  tenantId: string;
  signInAudience: 'AzureADMyOrg' | 'AzureADMultipleOrgs';
  webRedirectUris: string[];
  passwordCredentials: EmulatedPasswordCredential[];
  keyCredentials: EmulatedKeyCredential[];
  /** Directory object ids of the service principals that own the app (Graph owners are directory objects). */
  ownerObjectIds: string[];
  requiredResourceAccess: { resourceAppId: string; resourceAccess: { id: string; type: 'Scope' | 'Role' }[] }[];
  /**
   * The app-management policy assigned to this app (Graph `applications/{id}/appManagementPolicies`); it
   * overrides the tenant default. addPassword enforces the effective one (400
   * CredentialInvalidLifetimeAsPerAppPolicy / CredentialTypeNotAllowedAsPerAppPolicy).
   */
  passwordPolicy?: EmulatedPasswordPolicy;
  /** Graph `federatedIdentityCredentials` (dev/cloud/graphFederatedCredentials.ts); absent = none. */
  federatedIdentityCredentials?: EmulatedFederatedCredential[];
  /** How long a password added from now on stays refused by the token endpoint (propagation delay). */
  newPasswordActivation?: { delayMs?: number; rejectedAttempts?: number };
}

/** Graph's federatedIdentityCredential: Entra accepts an assertion whose iss, sub and aud match one. */
export interface EmulatedFederatedCredential {
  id: string;
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
  description: string | null;
}

/** A workload identity keyrelay itself uses (stands in for a managed identity / `az login`). */
export interface EmulatedServicePrincipal {
  clientId: string;
  /** Directory object id (principal id): what owners lists and app-role assignments name, never the client id. */
  objectId: string;
  tenantId: string;
  /** Plain text on purpose: this is the emulator's own test identity, handed to tests as AZURE_CLIENT_SECRET. */
  secret: string;
  /** Graph app roles an admin granted before the world was seeded (more arrive as `appRoleAssignments`), e.g. 'Application.ReadWrite.OwnedBy', 'Mail.Send'. */
  graphRoles: string[];
  /** When false, Key Vault answers 403 Forbidden to this identity. */
  keyVaultAccess: boolean;
}

/**
 * The service principal (enterprise application) of an app registration in one tenant. Entra needs it
 * for every token of the app in that tenant: the portal and consent create it, Graph `POST /applications`
 * does not; deleting it is how a customer tenant's admin removes the app (then AADSTS700016).
 */
export interface EmulatedEnterpriseApp {
  /** Directory object id. */
  id: string;
  appId: string;
  tenantId: string;
  displayName: string;
  createdDateTime: string;
}

/** An admin-granted app role (application permission): the only source of an app-only token's `roles`. */
export interface EmulatedAppRoleAssignment {
  id: string;
  /** Object id of the service principal (or managed identity) granted the role. */
  principalId: string;
  /** Object id of the resource's service principal (e.g. Microsoft Graph in that tenant). */
  resourceId: string;
  appRoleId: string;
  tenantId: string;
  createdDateTime: string;
}

export interface InjectedFault {
  service: ServiceName;
  /** Route key as logged by the emulator (e.g. 'token', 'secrets.get', 'applications.addPassword'); '*' for all. */
  route: string;
  /** `id_token_claims` (route 'id_token'): the next id tokens carry `claims` over the real ones, still signed — an IdP gone wrong. */
  /** `status_after`: the operation takes effect, then the caller gets `status` (a committed call answered 5xx). */
  kind:
    'status' | 'status_after' | 'latency' | 'invalid_grant' | 'invalid_client' | 'timeout_after' | 'id_token_claims';
  status?: number;
  retryAfterSeconds?: number;
  latencyMs?: number;
  /** AADSTS code for invalid_grant (e.g. 50173, 70000, 65001). */
  aadsts?: number;
  suberror?: string;
  /** Claims an `id_token_claims` fault writes into the id token. */
  claims?: Record<string, unknown>;
  /** How many matching requests the fault applies to; Infinity for "until cleared". */
  remaining: number;
}

export interface OutboxMessage {
  id: string;
  receivedAt: string;
  /** Sender mailbox (from the URL or the token). */
  from: string;
  /** The Graph message object as posted to sendMail. */
  message: {
    subject?: string;
    body?: { contentType?: string; content?: string };
    toRecipients?: { emailAddress: { address: string; name?: string } }[];
    attachments?: { '@odata.type'?: string; name?: string; contentType?: string; contentBytes?: string }[];
  };
}

export interface RequestLogEntry {
  at: string;
  service: ServiceName;
  route: string;
  method: string;
  status: number;
}

export interface LocalCloudContext {
  clock: CloudClock;
  tenants: EmulatedTenant[];
  applications: EmulatedApplication[];
  servicePrincipals: EmulatedServicePrincipal[];
  /** Service principals of app registrations, per tenant. */
  enterpriseApps: EmulatedEnterpriseApp[];
  appRoleAssignments: EmulatedAppRoleAssignment[];
  /** Delegated consent per `${tenantId}|${appId}`: granted scopes (full URIs). */
  consents: Map<string, Set<string>>;
  faults: InjectedFault[];
  requestLog: RequestLogEntry[];
  outbox: OutboxMessage[];
  /** Base URLs, filled once the servers listen. */
  urls: {
    entra: string;
    graph: string;
    keyVault: string;
    control: string;
    /** `host:port` of the SMTP emulator, when it runs. */ smtp?: string;
  };
}

export type EmulatorHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

/** Claims of an access token minted by the Entra emulator (v2 shape). */
export interface AccessTokenClaims {
  aud: string;
  iss: string;
  tid: string;
  /** Client id of the caller (app-only and delegated). */
  azp: string;
  appid: string;
  /** Delegated tokens: the signed-in user. App-only tokens: the service principal's client id. */
  oid: string;
  sub: string;
  scp?: string;
  roles?: string[];
  preferred_username?: string;
  upn?: string;
  iat: number;
  nbf: number;
  exp: number;
}

/** Implemented by the Entra emulator; used by Graph and Key Vault to authenticate callers. */
export interface TokenVerifier {
  /** Resolves the claims when the RS256 signature, expiry and audience (e.g. 'https://vault.azure.net') check out; rejects otherwise. */
  verify(token: string, audience: string): Promise<AccessTokenClaims>;
}
