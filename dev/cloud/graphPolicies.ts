// App-management policies in the Graph emulator: the tenant default (`GET /policies/defaultAppManagementPolicy`)
// and the policy assigned to an app (`GET /applications/{id}/appManagementPolicies`), in Graph's shapes,
// plus the effective policy addPassword enforces: an app's own policy overrides the tenant default
// (Graph docs, "applicationAuthenticationMethodPolicy"). Reading either takes Policy.Read.All (or an
// Application.*.All role for the app's list); Application.ReadWrite.OwnedBy alone is refused, as in Graph.
import type { EmulatedApplication, EmulatedPasswordPolicy, LocalCloudContext } from './context.js';
import { denied, type GraphCall, type GraphResult } from './graph.js';

const POLICY_READERS = ['Policy.Read.All', 'Policy.ReadWrite.ApplicationConfiguration'];
const APP_READERS = [...POLICY_READERS, 'Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All'];
/** Graph's fixed id of the tenant default policy. */
const TENANT_POLICY_ID = '00000000-0000-0000-0000-000000000000';
const ENFORCED_SINCE = '2015-01-01T00:00:00Z';

export function effectivePasswordPolicy(
  ctx: LocalCloudContext,
  app: EmulatedApplication,
): EmulatedPasswordPolicy | undefined {
  return app.passwordPolicy ?? ctx.tenants.find((tenant) => tenant.id === app.tenantId)?.defaultAppManagementPolicy;
}

function passwordRestrictions(policy: EmulatedPasswordPolicy | undefined): Record<string, unknown>[] {
  if (!policy) return [];
  return [
    ...(policy.forbidPasswords
      ? [
          {
            restrictionType: 'passwordAddition',
            state: 'enabled',
            maxLifetime: null,
            restrictForAppsCreatedAfterDateTime: ENFORCED_SINCE,
          },
        ]
      : []),
    ...(policy.maxLifetimeDays !== undefined
      ? [
          {
            restrictionType: 'passwordLifetime',
            state: 'enabled',
            maxLifetime: `P${policy.maxLifetimeDays}D`,
            restrictForAppsCreatedAfterDateTime: ENFORCED_SINCE,
          },
        ]
      : []),
  ];
}

function allowed(call: GraphCall, roles: readonly string[]): boolean {
  const granted = new Set([...(call.claims.roles ?? []), ...(call.claims.scp ?? '').split(' ')]);
  return roles.some((role) => granted.has(role));
}

function tenantDefaultPolicy(call: GraphCall): GraphResult {
  if (!allowed(call, POLICY_READERS)) throw denied();
  const policy = call.ctx.tenants.find((tenant) => tenant.id === call.claims.tid)?.defaultAppManagementPolicy;
  return {
    status: 200,
    body: {
      '@odata.context': `${call.baseUrl}/v1.0/$metadata#policies/defaultAppManagementPolicy/$entity`,
      id: TENANT_POLICY_ID,
      displayName: 'Default app management tenant policy',
      description:
        'Default tenant policy that enforces app management restrictions on applications and service principals.',
      isEnabled: policy !== undefined,
      applicationRestrictions: { passwordCredentials: passwordRestrictions(policy), keyCredentials: [] },
      servicePrincipalRestrictions: { passwordCredentials: [], keyCredentials: [] },
    },
  };
}

function appPolicies(call: GraphCall, app: EmulatedApplication): GraphResult {
  if (!allowed(call, APP_READERS)) throw denied();
  const policy = app.passwordPolicy;
  return {
    status: 200,
    body: {
      '@odata.context': `${call.baseUrl}/v1.0/$metadata#appManagementPolicies`,
      value: policy
        ? [
            {
              id: `policy-${app.id}`,
              displayName: 'Credential management policy',
              description: 'Assigned to this application by an administrator.',
              isEnabled: true,
              restrictions: { passwordCredentials: passwordRestrictions(policy), keyCredentials: [] },
            },
          ]
        : [],
    },
  };
}

/** Routes of this module: `rest` is the path after an application reference, or the whole path. */
export function policyRoute(
  method: string,
  rest: string,
): { key: string; run: (call: GraphCall, app: EmulatedApplication | undefined) => GraphResult } | undefined {
  if (method !== 'GET') return undefined;
  if (rest === 'policies/defaultAppManagementPolicy')
    return { key: 'policies.defaultAppManagementPolicy', run: (call) => tenantDefaultPolicy(call) };
  if (rest === 'appManagementPolicies')
    return {
      key: 'applications.appManagementPolicies',
      run: (call, app) => {
        if (!app) throw denied();
        return appPolicies(call, app);
      },
    };
  return undefined;
}
