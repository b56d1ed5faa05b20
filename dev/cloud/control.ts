// Control API of the local cloud: inject faults, read the request log, move a credential's end date,
// read the outbox, revoke a user's sessions, shift the clock. `LocalCloud` is the typed in-process
// client (tests call it directly); `createControlHandler` serves the same operations as JSON over HTTPS
// for the demo and outside tools. Never returns a secret or a secret digest.
import type { IncomingMessage } from 'node:http';
import type {
  EmulatorHandler,
  InjectedFault,
  LocalCloudContext,
  OutboxMessage,
  RequestLogEntry,
  ServiceName,
} from './context.js';
import { removeEnterpriseApp } from './entraServicePrincipals.js';
import { readBody, sendJson } from './http.js';
import { getKeyVaultStats, type KeyVaultSecretStats } from './keyVault.js';

const SERVICES: readonly ServiceName[] = ['entra', 'graph', 'keyvault'];
const FAULT_KINDS: readonly InjectedFault['kind'][] = [
  'status',
  'status_after',
  'latency',
  'invalid_grant',
  'invalid_client',
  'timeout_after',
  'id_token_claims',
];

/** A fault as callers describe it: `remaining` defaults to 1; `null`/omitted-with-`untilCleared` means forever. */
export type FaultSpec = Omit<InjectedFault, 'remaining'> & { remaining?: number };

export interface RequestLogSummary {
  entries: RequestLogEntry[];
  /** Requests per `${service} ${route}`. */
  counts: Record<string, number>;
}

export interface LocalCloudState {
  now: string;
  clockOffsetMs: number;
  tenants: {
    id: string;
    domain: string;
    users: { oid: string; upn: string; displayName: string; revokedAt?: string }[];
  }[];
  applications: {
    appId: string;
    id: string;
    displayName: string;
    tenantId: string;
    webRedirectUris: string[];
    ownerObjectIds: string[];
    passwordCredentials: {
      keyId: string;
      displayName: string | null;
      hint: string;
      startDateTime: string;
      endDateTime: string;
    }[];
  }[];
  servicePrincipals: { clientId: string; tenantId: string; graphRoles: string[]; keyVaultAccess: boolean }[];
  consents: Record<string, string[]>;
  faults: (Omit<InjectedFault, 'remaining'> & { remaining: number | 'until cleared' })[];
  outboxCount: number;
  keyVault: KeyVaultSecretStats[];
}

/** A clock the control API can move: Date.now() plus an offset. */
export class OffsetClock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

export class ControlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class LocalCloud {
  constructor(private readonly ctx: LocalCloudContext) {}

  injectFault(spec: FaultSpec): InjectedFault {
    const fault = validateFault(spec);
    this.ctx.faults.push(fault);
    return fault;
  }

  clearFaults(): void {
    this.ctx.faults.splice(0);
  }

