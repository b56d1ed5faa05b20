// Microsoft Graph emulator (v1.0): applications (read with $select, list paged, create, update,
// owners, addPassword/removePassword with the real permission rules and tenant-policy errors),
// first-party service principals, and sendMail into a viewable outbox. Passwords added here are
// what the Entra emulator's token endpoint accepts: both read ctx.applications.
import { createHash, randomInt, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  AccessTokenClaims,
  EmulatedApplication,
  EmulatedPasswordCredential,
  EmulatorHandler,
  LocalCloudContext,
  OutboxMessage,
  TokenVerifier,
} from './context.js';
import { effectivePasswordPolicy, policyRoute } from './graphPolicies.js';
import { matchServicePrincipalRoute } from './graphServicePrincipals.js';
import { answerFederatedCredentials, federatedCredentialRouteKey } from './graphFederatedCredentials.js';
import { OUTBOX_PAGE_HEADERS, renderEml, renderOutboxIndex, renderOutboxMessage } from './graphOutbox.js';
import { decodeSkipToken, encodeSkipToken, logRequest, readBody, sendJson, sleep, takeFault } from './http.js';

const GRAPH_AUDIENCE = 'https://graph.microsoft.com';
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 999;
const DEFAULT_PASSWORD_LIFETIME_YEARS = 2;
const SECRET_CHARSET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789~._-';
const ALPHANUMERIC = SECRET_CHARSET.slice(0, 62);
const DAY_MS = 86_400_000;
const ADDRESS = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const MIME_TYPE = /^[\w.+-]+\/[\w.+-]+$/;

