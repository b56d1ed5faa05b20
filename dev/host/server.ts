// The local stand-in for `func start` (DESIGN.md §7): serves the built app's HTTP functions under the
// host's route prefix with the host's routing, and runs non-HTTP functions on POST /admin/functions/<name>.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Registration, RpcLogLevel, RpcTypedData } from './coreApi.js';
import { fromRpcHttpResponse, invoke, toRpcHttpRequest, toRpcTimerInfo, triggerBinding } from './invocation.js';
import { loadApp, type LoadedApp } from './loader.js';
import {
  compareRoutePrecedence,
  matchRoute,
  parseRouteTemplate,
  pathBelowPrefix,
  type RouteTemplate,
} from './routing.js';

export interface LocalHostOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** App settings, put into process.env before the app loads: the app reads them there, as under the real host. */
  env?: Record<string, string>;
  /** When set, `function`/`admin` functions and the admin API need it (`x-functions-key` or `?code=`). Off by default, like `func start`. */
  functionKey?: string;
  /** Directory holding package.json and the build; defaults to the repository root. */
  appRoot?: string;
  /** Receives one line per event (invocations, warnings); defaults to console.log. */
  log?: (line: string) => void;
}

export interface HttpFunctionRoute {
  functionName: string;
  route: RouteTemplate;
  methods: string[];
  authLevel: string;
}

export interface LocalHost {
  url: string;
  port: number;
  /** What the app registered, exactly as the host received it. */
  registrations: readonly Registration[];
  close(): Promise<void>;
}

const DEFAULT_APP_ROOT = join(import.meta.dirname, '..', '..');
const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE'];

async function routePrefix(appRoot: string): Promise<string> {
  const hostJson = JSON.parse(await readFile(join(appRoot, 'host.json'), 'utf8')) as {
    extensions?: { http?: { routePrefix?: string } };
  };
  return hostJson.extensions?.http?.routePrefix ?? 'api';
}