  requestLog(): RequestLogSummary {
    const entries = [...this.ctx.requestLog];
    const counts: Record<string, number> = {};
    for (const entry of entries) {
      const key = `${entry.service} ${entry.route}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return { entries, counts };
  }

  /** Requests a service received, optionally for one route (as logged, e.g. 'token.refresh_token'). */
  countRequests(service: ServiceName, route?: string): number {
    return this.ctx.requestLog.filter((e) => e.service === service && (route === undefined || e.route === route))
      .length;
  }

  clearRequestLog(): void {
    this.ctx.requestLog.splice(0);
  }

  setCredentialEndDateTime(appId: string, keyId: string, endDateTime: Date | string): void {
    const end = new Date(endDateTime);
    if (Number.isNaN(end.getTime()))
      throw new ControlError(400, 'invalid_date', `endDateTime '${String(endDateTime)}' is not a date`);
    const application = this.ctx.applications.find((a) => a.appId === appId);
    if (!application) throw new ControlError(404, 'application_not_found', `no application with appId ${appId}`);
    const credential = application.passwordCredentials.find((p) => p.keyId === keyId);
    if (!credential)
      throw new ControlError(404, 'credential_not_found', `application ${appId} has no password credential ${keyId}`);
    credential.endDateTime = end.toISOString();
  }

  outbox(): OutboxMessage[] {
    return [...this.ctx.outbox];
  }

  /** Like an admin's "revoke sessions": every refresh token issued to the user until now fails with AADSTS50173. */
  revokeUser(oidOrUpn: string): void {
    const wanted = oidOrUpn.toLowerCase();
    const user = this.ctx.tenants
      .flatMap((t) => t.users)
      .find((u) => u.oid === wanted || u.upn.toLowerCase() === wanted);
    if (!user) throw new ControlError(404, 'user_not_found', `no user ${oidOrUpn}`);
    user.revokedAt = this.ctx.clock.now();
  }

  /** Like a customer admin deleting the app's enterprise application: its tokens there answer AADSTS700016. */
  removeEnterpriseApp(appId: string, tenantId: string): void {
    if (!removeEnterpriseApp(this.ctx, appId, tenantId))
      throw new ControlError(404, 'service_principal_not_found', `no service principal of ${appId} in ${tenantId}`);
  }

  setClockOffset(offsetMs: number): void {
    this.offsetClock().offsetMs = offsetMs;
  }

  advanceClock(ms: number): void {
    this.offsetClock().offsetMs += ms;
  }

  state(): LocalCloudState {
    const { ctx } = this;
    return {
      now: ctx.clock.now().toISOString(),
      clockOffsetMs: ctx.clock instanceof OffsetClock ? ctx.clock.offsetMs : 0,
      tenants: ctx.tenants.map((t) => ({
        id: t.id,
        domain: t.domain,
        users: t.users.map((u) => ({
          oid: u.oid,
          upn: u.upn,
          displayName: u.displayName,
          ...(u.revokedAt ? { revokedAt: u.revokedAt.toISOString() } : {}),
        })),
      })),
      applications: ctx.applications.map((a) => ({
        appId: a.appId,
        id: a.id,
        displayName: a.displayName,
        tenantId: a.tenantId,
        webRedirectUris: [...a.webRedirectUris],
        ownerObjectIds: [...a.ownerObjectIds],
        passwordCredentials: a.passwordCredentials.map((p) => ({
          keyId: p.keyId,
          displayName: p.displayName,
          hint: p.hint,
          startDateTime: p.startDateTime,
          endDateTime: p.endDateTime,
        })),
      })),
      servicePrincipals: ctx.servicePrincipals.map((s) => ({
        clientId: s.clientId,
        tenantId: s.tenantId,
        graphRoles: [...s.graphRoles],
        keyVaultAccess: s.keyVaultAccess,
      })),
      consents: Object.fromEntries([...ctx.consents].map(([key, scopes]) => [key, [...scopes]])),
      faults: ctx.faults.map((f) => ({
        ...f,
        remaining: Number.isFinite(f.remaining) ? f.remaining : 'until cleared',
      })),
      outboxCount: ctx.outbox.length,
      keyVault: getKeyVaultStats(ctx),
    };
  }

  private offsetClock(): OffsetClock {
    if (!(this.ctx.clock instanceof OffsetClock))
      throw new ControlError(409, 'clock_not_adjustable', 'this local cloud was started with a custom clock');
    return this.ctx.clock;
  }
}

function validateFault(spec: FaultSpec): InjectedFault {
  const problems: string[] = [];
  if (!SERVICES.includes(spec.service)) problems.push(`service must be one of ${SERVICES.join(', ')}`);
  if (typeof spec.route !== 'string' || spec.route.length === 0) problems.push("route must be a route key or '*'");
  if (!FAULT_KINDS.includes(spec.kind)) problems.push(`kind must be one of ${FAULT_KINDS.join(', ')}`);
  if (
    (spec.kind === 'status' || spec.kind === 'status_after') &&
    (spec.status === undefined || spec.status < 400 || spec.status > 599)
  )
    problems.push('status faults need a 4xx/5xx status');
  if ((spec.kind === 'latency' || spec.kind === 'timeout_after') && spec.latencyMs !== undefined && spec.latencyMs < 0)
    problems.push('latencyMs must be >= 0');
  if (spec.kind === 'latency' && spec.latencyMs === undefined) problems.push('latency faults need latencyMs');
  if (
    spec.kind === 'id_token_claims' &&
    (spec.service !== 'entra' || spec.route !== 'id_token' || typeof spec.claims !== 'object' || spec.claims === null)
  ) {
    problems.push("id_token_claims faults need service 'entra', route 'id_token' and a claims object");
  }
  const remaining = spec.remaining ?? 1;
  if (!(remaining > 0)) problems.push('remaining must be > 0 (Infinity for until cleared)');
  if (problems.length > 0) throw new ControlError(400, 'invalid_fault', problems.join('; '));
  return { ...spec, remaining };
}

function faultFromJson(body: unknown): FaultSpec {
  if (body === null || typeof body !== 'object')
    throw new ControlError(400, 'invalid_fault', 'body must be a JSON object');
  const raw = body as Record<string, unknown>;
  // JSON has no Infinity: null or "until cleared" stand for it.
  const remaining = raw.remaining === null || raw.remaining === 'until cleared' ? Infinity : raw.remaining;
  const spec = raw as unknown as FaultSpec;
  return remaining === undefined ? spec : { ...spec, remaining: remaining as number };
}

async function jsonBody(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  if (text.length === 0) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ControlError(400, 'invalid_json', 'body is not valid JSON');
  }
}

/**
 * Routes (JSON): POST/DELETE/GET /faults, GET/DELETE /requests, GET /outbox, GET /state,
 * POST /applications/{appId}/passwordCredentials/{keyId}/endDateTime {endDateTime},
 * POST /users/{oidOrUpn}/revoke, POST /clock {offsetMs} | {advanceMs}.
 */
export function createControlHandler(cloud: LocalCloud): EmulatorHandler {
  return async (req, res, url) => {
    const method = req.method ?? 'GET';
    const parts = url.pathname
      .split('/')
      .filter((p) => p.length > 0)
      .map(decodeURIComponent);
    try {
      const [first, second, third, fourth, fifth] = parts;
      if (first === 'faults' && parts.length === 1) {
        if (method === 'POST') return sendJson(res, 201, cloud.injectFault(faultFromJson(await jsonBody(req))));
        if (method === 'DELETE') return (cloud.clearFaults(), sendJson(res, 204, undefined));
        if (method === 'GET') return sendJson(res, 200, cloud.state().faults);
      }
      if (first === 'requests' && parts.length === 1) {
        if (method === 'GET') return sendJson(res, 200, cloud.requestLog());
        if (method === 'DELETE') return (cloud.clearRequestLog(), sendJson(res, 204, undefined));
      }
      if (first === 'outbox' && parts.length === 1 && method === 'GET') return sendJson(res, 200, cloud.outbox());
      if (first === 'state' && parts.length === 1 && method === 'GET') return sendJson(res, 200, cloud.state());
      if (
        first === 'applications' &&
        third === 'passwordCredentials' &&
        fifth === 'endDateTime' &&
        parts.length === 5 &&
        method === 'POST'
      ) {
        const body = (await jsonBody(req)) as { endDateTime?: unknown };
        if (typeof body.endDateTime !== 'string')
          throw new ControlError(400, 'invalid_date', 'body needs endDateTime (ISO 8601)');
        cloud.setCredentialEndDateTime(second ?? '', fourth ?? '', body.endDateTime);
        return sendJson(res, 204, undefined);
      }
      if (first === 'users' && third === 'revoke' && parts.length === 3 && method === 'POST') {
        cloud.revokeUser(second ?? '');
        return sendJson(res, 204, undefined);
      }
      if (first === 'tenants' && third === 'enterpriseApps' && parts.length === 4 && method === 'DELETE') {
        cloud.removeEnterpriseApp(fourth ?? '', second ?? '');
        return sendJson(res, 204, undefined);
      }
      if (first === 'clock' && parts.length === 1 && method === 'POST') {
        const body = (await jsonBody(req)) as { offsetMs?: unknown; advanceMs?: unknown };
        if (typeof body.offsetMs === 'number') cloud.setClockOffset(body.offsetMs);
        else if (typeof body.advanceMs === 'number') cloud.advanceClock(body.advanceMs);
        else throw new ControlError(400, 'invalid_clock', 'body needs offsetMs or advanceMs (number)');
        const state = cloud.state();
        return sendJson(res, 200, { now: state.now, clockOffsetMs: state.clockOffsetMs });
      }
      throw new ControlError(404, 'not_found', `no control route ${method} ${url.pathname}`);
    } catch (error) {
      if (error instanceof ControlError)
        return sendJson(res, error.status, { error: error.code, message: error.message });
      throw error;
    }
  };
}
