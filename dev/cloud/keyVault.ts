// Key Vault emulator: the secrets API as @azure/keyvault-secrets 4.11 uses it (api-version 2025-07-01),
// with challenge auth, versions, tags, exp/nbf, paging, update, soft delete, recover and purge.
// Secret values live only in this module's private store, never in the shared context.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessTokenClaims, EmulatorHandler, LocalCloudContext, TokenVerifier } from './context.js';
import { decodeSkipToken, encodeSkipToken, logRequest, readBody, sendJson, sleep, takeFault } from './http.js';

const VAULT_AUDIENCE = 'https://vault.azure.net';
const NAME_RULE = /^[0-9a-zA-Z-]{1,127}$/;
const MAX_VALUE_BYTES = 25 * 1024;
const MAX_TAGS = 15;
const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 25;
const RECOVERABLE_DAYS = 90;
const RECOVERY_LEVEL = 'Recoverable+Purgeable';

interface SecretVersion {
  version: string;
  value: string;
  contentType?: string;
  tags: Record<string, string>;
  enabled: boolean;
  /** Epoch seconds, as Key Vault stores them. */
  created: number;
  updated: number;
  exp?: number;
  nbf?: number;
}

interface StoredSecret {
  name: string;
  /** Creation order; the last one is the current version. */
  versions: SecretVersion[];
  deletedDate?: number;
}

type VaultStore = Map<string, StoredSecret>;

/** Per-context stores, so that several local clouds in one process stay apart. */
const stores = new WeakMap<LocalCloudContext, VaultStore>();

export interface KeyVaultSecretStats {
  name: string;
  versionCount: number;
  deleted: boolean;
}

/** Number of versions per secret (no values): lets tests and the demo show how many writes a flow made. */
export function getKeyVaultStats(ctx: LocalCloudContext): KeyVaultSecretStats[] {
  const store = stores.get(ctx);
  if (!store) return [];
  return [...store.values()].map((s) => ({
    name: s.name,
    versionCount: s.versions.length,
    deleted: s.deletedDate !== undefined,
  }));
}

interface KvResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

class KvError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly innerCode?: string,
  ) {
    super(message);
  }
}

interface KvRoute {
  key: string;
  run: (call: KvCall) => Promise<KvResult> | KvResult;
}

interface KvCall {
  req: IncomingMessage;
  url: URL;
  store: VaultStore;
  vaultUrl: string;
  now: number;
  segments: string[];
}

export function createKeyVaultHandler(ctx: LocalCloudContext, verifier: TokenVerifier): EmulatorHandler {
  const store: VaultStore = stores.get(ctx) ?? new Map<string, StoredSecret>();
  stores.set(ctx, store);

  return async (req, res, url) => {
    const route = matchRoute(req.method ?? 'GET', url.pathname);
    const routeKey = route?.key ?? 'unknown';
    const fault = takeFault(ctx, 'keyvault', routeKey);
    if (fault?.kind === 'timeout_after') {
      logUnanswered(ctx, routeKey, req);
    } else {
      logRequest(ctx, 'keyvault', routeKey, req, res);
    }
    if (fault?.kind === 'latency' && fault.latencyMs) await sleep(fault.latencyMs);
    if (fault?.kind === 'status') {
      const status = fault.status ?? 429;
      const headers: Record<string, string> =
        fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
      const code = status === 429 ? 'Throttled' : status === 409 ? 'Conflict' : 'ServiceUnavailable';
      sendJson(res, status, { error: { code, message: `Injected fault: ${status}.` } }, headers);
      return;
    }

    const result = await answer(ctx, verifier, store, req, url, route);
    if (fault?.kind === 'timeout_after') {
      // The operation took effect; the caller never learns it (a lost response).
      req.socket.destroy();
      return;
    }
    send(res, result);
  };
}

