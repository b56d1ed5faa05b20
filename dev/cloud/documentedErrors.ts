// Microsoft's documented error answers, each with where it is documented. The emulators answer with
// these bodies and keyrelay's classification tests read the same list, so "whose problem is it" is
// checked against what Microsoft sends, not against what the emulator happens to say.
// Entra's texts carry placeholders: {appId}, {tenant}, {resource}.
import { EntraError } from './entraErrors.js';

/** Whose problem the error is, per the documentation: decides what keyrelay may conclude from it. */
export type ErrorOwner =
  /** The signed-in user's grant (revoked, expired, Conditional Access, consent): that mailbox reconnects. */
  | 'mailbox'
  /** The customer tenant (its admin removed or disabled the app): that tenant's mailboxes only. */
  | 'tenant'
  /** keyrelay's own app credential or home-tenant registration: every mailbox, alarm the admins. */
  | 'keyrelay'
  /** Entra is busy or down: retry later. */
  | 'transient';

export interface DocumentedEntraError {
  aadsts: number;
  /** OAuth `error` word. */
  error: string;
  status: number;
  suberror?: string;
  description: string;
  owner: ErrorOwner;
  source: string;
}

const ERROR_CODES = 'https://learn.microsoft.com/entra/identity-platform/reference-error-codes';
const SP_TROUBLESHOOTING =
  'https://learn.microsoft.com/azure/developer/java/sdk/troubleshooting-authentication-service-principal';
const MISSING_SP =
  'https://learn.microsoft.com/microsoftteams/platform/teams-sdk/teams/app-authentication/troubleshooting';
const CA_ERRORS = 'https://learn.microsoft.com/entra/identity/conditional-access/troubleshoot-conditional-access';
const MSAL_ERRORS = 'https://learn.microsoft.com/entra/msal/javascript/browser/errors';

export const DOCUMENTED_ENTRA_ERRORS: readonly DocumentedEntraError[] = [
  {
    aadsts: 700016,
    error: 'unauthorized_client',
    status: 400,
    description:
      "Application with identifier '{appId}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
    owner: 'tenant',
    source: `${ERROR_CODES} (UnauthorizedClient_DoesNotMatchRequest); ${SP_TROUBLESHOOTING}`,
  },
  {
    aadsts: 7000112,
    error: 'unauthorized_client',
    status: 400,
    description: "Application '{appId}' is disabled.",
    owner: 'tenant',
    source: `${ERROR_CODES} (UnauthorizedClientApplicationDisabled)`,
  },
  {
    aadsts: 65001,
    error: 'invalid_grant',
    status: 400,
    suberror: 'consent_required',
    description:
      "The user or administrator has not consented to use the application with ID '{appId}'. Send an interactive authorization request for this user and resource.",
    owner: 'mailbox',
    source: `${ERROR_CODES} (DelegationDoesNotExist)`,
  },
  {
    aadsts: 50173,
    error: 'invalid_grant',
    status: 400,
    suberror: 'bad_token',
    description:
      'The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.',
    owner: 'mailbox',
    source: `${ERROR_CODES} (FreshTokenNeeded)`,
  },
  {
    aadsts: 50076,
    error: 'invalid_grant',
    status: 400,
    suberror: 'basic_action',
    description:
      "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '{resource}'.",
    owner: 'mailbox',
    source: `${ERROR_CODES} (UserStrongAuthClientAuthNRequired); ${MSAL_ERRORS}`,
  },
  {
    aadsts: 53003,
    error: 'invalid_grant',
    status: 400,
    suberror: 'message_only',
    description:
      'Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.',
    owner: 'mailbox',
    source: `${ERROR_CODES} (BlockedByConditionalAccess); ${CA_ERRORS}`,
  },
  {
    aadsts: 700082,
    error: 'invalid_grant',
    status: 400,
    suberror: 'bad_token',
    description:
      'The refresh token has expired due to inactivity. The token was issued on {issuedOn} and was inactive for 90.00:00:00.',
    owner: 'mailbox',
    source: `${ERROR_CODES} (ExpiredOrRevokedGrantInactiveToken)`,
  },
  {
    aadsts: 70043,
    error: 'invalid_grant',
    status: 400,
    suberror: 'bad_token',
    description: 'The refresh token has expired or is invalid due to sign-in frequency checks by conditional access.',
    owner: 'mailbox',
    source: `${ERROR_CODES} (BadTokenDueToInteractionRequired)`,
  },
  {
    aadsts: 7000215,
    error: 'invalid_client',
    status: 401,
    description:
      "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{appId}'.",
    owner: 'keyrelay',
    source: `${ERROR_CODES} (InvalidClientSecretProvided); ${SP_TROUBLESHOOTING}`,
  },
  {
    aadsts: 7000222,
    error: 'invalid_client',
    status: 401,
    description:
      "The provided client secret keys for app '{appId}' are expired. Visit the Azure portal to create new keys for your app.",
    owner: 'keyrelay',
    source: `${ERROR_CODES} (InvalidClientSecretExpiredKeysProvided); ${SP_TROUBLESHOOTING}`,
  },
  {
    aadsts: 7000229,
    error: 'invalid_client',
    status: 401,
    description:
      'The client application {appId} is missing service principal in the tenant {tenant}. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119',
    owner: 'keyrelay',
    source: MISSING_SP,
  },
  {
    aadsts: 90033,
    error: 'temporarily_unavailable',
    status: 503,
    description: 'A transient error has occurred. Please try again.',
    owner: 'transient',
    source: `${ERROR_CODES} (MsodsServiceUnavailable)`,
  },
];

export interface DocumentedGraphError {
  status: number;
  code: string;
  message: string;
  source: string;
}

/** Graph errors the emulator answers with (https://learn.microsoft.com/graph/errors and each API page). */
export const DOCUMENTED_GRAPH_ERRORS = {
  denied: {
    status: 403,
    code: 'Authorization_RequestDenied',
    message: 'Insufficient privileges to complete the operation.',
    source: 'https://learn.microsoft.com/graph/resolve-auth-errors',
  },
  notFound: {
    status: 404,
    code: 'Request_ResourceNotFound',
    message: "Resource '{id}' does not exist or one of its queried reference-property objects are not present.",
    source: 'https://learn.microsoft.com/graph/errors',
  },
  alreadyExists: {
    status: 400,
    code: 'Request_BadRequest',
    message: 'Permission being assigned already exists on the object',
    source: 'https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignedto',
  },
  servicePrincipalExists: {
    status: 409,
    code: 'Request_MultipleObjectsWithSameKeyValue',
    message:
      'The service principal cannot be created, updated, or restored because the service principal name {appId} is already in use.',
    source: 'https://learn.microsoft.com/graph/api/serviceprincipal-post-serviceprincipals',
  },
} as const satisfies Record<string, DocumentedGraphError>;

export function documentedEntraErrorOf(aadsts: number): DocumentedEntraError {
  const documented = DOCUMENTED_ENTRA_ERRORS.find((entry) => entry.aadsts === aadsts);
  if (!documented) throw new Error(`AADSTS${aadsts} is not in the documented list`);
  return documented;
}

export function fillPlaceholders(text: string, values: Record<string, string>): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

/** Entra's documented answer for the code, with its placeholders filled. */
export function documentedEntraError(aadsts: number, values: Record<string, string> = {}): EntraError {
  const documented = documentedEntraErrorOf(aadsts);
  return new EntraError(
    documented.status,
    documented.error,
    documented.aadsts,
    fillPlaceholders(documented.description, values),
    documented.suberror,
  );
}
