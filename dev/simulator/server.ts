// The "ActNow" product simulator (dev tooling, never deployed): a node:http app on 127.0.0.1 that
// plays the product keyrelay serves. It holds the function key server-side, as the product would.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pickLocale, type Locale } from '#src/shared/presentation/locale.js';
import { NoClientSecretError, type CloudControls } from './cloudControls.js';
import type { KeyrelayApi, RedactedSmtpToken } from './keyrelayApi.js';
import { SIMULATOR_MESSAGES } from './messages.js';
import { renderDashboard, renderMail, renderProblem, type Notice } from './pages.js';

export interface SimulatorOptions {
  keyrelay: KeyrelayApi;
  cloud: CloudControls;
  /**
   * "Go secretless": the demo's migration to OAUTH_CLIENT_CREDENTIAL=federated (`npm run setup -- --federated`,
   * the switch with a host restart, then `--remove-secret`). The simulator runs the monitor after it.
   */
  goSecretless: () => Promise<SecretlessOutcome>;
  /** ALERT_SENDER: the mailbox the demo suggests connecting first. */
  alertSender: string;
  /** ALERT_TIME_ZONE, as keyrelay's host gets it: the simulator shows times in the same zone as the mails and the status page. */
  timeZone: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  log?: (line: string) => void;
}

export type SecretlessOutcome = { ok: true } | { ok: false; detail: string };

export interface Simulator {
  url: string;
  close(): Promise<void>;
}

const MAX_FORM_BYTES = 8 * 1024;
const MAX_EXPIRE_DAYS = 730;
const DEFAULT_EXPIRE_DAYS = 20;

const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  // Forms post only to the simulator itself; "Connect" is a plain link, so no other origin is needed.
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

class BadFormError extends Error {}