async function answer(
  ctx: LocalCloudContext,
  verifier: TokenVerifier,
  store: VaultStore,
  req: IncomingMessage,
  url: URL,
  route: KvRoute | undefined,
): Promise<KvResult> {
  const tenantId = vaultTenantId(ctx);
  const authorization = req.headers.authorization;
  if (!authorization?.startsWith('Bearer ')) {
    // Drain the body: the SDK resends it once it holds a token.
    await readBody(req);
    return {
      status: 401,
      headers: {
        'www-authenticate': `Bearer authorization="${ctx.urls.entra}/${tenantId}", resource="${VAULT_AUDIENCE}"`,
      },
      body: { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } },
    };
  }
  let claims: AccessTokenClaims;
  try {
    claims = await verifier.verify(authorization.slice('Bearer '.length).trim(), VAULT_AUDIENCE);
  } catch {
    return { status: 401, body: { error: { code: 'Unauthorized', message: 'AKV10022: Invalid audience or token.' } } };
  }
  if (claims.tid !== tenantId) {
    return {
      status: 401,
      body: { error: { code: 'Unauthorized', message: `AKV10032: Invalid issuer. Expected tenant ${tenantId}.` } },
    };
  }
  const principal = ctx.servicePrincipals.find((sp) => sp.clientId === claims.appid);
  if (!principal?.keyVaultAccess) {
    return {
      status: 403,
      body: {
        error: {
          code: 'Forbidden',
          message: `The user, group or application 'appid=${claims.appid}' does not have secrets permissions on this key vault.`,
          innererror: { code: 'ForbiddenByPolicy' },
        },
      },
    };
  }
  if (!url.searchParams.get('api-version')) {
    return {
      status: 400,
      body: {
        error: {
          code: 'BadParameter',
          message: 'The api-version query parameter (?api-version=) is required for all requests.',
        },
      },
    };
  }
  if (!route) {
    return {
      status: 404,
      body: { error: { code: 'NotFound', message: `No route for ${req.method ?? 'GET'} ${url.pathname}.` } },
    };
  }
  try {
    return await route.run({
      req,
      url,
      store,
      vaultUrl: `https://${req.headers.host ?? new URL(ctx.urls.keyVault).host}`,
      now: Math.floor(ctx.clock.now().getTime() / 1000),
      segments: url.pathname.split('/').filter((s) => s !== ''),
    });
  } catch (error) {
    if (error instanceof KvError) {
      const inner = error.innerCode ? { innererror: { code: error.innerCode } } : {};
      return { status: error.status, body: { error: { code: error.code, message: error.message, ...inner } } };
    }
    throw error;
  }
}

function vaultTenantId(ctx: LocalCloudContext): string {
  return ctx.applications[0]?.tenantId ?? ctx.tenants[0]?.id ?? 'common';
}

function send(res: ServerResponse, result: KvResult): void {
  if (result.status === 204) {
    res.writeHead(204, { 'cache-control': 'no-store', ...result.headers });
    res.end();
    return;
  }
  sendJson(res, result.status, result.body, result.headers);
}

function logUnanswered(ctx: LocalCloudContext, route: string, req: IncomingMessage): void {
  // Status 0: the socket was destroyed without an answer.
  ctx.requestLog.push({
    at: ctx.clock.now().toISOString(),
    service: 'keyvault',
    route,
    method: req.method ?? 'GET',
    status: 0,
  });
}

function matchRoute(method: string, pathname: string): KvRoute | undefined {
  const segments = pathname.split('/').filter((s) => s !== '');
  const [collection, name, third, fourth] = segments;
  if (segments.length > 4) return undefined;
  if (collection === 'secrets') {
    if (name === undefined) return method === 'GET' ? { key: 'secrets.list', run: listSecrets } : undefined;
    if (third === 'versions' && fourth === undefined && method === 'GET')
      return { key: 'secrets.versions', run: listVersions };
    if (fourth !== undefined) return undefined;
    if (method === 'PUT' && third === undefined) return { key: 'secrets.set', run: setSecret };
    if (method === 'GET') return { key: 'secrets.get', run: getSecret };
    if (method === 'PATCH') return { key: 'secrets.update', run: updateSecret };
    if (method === 'DELETE' && third === undefined) return { key: 'secrets.delete', run: deleteSecret };
    return undefined;
  }
  if (collection === 'deletedsecrets') {
    if (name === undefined) return method === 'GET' ? { key: 'deletedsecrets.list', run: listDeleted } : undefined;
    if (third === 'recover' && fourth === undefined && method === 'POST')
      return { key: 'deletedsecrets.recover', run: recoverSecret };
    if (third !== undefined) return undefined;
    if (method === 'GET') return { key: 'deletedsecrets.get', run: getDeleted };
    if (method === 'DELETE') return { key: 'deletedsecrets.purge', run: purgeSecret };
  }
  return undefined;
}

// ---- routes ----

interface SetSecretBody {
  value?: unknown;
  contentType?: unknown;
  tags?: unknown;
  attributes?: { enabled?: unknown; exp?: unknown; nbf?: unknown };
}

