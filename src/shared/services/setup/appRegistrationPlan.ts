// Pure decisions of `npm run setup`: which permissions the app registration must request, what to change
// on an existing registration, and whether the client secret in Key Vault is still a usable one.
import type {
  ApplicationChanges,
  AppPasswordCredential,
  ManagedAppRegistration,
  PublishedPermissions,
  RequiredResourceAccess,
  SecretValue,
} from '#src/shared/ports/index.js';

/** Well-known application ids of the resource APIs (the same in every tenant). */
export const EXCHANGE_ONLINE_APP_ID = '00000002-0000-0ff1-ce00-000000000000';
export const MICROSOFT_GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/**
 * Delegated permissions, by value: SMTP XOAUTH2 needs Exchange's SMTP.Send; Graph Mail.Send only covers
 * Graph sendMail (DESIGN §1). Ids are looked up in the tenant's service principals, never typed.
 */
export const REQUIRED_DELEGATED_PERMISSIONS: readonly {
  resourceAppId: string;
  resourceName: string;
  scopes: readonly string[];
}[] = [
  { resourceAppId: EXCHANGE_ONLINE_APP_ID, resourceName: 'Office 365 Exchange Online', scopes: ['SMTP.Send'] },
  {
    resourceAppId: MICROSOFT_GRAPH_APP_ID,
    resourceName: 'Microsoft Graph',
    scopes: ['Mail.Send', 'offline_access', 'openid', 'profile'],
  },
];

export const MULTI_TENANT_AUDIENCE = 'AzureADMultipleOrgs';

export class PermissionNotPublishedError extends Error {
  override name = 'PermissionNotPublishedError';
  constructor(
    readonly resourceName: string,
    readonly scope: string,
  ) {
    super(`${resourceName} publishes no delegated permission '${scope}' in this tenant`);
  }
}

/** The requiredResourceAccess entries keyrelay needs, with ids from the resources' published scopes. */
export function requiredResourceAccessFrom(
  published: ReadonlyMap<string, PublishedPermissions>,
): RequiredResourceAccess[] {
  return REQUIRED_DELEGATED_PERMISSIONS.map(({ resourceAppId, resourceName, scopes }) => {
    const resource = published.get(resourceAppId);
    return {
      resourceAppId,
      resourceAccess: scopes.map((value) => {
        const scope = resource?.oauth2PermissionScopes.find((candidate) => candidate.value === value);
        if (!scope) throw new PermissionNotPublishedError(resourceName, value);
        return { id: scope.id, type: 'Scope' as const };
      }),
    };
  });
}

/** Adds what is missing and keeps everything the registration already requests (an admin may have added more). */
export function mergeResourceAccess(
  existing: readonly RequiredResourceAccess[],
  required: readonly RequiredResourceAccess[],
): RequiredResourceAccess[] {
  const merged = existing.map((entry) => ({
    resourceAppId: entry.resourceAppId,
    resourceAccess: [...entry.resourceAccess],
  }));
  for (const wanted of required) {
    let entry = merged.find((candidate) => candidate.resourceAppId === wanted.resourceAppId);
    if (!entry) {
      entry = { resourceAppId: wanted.resourceAppId, resourceAccess: [] };
      merged.push(entry);
    }
    for (const access of wanted.resourceAccess) {
      if (!entry.resourceAccess.some((candidate) => candidate.id === access.id && candidate.type === access.type))
        entry.resourceAccess.push(access);
    }
  }
  return merged;
}

export interface RegistrationChange {
  kind: 'audience' | 'redirectUri' | 'permissions';
}

/** What must change on an existing registration; an empty `changes` object means nothing. */
export function planApplicationChanges(
  app: Pick<ManagedAppRegistration, 'signInAudience' | 'webRedirectUris' | 'requiredResourceAccess'>,
  redirectUri: string,
  required: readonly RequiredResourceAccess[],
): { changes: ApplicationChanges; kinds: RegistrationChange['kind'][] } {
  const changes: ApplicationChanges = {};
  const kinds: RegistrationChange['kind'][] = [];
  if (app.signInAudience !== MULTI_TENANT_AUDIENCE) {
    changes.signInAudience = MULTI_TENANT_AUDIENCE;
    kinds.push('audience');
  }
  if (!app.webRedirectUris.includes(redirectUri)) {
    changes.webRedirectUris = [...app.webRedirectUris, redirectUri];
    kinds.push('redirectUri');
  }
  const merged = mergeResourceAccess(app.requiredResourceAccess, required);
  if (countAccess(merged) !== countAccess(app.requiredResourceAccess)) {
    changes.requiredResourceAccess = merged;
    kinds.push('permissions');
  }
  return { changes, kinds };
}

function countAccess(entries: readonly RequiredResourceAccess[]): number {
  return entries.reduce((total, entry) => total + entry.resourceAccess.length, 0);
}

export type StoredSecretState =
  | { usable: true; credential: AppPasswordCredential }
  | { usable: false; reason: 'missing' | 'other_app' | 'untagged' | 'credential_gone' | 'expired' | 'disabled' };

/**
 * The secret in Key Vault is usable when it belongs to this app, names (tag keyId) a password the app
 * still has, and that password has not expired. Only then does setup leave it alone.
 */
export function storedSecretState(
  secret: SecretValue | undefined,
  app: Pick<ManagedAppRegistration, 'appId' | 'passwordCredentials'>,
  now: Date,
): StoredSecretState {
  if (!secret?.value) return { usable: false, reason: 'missing' };
  if (!secret.enabled) return { usable: false, reason: 'disabled' };
  if (secret.tags.appId !== undefined && secret.tags.appId !== app.appId) return { usable: false, reason: 'other_app' };
  const keyId = secret.tags.keyId;
  // DESIGN §6: a secret stored by hand has no keyId tag; Graph's hint (first three characters) names it when unambiguous.
  const byHint = app.passwordCredentials.filter(
    (candidate) => candidate.hint !== null && candidate.hint === secret.value.slice(0, 3),
  );
  if (keyId === undefined && byHint.length !== 1) return { usable: false, reason: 'untagged' };
  const credential =
    keyId === undefined
      ? byHint[0]
      : app.passwordCredentials.find((candidate) => candidate.keyId.toLowerCase() === keyId.toLowerCase());
  if (!credential) return { usable: false, reason: 'credential_gone' };
  if (Date.parse(credential.endDateTime) <= now.getTime()) return { usable: false, reason: 'expired' };
  return { usable: true, credential };
}

/** End date of a new client secret: `months` after now (the portal's maximum is 24). */
export function secretEndDate(now: Date, months: number): Date {
  const end = new Date(now.getTime());
  end.setUTCMonth(end.getUTCMonth() + months);
  return end;
}

/** Admin-consent link of the home tenant; admins of other tenants replace the tenant segment with theirs. */
export function adminConsentUrl(authorityHost: string, tenant: string, appId: string): string {
  return `${authorityHost}/${encodeURIComponent(tenant)}/adminconsent?client_id=${encodeURIComponent(appId)}`;
}