function sameText(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  if (!(request.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded'))
    throw new BadFormError('not a form');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) throw new BadFormError('form too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function localeOf(value: string | null, request: IncomingMessage): Locale {
  return value === 'it' || value === 'en' ? value : pickLocale(request.headers['accept-language']);
}

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const { keyrelay, cloud, alertSender } = options;
  const log = options.log ?? ((line: string) => console.log(line));
  const formToken = randomBytes(24).toString('base64url');
  // One demo user: what the last action produced is shown on the next page view.
  let lastToken: RedactedSmtpToken | undefined;
  let pendingNotices: Notice[] = [];
  let url = '';

  const send = (response: ServerResponse, status: number, html: string): void => {
    response.writeHead(status, PAGE_HEADERS).end(html);
  };
  const backTo = (response: ServerResponse, locale: Locale): void => {
    response.writeHead(303, { Location: `/?lang=${locale}`, 'Cache-Control': 'no-store' }).end();
  };

  async function dashboard(request: IncomingMessage, response: ServerResponse, query: URLSearchParams): Promise<void> {
    const locale = localeOf(query.get('lang'), request);
    const t = SIMULATOR_MESSAGES[locale];
    const notices = pendingNotices;
    pendingNotices = [];
    const connectedMailbox = query.get('mailbox');
    if (query.get('keyrelay') === 'connected' && connectedMailbox)
      notices.unshift({ tone: 'ok', text: t.connected(connectedMailbox) });
    const returnUrl = `${url}/?lang=${locale}`;
    const [status, secrets] = await Promise.all([
      keyrelay.status().then(
        (view) => ({ ok: true as const, view }),
        (error: unknown) => ({ ok: false as const, detail: error instanceof Error ? error.message : String(error) }),
      ),
      cloud.clientSecrets().then(
        (rows) => ({ ok: true as const, rows }),
        (error: unknown) => ({ ok: false as const, detail: error instanceof Error ? error.message : String(error) }),
      ),
    ]);
    send(
      response,
      200,
      renderDashboard({
        locale,
        timeZone: options.timeZone,
        formToken,
        notices,
        alertSender,
        entraOrigin: cloud.entraOrigin,
        connectAsSenderUrl: keyrelay.connectUrl(returnUrl, alertSender),
        connectOtherUrl: keyrelay.connectUrl(returnUrl),
        statusPageUrl: keyrelay.statusPageUrl,
        status,
        ...(lastToken ? { lastToken } : {}),
        secrets,
        outbox: cloud.outbox(),
        expireDaysDefault: DEFAULT_EXPIRE_DAYS,
      }),
    );
  }

  async function action(request: IncomingMessage, response: ServerResponse, name: string): Promise<void> {
    let form: URLSearchParams;
    try {
      form = await readForm(request);
    } catch (error) {
      if (error instanceof BadFormError)
        return send(
          response,
          400,
          renderProblem(localeOf(null, request), SIMULATOR_MESSAGES[localeOf(null, request)].badRequest),
        );
      throw error;
    }
    const locale = localeOf(form.get('lang'), request);
    const t = SIMULATOR_MESSAGES[locale];
    if (!sameText(form.get('token') ?? '', formToken)) return send(response, 400, renderProblem(locale, t.badRequest));

    if (name === 'token') {
      const mailbox = (form.get('mailbox') ?? '').trim();
      if (mailbox.length === 0 || mailbox.length > 320) return send(response, 400, renderProblem(locale, t.badRequest));
      const outcome = await keyrelay.smtpToken(mailbox);
      if (outcome.ok) lastToken = outcome.token;
      else pendingNotices.push({ tone: 'error', text: t.tokenFailed(outcome.code, outcome.message) });
      log(`simulator: SMTP token for a mailbox ${outcome.ok ? 'issued' : `refused (${outcome.code})`}`);
      return backTo(response, locale);
    }
    if (name === 'testmail') {
      const mailbox = (form.get('mailbox') ?? '').trim();
      if (mailbox.length === 0 || mailbox.length > 320) return send(response, 400, renderProblem(locale, t.badRequest));
      const outcome = await keyrelay.sendTestMail(mailbox, t.testMailSubject);
      pendingNotices.push(
        outcome.ok
          ? { tone: 'ok', text: t.testMailSent(mailbox) }
          : { tone: 'error', text: t.testMailFailed(outcome.code, outcome.message) },
      );
      log(`simulator: test mail over SMTP ${outcome.ok ? 'sent' : `refused (${outcome.code})`}`);
      return backTo(response, locale);
    }
    if (name === 'expire') {
      const daysText = (form.get('days') ?? '').trim();
      const days = /^\d{1,3}$/.test(daysText) ? Number(daysText) : NaN;
      if (!(days >= 0 && days <= MAX_EXPIRE_DAYS)) return send(response, 400, renderProblem(locale, t.expireInvalid));
      const end = await cloud.expireClientSecretIn(days).catch((error: unknown) => {
        if (error instanceof NoClientSecretError) return undefined;
        throw error;
      });
      if (!end) {
        pendingNotices.push({ tone: 'info', text: t.expireNoSecret });
        return backTo(response, locale);
      }
      pendingNotices.push({ tone: 'info', text: t.expireDone(days, end.toISOString().slice(0, 10)) });
      log(`simulator: client secret in use now expires in ${days} days`);
      return backTo(response, locale);
    }
    if (name === 'refusesecrets') {
      cloud.refuseNewSecrets();
      pendingNotices.push({ tone: 'info', text: t.refuseSecretsDone });
      log('simulator: Graph now refuses new client secrets (injected 403)');
      return backTo(response, locale);
    }
    if (name === 'monitor') {
      const outcome = await keyrelay.runMonitor();
      if (!outcome.ok) pendingNotices.push({ tone: 'error', text: t.monitorFailed(outcome.detail) });
      else pendingNotices.push({ tone: 'ok', text: outcome.runId ? t.monitorDone(outcome.runId) : t.monitorAccepted });
      log(`simulator: expiry monitor ${outcome.ok ? 'ran' : 'did not start'}`);
      return backTo(response, locale);
    }
    if (name === 'secretless') {
      log('simulator: going secretless (setup --federated, switch, --remove-secret)…');
      const migration = await options.goSecretless();
      if (!migration.ok) {
        pendingNotices.push({ tone: 'error', text: t.secretlessFailed(migration.detail) });
        log('simulator: the secretless migration stopped');
        return backTo(response, locale);
      }
      pendingNotices.push({ tone: 'ok', text: t.secretlessDone });
      const outcome = await keyrelay.runMonitor();
      if (!outcome.ok) pendingNotices.push({ tone: 'error', text: t.monitorFailed(outcome.detail) });
      else pendingNotices.push({ tone: 'ok', text: outcome.runId ? t.monitorDone(outcome.runId) : t.monitorAccepted });
      log(`simulator: secretless; expiry monitor ${outcome.ok ? 'ran' : 'did not start'}`);
      return backTo(response, locale);
    }
    send(response, 404, renderProblem(locale, t.notFound));
  }

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestUrl = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    const actionMatch = /^\/actions\/([a-z]+)$/.exec(requestUrl.pathname);
    if (method === 'GET' && requestUrl.pathname === '/') return dashboard(request, response, requestUrl.searchParams);
    if (method === 'POST' && actionMatch?.[1]) return action(request, response, actionMatch[1]);
    const mailMatch = /^\/mail\/([A-Za-z0-9-]{1,64})$/.exec(requestUrl.pathname);
    const locale = localeOf(requestUrl.searchParams.get('lang'), request);
    if (method === 'GET' && mailMatch) {
      const message = cloud.outbox().find((m) => m.id === mailMatch[1]);
      if (message) return send(response, 200, renderMail(locale, options.timeZone, message));
    }
    send(response, 404, renderProblem(locale, SIMULATOR_MESSAGES[locale].notFound));
  }

  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      log(
        `simulator: ${request.method ?? 'GET'} ${new URL(request.url ?? '/', 'http://127.0.0.1').pathname} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      if (!response.headersSent)
        send(response, 500, renderProblem('en', 'The simulator failed; see the demo console.'));
      else response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
