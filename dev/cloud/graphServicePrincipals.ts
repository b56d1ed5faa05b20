// Graph's servicePrincipals as keyrelay's setup uses them (v1.0):
// - GET  /servicePrincipals(appId='…')                      first-party APIs, workload identities, app service principals of the caller's tenant
// - POST /servicePrincipals {appId}                          https://learn.microsoft.com/graph/api/serviceprincipal-post-serviceprincipals
// - GET  /servicePrincipals/{id}/appRoleAssignments          https://learn.microsoft.com/graph/api/serviceprincipal-list-approleassignments
// - POST /servicePrincipals/{resource id}/appRoleAssignedTo  https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignedto
// Granting an app role takes AppRoleAssignment.ReadWrite.All: Application.ReadWrite.All alone is not enough.
import { randomUUID } from 'node:crypto';
import type { EmulatedAppRoleAssignment, LocalCloudContext } from './context.js';
import { DOCUMENTED_GRAPH_ERRORS, fillPlaceholders } from './documentedErrors.js';
import { ensureEnterpriseApp, findEnterpriseApp } from './entraServicePrincipals.js';
import { GraphError, permissions, readJsonObject, type GraphCall, type GraphResult, type GraphRoute } from './graph.js';
import { FIRST_PARTY_APIS, firstPartyServicePrincipal } from './graphCatalog.js';

const READ = [
  'Application.Read.All',
  'Application.ReadWrite.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
  'Application.ReadWrite.OwnedBy',
];
const WRITE_ALL = 'Application.ReadWrite.All';
const OWNED_BY = 'Application.ReadWrite.OwnedBy';
const GRANT_ROLES = 'AppRoleAssignment.ReadWrite.All';

function graphError(
  documented: { status: number; code: string; message: string },
  values: Record<string, string> = {},
): GraphError {
  return new GraphError(documented.status, documented.code, fillPlaceholders(documented.message, values));
}

const denied = (): GraphError => graphError(DOCUMENTED_GRAPH_ERRORS.denied);
const notFound = (id: string): GraphError => graphError(DOCUMENTED_GRAPH_ERRORS.notFound, { id });

function requireAny(call: GraphCall, needed: readonly string[]): void {
  const granted = permissions(call.claims);
  if (!needed.some((permission) => granted.has(permission))) throw denied();
}

/** A service principal of the caller's tenant by object id: its appId and what it publishes. */
function principalById(
  ctx: LocalCloudContext,
  id: string,
  tenantId: string,
): { id: string; appId: string; resource: Record<string, unknown> } | undefined {
  const api = FIRST_PARTY_APIS.find((candidate) => candidate.id === id);
  if (api) return { id, appId: api.appId, resource: firstPartyServicePrincipal(api) };
  const identity = ctx.servicePrincipals.find((sp) => sp.objectId === id && sp.tenantId === tenantId);
  if (identity)
    return { id, appId: identity.clientId, resource: identityResource(identity.objectId, identity.clientId) };
  const enterpriseApp = ctx.enterpriseApps.find((sp) => sp.id === id && sp.tenantId === tenantId);
  if (enterpriseApp) return { id, appId: enterpriseApp.appId, resource: enterpriseAppResource(enterpriseApp) };
  return undefined;
}

function identityResource(objectId: string, clientId: string): Record<string, unknown> {
  return {
    id: objectId,
    appId: clientId,
    displayName: `managed identity ${clientId}`,
    servicePrincipalType: 'ManagedIdentity',
    accountEnabled: true,
    appRoles: [],
    oauth2PermissionScopes: [],
  };
}

function enterpriseAppResource(sp: { id: string; appId: string; displayName: string }): Record<string, unknown> {
  return {
    id: sp.id,
    appId: sp.appId,
    displayName: sp.displayName,
    servicePrincipalType: 'Application',
    accountEnabled: true,
    appRoles: [],
    oauth2PermissionScopes: [],
  };
}

function entity(call: GraphCall, body: Record<string, unknown>): Record<string, unknown> {
  return { '@odata.context': `${call.baseUrl}/v1.0/$metadata#servicePrincipals/$entity`, ...body };
}

function getByAppId(call: GraphCall, appId: string): GraphResult {
  requireAny(call, READ);
  const { ctx, claims } = call;
  const api = FIRST_PARTY_APIS.find((candidate) => candidate.appId === appId);
  if (api) return { status: 200, body: entity(call, firstPartyServicePrincipal(api)) };
  const identity = ctx.servicePrincipals.find((sp) => sp.clientId === appId && sp.tenantId === claims.tid);
  if (identity) return { status: 200, body: entity(call, identityResource(identity.objectId, identity.clientId)) };
  const enterpriseApp = findEnterpriseApp(ctx, appId, claims.tid);
  if (enterpriseApp) return { status: 200, body: entity(call, enterpriseAppResource(enterpriseApp)) };
  throw notFound(`servicePrincipals(appId='${appId}')`);
}