const READ_ALL = ['Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
const WRITE_ALL = 'Application.ReadWrite.All';
const OWNED_BY = 'Application.ReadWrite.OwnedBy';

const APPLICATION_PROPERTIES = [
  'id',
  'appId',
  'displayName',
  'createdDateTime',
  'signInAudience',
  'publisherDomain',
  'web',
  'passwordCredentials',
  'keyCredentials',
  'requiredResourceAccess',
] as const;

export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const denied = (): GraphError =>
  new GraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');

export interface GraphResult {
  status: number;
  body?: unknown;
}

export interface GraphCall {
  ctx: LocalCloudContext;
  req: IncomingMessage;
  url: URL;
  claims: AccessTokenClaims;
  baseUrl: string;
  /** Path segments after /v1.0, URL-decoded. */
  path: string[];
}

export interface GraphRoute {
  key: string;
  run: (call: GraphCall) => Promise<GraphResult> | GraphResult;
}

export function createGraphHandler(ctx: LocalCloudContext, verifier: TokenVerifier): EmulatorHandler {
  return async (req, res, url) => {
    const method = req.method ?? 'GET';
    let path: string[];
    try {
      path = url.pathname
        .split('/')
        .filter((s) => s !== '')
        .map((s) => decodeURIComponent(s));
    } catch {
      path = [];
    }
    const outboxKey = path[0] === 'outbox' ? 'outbox.view' : undefined;
    const route = outboxKey ? undefined : path[0] === 'v1.0' ? matchRoute(method, path.slice(1)) : undefined;
    const routeKey = outboxKey ?? route?.key ?? 'unknown';
    const requestId = randomUUID();

    const fault = takeFault(ctx, 'graph', routeKey);
    if (fault?.kind === 'timeout_after') {
      // Status 0: the socket is destroyed without an answer.
      ctx.requestLog.push({ at: ctx.clock.now().toISOString(), service: 'graph', route: routeKey, method, status: 0 });
    } else {
      logRequest(ctx, 'graph', routeKey, req, res);
    }
    if (fault?.kind === 'latency' && fault.latencyMs) await sleep(fault.latencyMs);
    if (fault?.kind === 'status') {
      const status = fault.status ?? 429;
      const headers: Record<string, string> = { 'request-id': requestId };
      if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
      const code =
        status === 429
          ? 'TooManyRequests'
          : status === 503
            ? 'serviceNotAvailable'
            : status === 504
              ? 'UnknownError'
              : 'generalException';
      sendJson(res, status, errorBody(ctx, requestId, code, `Injected fault: ${status}.`), headers);
      return;
    }

    if (outboxKey) {
      if (fault?.kind === 'timeout_after') {
        req.socket.destroy();
        return;
      }
      serveOutbox(ctx, method, path.slice(1), res);
      return;
    }

    let result: GraphResult;
    try {
      result = await answer(ctx, verifier, req, url, path.slice(1), route);
    } catch (error) {
      if (!(error instanceof GraphError)) throw error;
      result = { status: error.status, body: errorBody(ctx, requestId, error.code, error.message) };
    }
    if (fault?.kind === 'timeout_after') {
      // The operation took effect; the caller never learns it (a lost response).
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status_after') {
      // The operation took effect, then a gateway answered an error (Graph's 504 after a committed write).
      result = {
        status: fault.status ?? 504,
        body: errorBody(ctx, requestId, 'UnknownError', `Injected fault: ${fault.status ?? 504}.`),
      };
    }
    if (result.body === undefined) {
      res.writeHead(result.status, { 'request-id': requestId, 'cache-control': 'no-store' });
      res.end();
    } else {
      sendJson(res, result.status, result.body, { 'request-id': requestId });
    }
  };
}

function errorBody(ctx: LocalCloudContext, requestId: string, code: string, message: string): unknown {
  return {
    error: {
      code,
      message,
      innerError: {
        date: ctx.clock
          .now()
          .toISOString()
          .replace(/\.\d{3}Z$/, ''),
        'request-id': requestId,
        'client-request-id': requestId,
      },
    },
  };
}

async function answer(
  ctx: LocalCloudContext,
  verifier: TokenVerifier,
  req: IncomingMessage,
  url: URL,
  path: string[],
  route: GraphRoute | undefined,
): Promise<GraphResult> {
  const authorization = req.headers.authorization;
  if (!authorization?.startsWith('Bearer ')) {
    throw new GraphError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
  }
  let claims: AccessTokenClaims;
  try {
    claims = await verifier.verify(authorization.slice('Bearer '.length).trim(), GRAPH_AUDIENCE);
  } catch {
    throw new GraphError(
      401,
      'InvalidAuthenticationToken',
      'Access token validation failure. Invalid audience or signature.',
    );
  }
  if (!route) throw new GraphError(400, 'BadRequest', `Resource not found for the segment '${path.join('/')}'.`);
  return route.run({
    ctx,
    req,
    url,
    claims,
    baseUrl: `https://${req.headers.host ?? new URL(ctx.urls.graph).host}`,
    path,
  });
}

// ---- routing ----

/** `applications(appId='…')` or `applications/{id}`: how many segments the reference takes, and the lookup. */
function applicationRef(
  path: string[],
): { take: number; find: (apps: EmulatedApplication[]) => EmulatedApplication | undefined } | undefined {
  const first = path[0] ?? '';
  const byAppId = /^applications\(appId='([^']+)'\)$/.exec(first);
  if (byAppId) return { take: 1, find: (apps) => apps.find((a) => a.appId === byAppId[1]) };
  if (first === 'applications' && path[1] !== undefined) {
    const id = path[1];
    return { take: 2, find: (apps) => apps.find((a) => a.id === id) };
  }
  return undefined;
}

function matchRoute(method: string, path: string[]): GraphRoute | undefined {
  const servicePrincipalRoute = matchServicePrincipalRoute(method, path);
  if (servicePrincipalRoute) return servicePrincipalRoute;
  const [first, second, third] = path;
  if (first === 'applications' && path.length === 1) {
    if (method === 'GET') return { key: 'applications.list', run: listApplications };
    if (method === 'POST') return { key: 'applications.create', run: createApplication };
    return undefined;
  }
  const ref = applicationRef(path);
  if (ref) {
    const rest = path.slice(ref.take).join('/');
    const withApp =
      (run: (call: GraphCall, app: EmulatedApplication) => Promise<GraphResult> | GraphResult) => (call: GraphCall) =>
        run(call, resolveApplication(call, ref.find));
    if (rest === '' && method === 'GET') return { key: 'applications.get', run: withApp(getApplication) };
    if (rest === '' && method === 'PATCH') return { key: 'applications.update', run: withApp(updateApplication) };
    if ((rest === 'owners' || rest === 'owners/$ref') && method === 'GET')
      return { key: 'applications.owners', run: withApp((c, a) => listOwners(c, a, rest === 'owners/$ref')) };
    if (rest === 'owners/$ref' && method === 'POST') return { key: 'applications.owners', run: withApp(addOwner) };
    if (rest === 'addPassword' && method === 'POST')
      return { key: 'applications.addPassword', run: withApp(addPassword) };
    if (rest === 'removePassword' && method === 'POST')
      return { key: 'applications.removePassword', run: withApp(removePassword) };
    const federatedKey = federatedCredentialRouteKey(method, rest);
    if (federatedKey) return { key: federatedKey, run: withApp(federatedCredentials) };
    const policies = policyRoute(method, rest);
    return policies && { key: policies.key, run: withApp(policies.run) };
  }
  const tenantPolicy = policyRoute(method, path.join('/'));
  if (tenantPolicy) return { key: tenantPolicy.key, run: (call) => tenantPolicy.run(call, undefined) };
  if (method === 'POST' && first === 'users' && second !== undefined && third === 'sendMail' && path.length === 3)
    return { key: 'sendMail', run: (call) => sendMail(call, second) };
  if (method === 'POST' && first === 'me' && second === 'sendMail' && path.length === 2)
    return { key: 'sendMail', run: (call) => sendMail(call, undefined) };
  return undefined;
}