export function httpRoutes(registrations: readonly Registration[]): HttpFunctionRoute[] {
  return registrations
    .flatMap(({ metadata }) => {
      const trigger = triggerBinding(metadata);
      if (trigger.type.toLowerCase() !== 'httptrigger') return [];
      const { route, methods, authLevel } = trigger.options;
      return [
        {
          functionName: metadata.name,
          route: parseRouteTemplate(typeof route === 'string' ? route : metadata.name),
          methods: Array.isArray(methods) ? methods.map((method) => String(method).toUpperCase()) : ALL_METHODS,
          authLevel: typeof authLevel === 'string' ? authLevel.toLowerCase() : 'function',
        },
      ];
    })
    .sort((a, b) => compareRoutePrecedence(a.route, b.route));
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function sendJson(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function flattenHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function adminInput(body: Buffer): string | undefined {
  if (body.length === 0) return undefined;
  const parsed = JSON.parse(body.toString('utf8')) as { input?: unknown };
  return typeof parsed.input === 'string'
    ? parsed.input
    : parsed.input === undefined
      ? undefined
      : JSON.stringify(parsed.input);
}

export async function startLocalHost(options: LocalHostOptions = {}): Promise<LocalHost> {
  const appRoot = options.appRoot ?? DEFAULT_APP_ROOT;
  const log = options.log ?? ((line: string) => console.log(line));
  const { functionKey } = options;
  Object.assign(process.env, options.env);

  const systemLog = (level: RpcLogLevel, message: string) => {
    if (level === 'warning' || level === 'error' || level === 'critical') log(`[host] ${level}: ${message}`);
  };
  const app: LoadedApp = await loadApp(appRoot, systemLog);
  const prefix = await routePrefix(appRoot);
  const routes = httpRoutes(app.registrations);

  const hasValidKey = (request: IncomingMessage, url: URL): boolean => {
    if (functionKey === undefined) return true;
    const given = request.headers['x-functions-key'] ?? url.searchParams.get('code');
    return typeof given === 'string' && sameSecret(given, functionKey);
  };

  async function run(registration: Registration, reason: string, triggerData: RpcTypedData) {
    const name = registration.metadata.name;
    const started = performance.now();
    const id = crypto.randomUUID();
    log(`Executing 'Functions.${name}' (Reason='${reason}', Id=${id})`);
    try {
      const result = await invoke(
        app.programmingModel,
        registration,
        triggerData,
        (functionName, level, category, message) => {
          if (category === 'user' || level === 'warning' || level === 'error') log(`[${functionName}] ${message}`);
        },
      );
      log(`Executed 'Functions.${name}' (Succeeded, Id=${id}, Duration=${Math.round(performance.now() - started)}ms)`);
      return result;
    } catch (error) {
      log(`Executed 'Functions.${name}' (Failed, Id=${id}, Duration=${Math.round(performance.now() - started)}ms)`);
      log(`[${name}] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      throw error;
    }
  }

  async function handleAdmin(request: IncomingMessage, response: ServerResponse, url: URL, functionName: string) {
    if (!hasValidKey(request, url))
      return sendJson(response, 401, { error: 'unauthorized', message: 'The admin API needs the master key.' });
    const registration = app.registrations.find(
      ({ metadata }) => metadata.name.toLowerCase() === functionName.toLowerCase(),
    );
    if (!registration)
      return sendJson(response, 404, { error: 'not_found', message: `No function named "${functionName}".` });
    const trigger = triggerBinding(registration.metadata);
    if (trigger.type.toLowerCase() === 'httptrigger') {
      return sendJson(response, 400, {
        error: 'invalid_request',
        message: `"${functionName}" is HTTP-triggered: call its route instead.`,
      });
    }
    let input: string | undefined;
    try {
      input = adminInput(await readBody(request));
    } catch {
      return sendJson(response, 400, {
        error: 'invalid_request',
        message: 'The body must be JSON like {"input": "..."}.',
      });
    }
    const triggerData: RpcTypedData =
      trigger.type.toLowerCase() === 'timertrigger' ? toRpcTimerInfo(new Date()) : { string: input ?? '' };
    // Like the real host: accept at once and run in the background; the outcome goes to the log.
    response.writeHead(202).end();
    run(registration, 'This function was programmatically called via the host APIs.', triggerData).catch(
      () => undefined,
    );
  }

  async function handleHttpFunction(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    pathSegments: string[],
  ) {
    const method = (request.method ?? 'GET').toUpperCase();
    const matched = routes
      .map((candidate) => ({ candidate, params: matchRoute(candidate.route, pathSegments) }))
      .find(({ candidate, params }) => params !== undefined && candidate.methods.includes(method));
    // Like the host (azure-functions-host#10098): a known route with another method is a 404, not a 405.
    if (!matched?.params) {
      return sendJson(response, 404, { error: 'not_found', message: `No function answers ${method} ${url.pathname}.` });
    }
    const { candidate, params } = matched;
    if (candidate.authLevel !== 'anonymous' && !hasValidKey(request, url)) {
      return sendJson(response, 401, {
        error: 'unauthorized',
        message: 'This function needs a function key (x-functions-key header or code query parameter).',
      });
    }
    const body = await readBody(request);
    const registration = app.registrations.find(({ metadata }) => metadata.name === candidate.functionName);
    if (!registration) throw new Error(`Route for unknown function ${candidate.functionName}`);
    try {
      const returnValue = await run(
        registration,
        `This function was called by an HTTP request (${method} ${url.pathname}).`,
        toRpcHttpRequest({
          method,
          url: url.href,
          headers: flattenHeaders(request),
          params,
          body,
        }),
      );
      const outgoing = fromRpcHttpResponse(returnValue);
      response.writeHead(outgoing.status, outgoing.headers.flat());
      response.end(method === 'HEAD' ? undefined : outgoing.body);
    } catch {
      // The host answers a failed invocation with a bare 500; the details are in the log.
      response.writeHead(500).end();
    }
  }

  // async, so that a malformed percent-encoding (URIError) becomes a rejection handled below.
  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', `http://${request.headers.host ?? '127.0.0.1'}`);
    const adminMatch = /^\/admin\/functions\/([^/]+)\/?$/i.exec(url.pathname);
    if (adminMatch?.[1] !== undefined && request.method === 'POST') {
      return handleAdmin(request, response, url, decodeURIComponent(adminMatch[1]));
    }
    const pathSegments = pathBelowPrefix(url.pathname, prefix);
    if (pathSegments !== undefined) return handleHttpFunction(request, response, url, pathSegments);
    sendJson(response, 404, { error: 'not_found', message: `Nothing at ${url.pathname}.` });
  }

  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      if (error instanceof URIError) {
        return sendJson(response, 400, {
          error: 'invalid_request',
          message: 'The URL path is not valid percent-encoding.',
        });
      }
      log(`[host] error: ${error instanceof Error ? error.message : String(error)}`);
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    registrations: app.registrations,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