async function setSecret(call: KvCall): Promise<KvResult> {
  const name = checkedName(call.segments[1]);
  const body = parseJson<SetSecretBody>(await readBody(call.req));
  if (typeof body.value !== 'string')
    throw new KvError(400, 'BadParameter', 'Property value is required and must be a string.');
  if (Buffer.byteLength(body.value, 'utf8') > MAX_VALUE_BYTES) {
    throw new KvError(400, 'BadParameter', `Secret value is too large: the maximum size is ${MAX_VALUE_BYTES} bytes.`);
  }
  const tags = checkedTags(body.tags) ?? {};
  const existing = call.store.get(name.toLowerCase());
  if (existing?.deletedDate !== undefined) {
    throw new KvError(
      409,
      'Conflict',
      `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
    );
  }
  const version: SecretVersion = {
    version: randomBytes(16).toString('hex'),
    value: body.value,
    tags,
    enabled: body.attributes?.enabled === undefined ? true : checkedBoolean(body.attributes.enabled, 'enabled'),
    created: call.now,
    updated: call.now,
  };
  if (typeof body.contentType === 'string') version.contentType = body.contentType;
  applyDates(version, body.attributes);
  const secret = existing ?? { name, versions: [] };
  secret.versions.push(version);
  call.store.set(name.toLowerCase(), secret);
  return { status: 200, body: secretBundle(call.vaultUrl, secret, version, true) };
}

function getSecret(call: KvCall): KvResult {
  const secret = liveSecret(call.store, call.segments[1]);
  const version = findVersion(secret, call.segments[2]);
  if (!version.enabled)
    throw new KvError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled');
  return { status: 200, body: secretBundle(call.vaultUrl, secret, version, true) };
}

async function updateSecret(call: KvCall): Promise<KvResult> {
  const secret = liveSecret(call.store, call.segments[1]);
  const version = findVersion(secret, call.segments[2]);
  const body = parseJson<SetSecretBody>(await readBody(call.req));
  const tags = checkedTags(body.tags);
  if (tags) version.tags = tags;
  if (typeof body.contentType === 'string') version.contentType = body.contentType;
  if (body.attributes?.enabled !== undefined) version.enabled = checkedBoolean(body.attributes.enabled, 'enabled');
  applyDates(version, body.attributes);
  version.updated = call.now;
  // Real Key Vault answers an update without the value.
  return { status: 200, body: secretBundle(call.vaultUrl, secret, version, false) };
}

function listSecrets(call: KvCall): KvResult {
  const live = [...call.store.values()].filter((s) => s.deletedDate === undefined);
  return page(call, live, (s) => secretItem(`${call.vaultUrl}/secrets/${s.name}`, currentVersion(s)));
}

function listVersions(call: KvCall): KvResult {
  const secret = liveSecret(call.store, call.segments[1]);
  return page(call, secret.versions, (v) => secretItem(`${call.vaultUrl}/secrets/${secret.name}/${v.version}`, v));
}

function deleteSecret(call: KvCall): KvResult {
  const secret = liveSecret(call.store, call.segments[1]);
  secret.deletedDate = call.now;
  return { status: 200, body: deletedBundle(call.vaultUrl, secret) };
}

function getDeleted(call: KvCall): KvResult {
  return { status: 200, body: deletedBundle(call.vaultUrl, deletedSecret(call.store, call.segments[1])) };
}

function listDeleted(call: KvCall): KvResult {
  const deleted = [...call.store.values()].filter((s) => s.deletedDate !== undefined);
  return page(call, deleted, (s) => {
    const { recoveryId, scheduledPurgeDate, deletedDate } = deletedBundle(call.vaultUrl, s);
    return {
      ...secretItem(`${call.vaultUrl}/secrets/${s.name}`, currentVersion(s)),
      recoveryId,
      scheduledPurgeDate,
      deletedDate,
    };
  });
}

function recoverSecret(call: KvCall): KvResult {
  const secret = deletedSecret(call.store, call.segments[1]);
  delete secret.deletedDate;
  return { status: 200, body: secretBundle(call.vaultUrl, secret, currentVersion(secret), false) };
}

function purgeSecret(call: KvCall): KvResult {
  const secret = deletedSecret(call.store, call.segments[1]);
  call.store.delete(secret.name.toLowerCase());
  return { status: 204 };
}

// ---- shapes ----

function secretAttributes(v: SecretVersion): Record<string, unknown> {
  return {
    enabled: v.enabled,
    ...(v.nbf !== undefined ? { nbf: v.nbf } : {}),
    ...(v.exp !== undefined ? { exp: v.exp } : {}),
    created: v.created,
    updated: v.updated,
    recoverableDays: RECOVERABLE_DAYS,
    recoveryLevel: RECOVERY_LEVEL,
  };
}

function secretBundle(
  vaultUrl: string,
  secret: StoredSecret,
  v: SecretVersion,
  withValue: boolean,
): Record<string, unknown> {
  return {
    ...(withValue ? { value: v.value } : {}),
    ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
    id: `${vaultUrl}/secrets/${secret.name}/${v.version}`,
    attributes: secretAttributes(v),
    tags: v.tags,
  };
}

function secretItem(id: string, v: SecretVersion): Record<string, unknown> {
  return {
    id,
    attributes: secretAttributes(v),
    tags: v.tags,
    ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
  };
}

function deletedBundle(vaultUrl: string, secret: StoredSecret): Record<string, unknown> {
  const deletedDate = secret.deletedDate ?? 0;
  return {
    recoveryId: `${vaultUrl}/deletedsecrets/${secret.name}`,
    deletedDate,
    scheduledPurgeDate: deletedDate + RECOVERABLE_DAYS * 86_400,
    ...secretBundle(vaultUrl, secret, currentVersion(secret), false),
  };
}

function page<T>(call: KvCall, items: T[], toItem: (item: T) => Record<string, unknown>): KvResult {
  const requested = call.url.searchParams.get('maxresults');
  const size = requested === null ? DEFAULT_PAGE_SIZE : Number(requested);
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new KvError(400, 'BadParameter', `maxresults must be an integer between 1 and ${MAX_PAGE_SIZE}.`);
  }
  const skipToken = call.url.searchParams.get('$skiptoken');
  const offset = skipToken === null ? 0 : offsetOf(skipToken);
  const slice = items.slice(offset, offset + size);
  let nextLink: string | null = null;
  if (offset + size < items.length) {
    // Written like Key Vault's own nextLink: a literal `$skiptoken`, not `%24skiptoken`.
    const token = encodeSkipToken(offset + size);
    const apiVersion = encodeURIComponent(call.url.searchParams.get('api-version') ?? '');
    nextLink = `${call.vaultUrl}${call.url.pathname}?api-version=${apiVersion}&$skiptoken=${token}&maxresults=${size}`;
  }
  return { status: 200, body: { value: slice.map(toItem), nextLink } };
}

// ---- validation and lookup ----

function checkedName(name: string | undefined): string {
  if (name === undefined || !NAME_RULE.test(name)) {
    throw new KvError(
      400,
      'BadParameter',
      'The request URI contains an invalid name: secret names may only contain alphanumeric characters and dashes (1-127).',
    );
  }
  return name;
}

function checkedTags(tags: unknown): Record<string, string> | undefined {
  if (tags === undefined || tags === null) return undefined;
  if (typeof tags !== 'object' || Array.isArray(tags))
    throw new KvError(400, 'BadParameter', 'Property tags must be an object.');
  const entries = Object.entries(tags as Record<string, unknown>);
  if (entries.length > MAX_TAGS)
    throw new KvError(400, 'BadParameter', `Too many tags: at most ${MAX_TAGS} are allowed.`);
  for (const [, value] of entries) {
    if (typeof value !== 'string') throw new KvError(400, 'BadParameter', 'Tag values must be strings.');
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

function checkedBoolean(value: unknown, property: string): boolean {
  if (typeof value !== 'boolean') throw new KvError(400, 'BadParameter', `Property ${property} must be a boolean.`);
  return value;
}

function applyDates(version: SecretVersion, attributes: SetSecretBody['attributes']): void {
  for (const property of ['exp', 'nbf'] as const) {
    const value = attributes?.[property];
    if (value === undefined) continue;
    if (value === null) {
      delete version[property];
    } else if (typeof value === 'number' && Number.isFinite(value)) {
      version[property] = Math.floor(value);
    } else {
      throw new KvError(400, 'BadParameter', `Property ${property} must be a number of seconds since the epoch.`);
    }
  }
}

function parseJson<T>(text: string): T {
  try {
    const parsed: unknown = JSON.parse(text === '' ? '{}' : text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as T;
  } catch {
    // fall through to the error below
  }
  throw new KvError(400, 'BadParameter', 'The request body is not a valid JSON object.');
}

function liveSecret(store: VaultStore, name: string | undefined): StoredSecret {
  const secret = store.get(checkedName(name).toLowerCase());
  if (!secret || secret.deletedDate !== undefined) {
    throw new KvError(404, 'SecretNotFound', `A secret with (name/id) ${name} was not found in this key vault.`);
  }
  return secret;
}

function deletedSecret(store: VaultStore, name: string | undefined): StoredSecret {
  const secret = store.get(checkedName(name).toLowerCase());
  if (secret?.deletedDate === undefined) {
    throw new KvError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
  }
  return secret;
}

function findVersion(secret: StoredSecret, version: string | undefined): SecretVersion {
  if (version === undefined || version === '') return currentVersion(secret);
  const found = secret.versions.find((v) => v.version === version.toLowerCase());
  if (!found)
    throw new KvError(
      404,
      'SecretNotFound',
      `A secret with (name/id) ${secret.name}/${version} was not found in this key vault.`,
    );
  return found;
}

function currentVersion(secret: StoredSecret): SecretVersion {
  const latest = secret.versions[secret.versions.length - 1];
  if (!latest)
    throw new KvError(404, 'SecretNotFound', `A secret with (name/id) ${secret.name} was not found in this key vault.`);
  return latest;
}

function offsetOf(skipToken: string): number {
  const offset = decodeSkipToken(skipToken);
  if (offset === undefined) throw new KvError(400, 'BadParameter', 'Invalid $skiptoken.');
  return offset;
}