// ---- permissions ----

export function permissions(claims: AccessTokenClaims): Set<string> {
  return new Set([...(claims.roles ?? []), ...(claims.scp ?? '').split(' ').filter((s) => s !== '')]);
}

function isOwner(claims: AccessTokenClaims, app: EmulatedApplication): boolean {
  // Owners are directory objects: an app-only token's oid is the caller's service principal object id.
  return app.ownerObjectIds.includes(claims.oid);
}

function canRead(claims: AccessTokenClaims, app: EmulatedApplication): boolean {
  const granted = permissions(claims);
  return READ_ALL.some((p) => granted.has(p)) || (granted.has(OWNED_BY) && isOwner(claims, app));
}

function canWrite(claims: AccessTokenClaims, app: EmulatedApplication): boolean {
  const granted = permissions(claims);
  return granted.has(WRITE_ALL) || (granted.has(OWNED_BY) && isOwner(claims, app));
}

function resolveApplication(
  call: GraphCall,
  find: (apps: EmulatedApplication[]) => EmulatedApplication | undefined,
): EmulatedApplication {
  // Each tenant is its own directory: an app of another tenant does not exist for this caller.
  const app = find(call.ctx.applications.filter((a) => a.tenantId === call.claims.tid));
  if (!app) {
    throw new GraphError(
      404,
      'Request_ResourceNotFound',
      `Resource '${call.path[1] ?? call.path[0] ?? ''}' does not exist or one of its queried reference-property objects are not present.`,
    );
  }
  return app;
}

// ---- applications ----

function applicationResource(app: EmulatedApplication): Record<(typeof APPLICATION_PROPERTIES)[number], unknown> {
  return {
    id: app.id,
    appId: app.appId,
    displayName: app.displayName,
    createdDateTime: null,
    signInAudience: app.signInAudience,
    publisherDomain: null,
    web: {
      redirectUris: app.webRedirectUris,
      homePageUrl: null,
      logoutUrl: null,
      implicitGrantSettings: { enableAccessTokenIssuance: false, enableIdTokenIssuance: false },
    },
    passwordCredentials: app.passwordCredentials.map(publicPasswordCredential),
    keyCredentials: app.keyCredentials.map((k) => ({
      customKeyIdentifier: null,
      displayName: k.displayName,
      endDateTime: k.endDateTime,
      key: null,
      keyId: k.keyId,
      startDateTime: k.startDateTime,
      type: k.type,
      usage: k.usage,
    })),
    requiredResourceAccess: app.requiredResourceAccess,
  };
}

function publicPasswordCredential(p: EmulatedPasswordCredential): Record<string, unknown> {
  return {
    customKeyIdentifier: null,
    displayName: p.displayName,
    endDateTime: p.endDateTime,
    hint: p.hint,
    keyId: p.keyId,
    secretText: null,
    startDateTime: p.startDateTime,
  };
}