async function create(call: GraphCall): Promise<GraphResult> {
  const body = await readJsonObject<{ appId?: unknown }>(call.req);
  if (typeof body.appId !== 'string') throw new GraphError(400, 'Request_BadRequest', 'Property appId is required.');
  const { ctx, claims } = call;
  const app = ctx.applications.find((candidate) => candidate.appId === body.appId);
  if (!app) throw notFound(body.appId);
  const granted = permissions(claims);
  // The documented least privilege: OwnedBy reaches only apps the caller owns.
  if (!granted.has(WRITE_ALL) && !(granted.has(OWNED_BY) && app.ownerObjectIds.includes(claims.oid))) throw denied();
  const { servicePrincipal, created } = ensureEnterpriseApp(ctx, app, claims.tid);
  if (!created)
    throw new GraphError(
      400,
      'Request_MultipleObjectsWithSameKeyValue',
      `A service principal of ${app.appId} already exists in this tenant.`,
    );
  return { status: 201, body: entity(call, enterpriseAppResource(servicePrincipal)) };
}

function assignmentResource(ctx: LocalCloudContext, assignment: EmulatedAppRoleAssignment): Record<string, unknown> {
  const principal = principalById(ctx, assignment.principalId, assignment.tenantId);
  const resource = principalById(ctx, assignment.resourceId, assignment.tenantId);
  return {
    id: assignment.id,
    appRoleId: assignment.appRoleId,
    createdDateTime: assignment.createdDateTime,
    principalId: assignment.principalId,
    principalType: 'ServicePrincipal',
    principalDisplayName: principal?.resource.displayName ?? null,
    resourceId: assignment.resourceId,
    resourceDisplayName: resource?.resource.displayName ?? null,
  };
}

function listAssignments(call: GraphCall, principalId: string): GraphResult {
  requireAny(call, READ);
  const { ctx, claims } = call;
  if (!principalById(ctx, principalId, claims.tid)) throw notFound(principalId);
  const value = ctx.appRoleAssignments
    .filter((assignment) => assignment.principalId === principalId && assignment.tenantId === claims.tid)
    .map((assignment) => assignmentResource(ctx, assignment));
  return {
    status: 200,
    body: {
      '@odata.context': `${call.baseUrl}/v1.0/$metadata#servicePrincipals('${principalId}')/appRoleAssignments`,
      value,
    },
  };
}

async function assign(call: GraphCall, resourceId: string): Promise<GraphResult> {
  requireAny(call, [GRANT_ROLES]);
  const { ctx, claims } = call;
  const body = await readJsonObject<{ principalId?: unknown; resourceId?: unknown; appRoleId?: unknown }>(call.req);
  const resource = principalById(ctx, resourceId, claims.tid);
  if (!resource) throw notFound(resourceId);
  if (typeof body.principalId !== 'string' || !principalById(ctx, body.principalId, claims.tid))
    throw notFound(String(body.principalId));
  if (body.resourceId !== resourceId)
    throw new GraphError(400, 'Request_BadRequest', 'resourceId must name the service principal in the URL.');
  const published = (resource.resource.appRoles as { id: string }[] | undefined) ?? [];
  if (typeof body.appRoleId !== 'string' || !published.some((role) => role.id === body.appRoleId)) {
    throw new GraphError(400, 'Request_BadRequest', 'Permission being assigned was not found on application');
  }
  const principalId = body.principalId;
  const appRoleId = body.appRoleId;
  if (
    ctx.appRoleAssignments.some(
      (a) =>
        a.principalId === principalId &&
        a.resourceId === resourceId &&
        a.appRoleId === appRoleId &&
        a.tenantId === claims.tid,
    )
  ) {
    throw graphError(DOCUMENTED_GRAPH_ERRORS.alreadyExists);
  }
  const assignment: EmulatedAppRoleAssignment = {
    id: randomUUID(),
    principalId,
    resourceId,
    appRoleId,
    tenantId: claims.tid,
    createdDateTime: ctx.clock.now().toISOString(),
  };
  ctx.appRoleAssignments.push(assignment);
  return {
    status: 201,
    body: {
      '@odata.context': `${call.baseUrl}/v1.0/$metadata#appRoleAssignments/$entity`,
      ...assignmentResource(ctx, assignment),
    },
  };
}

/** The routes above, or undefined for any other path. */
export function matchServicePrincipalRoute(method: string, path: string[]): GraphRoute | undefined {
  const [first, second, third] = path;
  const byAppId = /^servicePrincipals\(appId='([^']+)'\)$/.exec(first ?? '');
  if (byAppId && path.length === 1 && method === 'GET')
    return { key: 'servicePrincipals.get', run: (call) => getByAppId(call, byAppId[1] ?? '') };
  if (first !== 'servicePrincipals') return undefined;
  if (path.length === 1 && method === 'POST') return { key: 'servicePrincipals.create', run: create };
  if (second !== undefined && third === 'appRoleAssignments' && path.length === 3 && method === 'GET') {
    return { key: 'servicePrincipals.appRoleAssignments', run: (call) => listAssignments(call, second) };
  }
  if (second !== undefined && third === 'appRoleAssignedTo' && path.length === 3 && method === 'POST') {
    return { key: 'servicePrincipals.appRoleAssignedTo', run: (call) => assign(call, second) };
  }
  return undefined;
}
