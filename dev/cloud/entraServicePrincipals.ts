// Service principals of app registrations (enterprise applications) and app-role assignments, as Entra
// ID keeps them per tenant. What the token endpoint needs of them:
// - client credentials in the app's home tenant need its service principal there, else AADSTS7000229
//   (https://go.microsoft.com/fwlink/?linkid=2225119); Graph `POST /applications` never creates one;
// - a delegated grant in a tenant whose service principal is gone (an admin removed the app) answers
//   `unauthorized_client` AADSTS700016;
// - an app-only token carries only the app roles an admin granted as appRoleAssignments
//   (https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignedto), never what the
//   app merely requests in requiredResourceAccess.
import { randomUUID } from 'node:crypto';
import type {
  EmulatedApplication,
  EmulatedEnterpriseApp,
  EmulatedServicePrincipal,
  LocalCloudContext,
} from './context.js';
import { documentedEntraError } from './documentedErrors.js';
import { FIRST_PARTY_APIS, MICROSOFT_GRAPH_APP_ID } from './graphCatalog.js';

export function findEnterpriseApp(
  ctx: LocalCloudContext,
  appId: string,
  tenantId: string,
): EmulatedEnterpriseApp | undefined {
  return ctx.enterpriseApps.find((sp) => sp.appId === appId && sp.tenantId === tenantId);
}

/** Creates the app's service principal in the tenant unless it exists (consent and the portal do this). */
export function ensureEnterpriseApp(
  ctx: LocalCloudContext,
  app: EmulatedApplication,
  tenantId: string,
): { servicePrincipal: EmulatedEnterpriseApp; created: boolean } {
  const existing = findEnterpriseApp(ctx, app.appId, tenantId);
  if (existing) return { servicePrincipal: existing, created: false };
  const servicePrincipal: EmulatedEnterpriseApp = {
    id: randomUUID(),
    appId: app.appId,
    tenantId,
    displayName: app.displayName,
    createdDateTime: ctx.clock.now().toISOString(),
  };
  ctx.enterpriseApps.push(servicePrincipal);
  return { servicePrincipal, created: true };
}

/**
 * A tenant's admin deletes the app's enterprise application: its consents and role assignments go
 * with it, and every token request of the app in that tenant answers AADSTS700016.
 */
export function removeEnterpriseApp(ctx: LocalCloudContext, appId: string, tenantId: string): boolean {
  const index = ctx.enterpriseApps.findIndex((sp) => sp.appId === appId && sp.tenantId === tenantId);
  if (index < 0) return false;
  const [removed] = ctx.enterpriseApps.splice(index, 1);
  ctx.consents.delete(`${tenantId}|${appId}`);
  for (let i = ctx.appRoleAssignments.length - 1; i >= 0; i--) {
    if (ctx.appRoleAssignments[i]?.principalId === removed?.id) ctx.appRoleAssignments.splice(i, 1);
  }
  return true;
}

/** Throws Entra's answer when the app has no service principal in the tenant the grant is for. */
export function requireEnterpriseApp(
  ctx: LocalCloudContext,
  application: EmulatedApplication | undefined,
  tenantId: string,
  tenantLabel: string,
): void {
  if (!application || findEnterpriseApp(ctx, application.appId, tenantId)) return;
  if (tenantId === application.tenantId) {
    throw documentedEntraError(7000229, { appId: application.appId, tenant: tenantId });
  }
  throw documentedEntraError(700016, { appId: application.appId, tenant: tenantLabel });
}

/** Graph app roles granted to a principal (by object id) in a tenant through appRoleAssignments. */
function assignedGraphRoles(ctx: LocalCloudContext, principalId: string, tenantId: string): string[] {
  const graph = FIRST_PARTY_APIS.find((api) => api.appId === MICROSOFT_GRAPH_APP_ID);
  return ctx.appRoleAssignments
    .filter(
      (assignment) =>
        assignment.principalId === principalId &&
        assignment.tenantId === tenantId &&
        assignment.resourceId === graph?.id,
    )
    .map((assignment) => graph?.appRoles.find((role) => role.id === assignment.appRoleId)?.value)
    .filter((value): value is string => value !== undefined);
}

/** The `roles` of an app-only Graph token: only admin-granted assignments (seeded ones for workload identities). */
export function grantedGraphRoles(
  ctx: LocalCloudContext,
  client: { application?: EmulatedApplication; servicePrincipal?: EmulatedServicePrincipal },
  tenantId: string,
): string[] {
  if (client.servicePrincipal) {
    return [
      ...new Set([
        ...client.servicePrincipal.graphRoles,
        ...assignedGraphRoles(ctx, client.servicePrincipal.objectId, tenantId),
      ]),
    ];
  }
  if (!client.application) return [];
  const servicePrincipal = findEnterpriseApp(ctx, client.application.appId, tenantId);
  return servicePrincipal ? assignedGraphRoles(ctx, servicePrincipal.id, tenantId) : [];
}