function selectedProperties(url: URL): (typeof APPLICATION_PROPERTIES)[number][] | undefined {
  const select = url.searchParams.get('$select');
  if (select === null) return undefined;
  const names = select
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const name of names) {
    if (!(APPLICATION_PROPERTIES as readonly string[]).includes(name)) {
      throw new GraphError(
        400,
        'BadRequest',
        `Parsing OData Select and Expand failed: Could not find a property named '${name}' on type 'microsoft.graph.application'.`,
      );
    }
  }
  return names as (typeof APPLICATION_PROPERTIES)[number][];
}

function project(app: EmulatedApplication, select: readonly string[] | undefined): Record<string, unknown> {
  const resource = applicationResource(app);
  if (!select) return resource;
  return Object.fromEntries(select.map((name) => [name, resource[name as keyof typeof resource]]));
}

function getApplication(call: GraphCall, app: EmulatedApplication): GraphResult {
  if (!canRead(call.claims, app)) throw denied();
  const select = selectedProperties(call.url);
  const context = select ? `applications(${select.join(',')})/$entity` : 'applications/$entity';
  return {
    status: 200,
    body: { '@odata.context': `${call.baseUrl}/v1.0/$metadata#${context}`, ...project(app, select) },
  };
}

function listApplications(call: GraphCall): GraphResult {
  const granted = permissions(call.claims);
  const readsAll = READ_ALL.some((p) => granted.has(p));
  if (!readsAll && !granted.has(OWNED_BY)) throw denied();
  const select = selectedProperties(call.url);
  const filter = parseFilter(call.url.searchParams.get('$filter'));
  const visible = call.ctx.applications.filter(
    (a) => a.tenantId === call.claims.tid && (readsAll || isOwner(call.claims, a)) && (!filter || filter(a)),
  );

  const topText = call.url.searchParams.get('$top');
  const top = topText === null ? DEFAULT_PAGE_SIZE : Number(topText);
  if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE_SIZE)
    throw new GraphError(
      400,
      'Request_BadRequest',
      `Invalid page size specified: '${topText ?? ''}'. Must be between 1 and ${MAX_PAGE_SIZE} inclusive.`,
    );
  const skipToken = call.url.searchParams.get('$skiptoken');
  const offset = skipToken === null ? 0 : offsetOf(skipToken);
  const items = visible.slice(offset, offset + top).map((a) => project(a, select));
  const body: Record<string, unknown> = {
    '@odata.context': `${call.baseUrl}/v1.0/$metadata#applications${select ? `(${select.join(',')})` : ''}`,
    value: items,
  };
  if (offset + top < visible.length) {
    // Like Graph's own nextLink: the query options keep their literal `$`.
    const query = [...call.url.searchParams]
      .filter(([name]) => name !== '$skiptoken' && name !== '$top')
      .map(([name, value]) => `${name}=${encodeURIComponent(value)}`);
    query.push(`$top=${top}`, `$skiptoken=${encodeSkipToken(offset + top)}`);
    body['@odata.nextLink'] = `${call.baseUrl}/v1.0/applications?${query.join('&')}`;
  }
  return { status: 200, body };
}

/** Minimal OData: `appId eq '…'` or `displayName eq '…'`. */
function parseFilter(filter: string | null): ((app: EmulatedApplication) => boolean) | undefined {
  if (filter === null) return undefined;
  const match = /^\s*(appId|displayName)\s+eq\s+'((?:[^']|'')*)'\s*$/.exec(filter);
  if (!match)
    throw new GraphError(
      400,
      'Request_UnsupportedQuery',
      `Unsupported or invalid query filter clause specified: '${filter}'.`,
    );
  const property = match[1] as 'appId' | 'displayName';
  const value = (match[2] ?? '').replace(/''/g, "'");
  return (app) => app[property] === value;
}

interface ApplicationPatch {
  displayName?: unknown;
  signInAudience?: unknown;
  web?: { redirectUris?: unknown };
  requiredResourceAccess?: unknown;
}

function applyPatch(app: EmulatedApplication, patch: ApplicationPatch): void {
  if (patch.displayName !== undefined) {
    if (typeof patch.displayName !== 'string' || patch.displayName.trim() === '')
      throw new GraphError(400, 'Request_BadRequest', 'Property displayName must be a non-empty string.');
    app.displayName = patch.displayName;
  }
  if (patch.signInAudience !== undefined) {
    if (patch.signInAudience !== 'AzureADMyOrg' && patch.signInAudience !== 'AzureADMultipleOrgs') {
      throw new GraphError(
        400,
        'Request_BadRequest',
        "Property signInAudience must be 'AzureADMyOrg' or 'AzureADMultipleOrgs'.",
      );
    }
    app.signInAudience = patch.signInAudience;
  }
  if (patch.web?.redirectUris !== undefined) {
    const uris = patch.web.redirectUris;
    if (
      !Array.isArray(uris) ||
      !uris.every((u): u is string => typeof u === 'string' && /^https:\/\/|^http:\/\/localhost[:/]/.test(u))
    ) {
      throw new GraphError(
        400,
        'Request_BadRequest',
        'Property web.redirectUris must be a list of https (or http://localhost) URLs.',
      );
    }
    app.webRedirectUris = [...uris];
  }
  if (patch.requiredResourceAccess !== undefined) {
    const list = patch.requiredResourceAccess;
    const valid =
      Array.isArray(list) &&
      list.every((r: unknown) => {
        const entry = r as { resourceAppId?: unknown; resourceAccess?: unknown };
        return (
          typeof entry.resourceAppId === 'string' &&
          Array.isArray(entry.resourceAccess) &&
          entry.resourceAccess.every((a: unknown) => {
            const access = a as { id?: unknown; type?: unknown };
            return typeof access.id === 'string' && (access.type === 'Scope' || access.type === 'Role');
          })
        );
      });
    if (!valid) throw new GraphError(400, 'Request_BadRequest', 'Property requiredResourceAccess is invalid.');
    app.requiredResourceAccess = structuredClone(list as EmulatedApplication['requiredResourceAccess']);
  }
}

async function createApplication(call: GraphCall): Promise<GraphResult> {
  const granted = permissions(call.claims);
  if (!granted.has(WRITE_ALL) && !granted.has(OWNED_BY)) throw denied();
  const patch = await readJsonObject<ApplicationPatch>(call.req);
  if (typeof patch.displayName !== 'string')
    throw new GraphError(400, 'Request_BadRequest', 'Property displayName is required.');
  const app: EmulatedApplication = {
    id: randomUUID(),
    appId: randomUUID(),
    displayName: patch.displayName,
    tenantId: call.claims.tid,
    signInAudience: 'AzureADMyOrg',
    webRedirectUris: [],
    passwordCredentials: [],
    keyCredentials: [],
    // Graph makes the calling service principal an owner of what it creates.
    ownerObjectIds: [call.claims.oid],
    requiredResourceAccess: [],
  };
  applyPatch(app, patch);
  call.ctx.applications.push(app);
  return {
    status: 201,
    body: { '@odata.context': `${call.baseUrl}/v1.0/$metadata#applications/$entity`, ...applicationResource(app) },
  };
}

async function updateApplication(call: GraphCall, app: EmulatedApplication): Promise<GraphResult> {
  if (!canWrite(call.claims, app)) throw denied();
  const patch = await readJsonObject<ApplicationPatch>(call.req);
  // Validate on a copy so a bad field leaves the app untouched.
  const draft = structuredClone(app);
  applyPatch(draft, patch);
  Object.assign(app, draft);
  return { status: 204 };
}

function listOwners(call: GraphCall, app: EmulatedApplication, refsOnly: boolean): GraphResult {
  if (!canRead(call.claims, app)) throw denied();
  const owners = app.ownerObjectIds.map((objectId) => {
    const sp = call.ctx.servicePrincipals.find((s) => s.objectId === objectId);
    return refsOnly
      ? { '@odata.id': `${call.baseUrl}/v1.0/directoryObjects/${objectId}` }
      : {
          '@odata.type': '#microsoft.graph.servicePrincipal',
          id: objectId,
          appId: sp?.clientId ?? null,
          displayName: sp ? `service principal ${sp.clientId}` : null,
        };
  });
  return { status: 200, body: { '@odata.context': `${call.baseUrl}/v1.0/$metadata#directoryObjects`, value: owners } };
}

async function addOwner(call: GraphCall, app: EmulatedApplication): Promise<GraphResult> {
  // Graph docs: OwnedBy is not enough to add another owner; it takes Application.ReadWrite.All.
  if (!permissions(call.claims).has(WRITE_ALL)) throw denied();
  const body = await readJsonObject<{ '@odata.id'?: unknown }>(call.req);
  const ref = body['@odata.id'];
  const match = typeof ref === 'string' ? /\/directoryObjects\/([^/?#]+)$/.exec(ref) : null;
  if (!match?.[1])
    throw new GraphError(400, 'Request_BadRequest', "Property '@odata.id' must reference a directoryObject.");
  // Owners are directory objects, referenced by object id (a client id is not one: 404 as in Graph).
  const objectId = decodeURIComponent(match[1]);
  if (!call.ctx.servicePrincipals.some((s) => s.objectId === objectId && s.tenantId === app.tenantId)) {
    throw new GraphError(
      404,
      'Request_ResourceNotFound',
      `Resource '${objectId}' does not exist or one of its queried reference-property objects are not present.`,
    );
  }
  if (app.ownerObjectIds.includes(objectId)) {
    throw new GraphError(
      400,
      'Request_BadRequest',
      "One or more added object references already exist for the following modified properties: 'owners'.",
    );
  }
  app.ownerObjectIds.push(objectId);
  return { status: 204 };
}

// ---- passwords ----

/** Entra-like secret: 3 random characters, the `8Q~` marker, then 34 characters of the secret alphabet. */
function newSecretText(): string {
  const pick = (alphabet: string, length: number): string =>
    Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('');
  return `${pick(ALPHANUMERIC, 3)}8Q~${pick(SECRET_CHARSET, 34)}`;
}

function parseDate(value: unknown, property: string): Date | undefined {
  if (value === undefined || value === null) return undefined;
  const date = typeof value === 'string' ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime()))
    throw new GraphError(
      400,
      'Request_BadRequest',
      `Invalid value specified for property '${property}' of resource 'PasswordCredential'.`,
    );
  return date;
}

async function addPassword(call: GraphCall, app: EmulatedApplication): Promise<GraphResult> {
  if (!canWrite(call.claims, app)) throw denied();
  const body = await readJsonObject<{
    passwordCredential?: { displayName?: unknown; startDateTime?: unknown; endDateTime?: unknown };
  }>(call.req);
  const requested = body.passwordCredential ?? {};
  if (
    requested.displayName !== undefined &&
    requested.displayName !== null &&
    typeof requested.displayName !== 'string'
  ) {
    throw new GraphError(
      400,
      'Request_BadRequest',
      "Invalid value specified for property 'displayName' of resource 'PasswordCredential'.",
    );
  }
  const policy = effectivePasswordPolicy(call.ctx, app);
  if (policy?.forbidPasswords) {
    throw new GraphError(
      400,
      'CredentialTypeNotAllowedAsPerAppPolicy',
      'Credential type not allowed as per assigned policy.',
    );
  }
  const start = parseDate(requested.startDateTime, 'startDateTime') ?? call.ctx.clock.now();
  const defaultEnd = new Date(start);
  defaultEnd.setUTCFullYear(defaultEnd.getUTCFullYear() + DEFAULT_PASSWORD_LIFETIME_YEARS);
  const end = parseDate(requested.endDateTime, 'endDateTime') ?? defaultEnd;
  if (end.getTime() <= start.getTime()) {
    throw new GraphError(
      400,
      'Request_BadRequest',
      'Key credential end date is invalid: it must be after the start date.',
    );
  }
  const maxDays = policy?.maxLifetimeDays;
  if (maxDays !== undefined && end.getTime() - start.getTime() > maxDays * DAY_MS) {
    throw new GraphError(
      400,
      'CredentialInvalidLifetimeAsPerAppPolicy',
      `Credential lifetime exceeds the max value allowed as per assigned policy (${maxDays} days).`,
    );
  }
  const secretText = newSecretText();
  const credential: EmulatedPasswordCredential = {
    keyId: randomUUID(),
    displayName: typeof requested.displayName === 'string' ? requested.displayName : null,
    hint: secretText.slice(0, 3),
    secretSha256: createHash('sha256').update(secretText, 'utf8').digest('hex'),
    startDateTime: start.toISOString(),
    endDateTime: end.toISOString(),
  };
  const activation = app.newPasswordActivation;
  if (activation?.delayMs)
    credential.activatesAt = new Date(call.ctx.clock.now().getTime() + activation.delayMs).toISOString();
  if (activation?.rejectedAttempts) credential.rejectionsLeft = activation.rejectedAttempts;
  app.passwordCredentials.push(credential);
  return {
    status: 200,
    body: {
      '@odata.context': `${call.baseUrl}/v1.0/$metadata#microsoft.graph.passwordCredential`,
      ...publicPasswordCredential(credential),
      secretText,
    },
  };
}

async function removePassword(call: GraphCall, app: EmulatedApplication): Promise<GraphResult> {
  if (!canWrite(call.claims, app)) throw denied();
  const body = await readJsonObject<{ keyId?: unknown }>(call.req);
  if (typeof body.keyId !== 'string') throw new GraphError(400, 'Request_BadRequest', "Property 'keyId' is required.");
  const keyId = body.keyId.toLowerCase();
  const index = app.passwordCredentials.findIndex((p) => p.keyId.toLowerCase() === keyId);
  if (index < 0)
    throw new GraphError(404, 'Request_ResourceNotFound', `No password credential found with keyId ${body.keyId}.`);
  app.passwordCredentials.splice(index, 1);
  return { status: 204 };
}

/** dev/cloud/graphFederatedCredentials.ts decides; Graph's permission rules and error shape stay here. */
async function federatedCredentials(call: GraphCall, app: EmulatedApplication): Promise<GraphResult> {
  const result = await answerFederatedCredentials({
    method: call.req.method ?? 'GET',
    app,
    canRead: canRead(call.claims, app),
    canWrite: canWrite(call.claims, app),
    baseUrl: call.baseUrl,
    rest: call.path.slice(call.path.indexOf('federatedIdentityCredentials') + 1),
    readJson: () => readJsonObject<Record<string, unknown>>(call.req),
  });
  if ('error' in result) throw new GraphError(result.status, result.error.code, result.error.message);
  return result;
}

// ---- mail ----

interface SendMailBody {
  message?: {
    subject?: unknown;
    body?: { contentType?: unknown; content?: unknown };
    toRecipients?: unknown;
    attachments?: unknown;
  };
  saveToSentItems?: unknown;
}

async function sendMail(call: GraphCall, userRef: string | undefined): Promise<GraphResult> {
  const { claims, ctx } = call;
  const delegated = claims.scp !== undefined;
  const tenant = ctx.tenants.find((t) => t.id === claims.tid);
  let senderUpn: string;
  if (userRef === undefined) {
    if (!delegated)
      throw new GraphError(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
    const me = tenant?.users.find((u) => u.oid === claims.oid);
    if (!me) throw new GraphError(404, 'ErrorInvalidUser', 'The requested user is invalid.');
    senderUpn = me.upn;
  } else {
    const user = tenant?.users.find((u) => u.oid === userRef || u.upn.toLowerCase() === userRef.toLowerCase());
    if (!user) throw new GraphError(404, 'ErrorInvalidUser', `The requested user '${userRef}' is invalid.`);
    if (delegated && user.oid !== claims.oid)
      throw new GraphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
    senderUpn = user.upn;
  }
  const granted = permissions(claims);
  if (!granted.has('Mail.Send'))
    throw new GraphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');

  const body = await readJsonObject<SendMailBody>(call.req);
  const message = validMessage(body.message);
  ctx.outbox.push({ id: randomUUID(), receivedAt: ctx.clock.now().toISOString(), from: senderUpn, message });
  return { status: 202 };
}

function validMessage(raw: SendMailBody['message']): OutboxMessage['message'] {
  if (typeof raw !== 'object' || raw === null)
    throw new GraphError(400, 'ErrorInvalidRequest', "The property 'message' is required.");
  const recipientsRaw = raw.toRecipients;
  const toRecipients: { emailAddress: { address: string; name?: string } }[] = [];
  if (!Array.isArray(recipientsRaw) || recipientsRaw.length === 0) {
    throw new GraphError(
      400,
      'ErrorInvalidRecipients',
      'At least one recipient is not valid., The message must have at least one recipient.',
    );
  }
  for (const entry of recipientsRaw as unknown[]) {
    const email = (entry as { emailAddress?: { address?: unknown; name?: unknown } } | null)?.emailAddress;
    const address = email?.address;
    if (typeof address !== 'string' || !ADDRESS.test(address)) {
      throw new GraphError(
        400,
        'ErrorInvalidRecipients',
        `At least one recipient is not valid., Recipient '${typeof address === 'string' ? address : ''}' is not resolved. All recipients must be resolved before a message can be submitted.`,
      );
    }
    toRecipients.push({ emailAddress: typeof email?.name === 'string' ? { address, name: email.name } : { address } });
  }
  if (raw.subject !== undefined && typeof raw.subject !== 'string')
    throw new GraphError(400, 'ErrorInvalidRequest', "The property 'subject' must be a string.");
  const contentType = raw.body?.contentType ?? 'text';
  const content = raw.body?.content ?? '';
  if (
    (contentType !== 'text' && contentType !== 'html' && contentType !== 'Text' && contentType !== 'HTML') ||
    typeof content !== 'string'
  ) {
    throw new GraphError(
      400,
      'ErrorInvalidRequest',
      "The property 'body' must have contentType 'text' or 'html' and a string content.",
    );
  }
  const attachments: NonNullable<OutboxMessage['message']['attachments']> = [];
  if (raw.attachments !== undefined) {
    if (!Array.isArray(raw.attachments))
      throw new GraphError(400, 'ErrorInvalidRequest', "The property 'attachments' must be a list.");
    for (const entry of raw.attachments as unknown[]) {
      const a = (entry ?? {}) as {
        '@odata.type'?: unknown;
        name?: unknown;
        contentType?: unknown;
        contentBytes?: unknown;
      };
      if (
        a['@odata.type'] !== '#microsoft.graph.fileAttachment' ||
        typeof a.name !== 'string' ||
        typeof a.contentBytes !== 'string'
      ) {
        throw new GraphError(
          400,
          'ErrorInvalidRequest',
          'Each attachment must be a #microsoft.graph.fileAttachment with name and contentBytes.',
        );
      }
      if (a.contentType !== undefined && (typeof a.contentType !== 'string' || !MIME_TYPE.test(a.contentType))) {
        throw new GraphError(400, 'ErrorInvalidRequest', `Attachment '${a.name}' has an invalid contentType.`);
      }
      attachments.push({
        '@odata.type': a['@odata.type'],
        name: a.name,
        contentBytes: a.contentBytes,
        ...(typeof a.contentType === 'string' ? { contentType: a.contentType } : {}),
      });
    }
  }
  return {
    ...(typeof raw.subject === 'string' ? { subject: raw.subject } : {}),
    body: { contentType: contentType.toLowerCase(), content },
    toRecipients,
    ...(attachments.length > 0 ? { attachments } : {}),
  };
}

export async function readJsonObject<T>(req: IncomingMessage): Promise<T> {
  const text = await readBody(req);
  if (text.trim() === '') throw new GraphError(400, 'BadRequest', 'Empty Payload. JSON content expected.');
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as T;
  } catch {
    // fall through to the error below
  }
  throw new GraphError(
    400,
    'BadRequest',
    'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
  );
}

// ---- outbox (dev only, loopback, no token) ----

function serveOutbox(ctx: LocalCloudContext, method: string, rest: string[], res: ServerResponse): void {
  if (method !== 'GET') {
    res.writeHead(405, { allow: 'GET', 'content-type': 'text/plain; charset=utf-8' });
    res.end('Method not allowed');
    return;
  }
  if (rest.length === 0) {
    res.writeHead(200, OUTBOX_PAGE_HEADERS);
    res.end(renderOutboxIndex(ctx.outbox));
    return;
  }
  const match = rest.length === 1 ? /^(.+)\.(eml|html)$/.exec(rest[0] ?? '') : null;
  const message = match ? ctx.outbox.find((m) => m.id === match[1]) : undefined;
  if (!match || !message) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('No such message');
    return;
  }
  if (match[2] === 'eml') {
    res.writeHead(200, {
      'content-type': 'message/rfc822',
      'content-disposition': `attachment; filename="${message.id}.eml"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.end(renderEml(message));
    return;
  }
  res.writeHead(200, OUTBOX_PAGE_HEADERS);
  res.end(renderOutboxMessage(message));
}

function offsetOf(skipToken: string): number {
  const offset = decodeSkipToken(skipToken);
  if (offset === undefined) throw new GraphError(400, 'Request_BadRequest', 'Invalid $skiptoken.');
  return offset;
}
