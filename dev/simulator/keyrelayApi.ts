// What ActNow does with keyrelay, server-side, holding the function key (DESIGN §3): read the status
// JSON, ask for an SMTP token, and (dev only) start the monitor through the host's admin API. The full
// access token never leaves this module: callers get a redacted view.
import nodemailer from 'nodemailer';

export interface MailboxRow {
  upn: string;
  status: string;
  lastRefreshAt?: string;
  daysUntilInactivityExpiry?: number;
}

export interface RunRow {
  runId: string;
  startedAt: string;
  finishedAt?: string;
  counts: Record<string, number>;
  errors: string[];
}

export interface RotationRow {
  rotationId: string;
  step: string;
  startedAt: string;
  blockedReason?: string;
}

/** The parts of GET /api/status the simulator shows; unknown fields are ignored. */
export interface StatusView {
  /** How keyrelay authenticates as the app: `secret` (rotated by keyrelay) or `federated` (nothing to expire). */
  credentialPosture?: string;
  mailboxes: MailboxRow[];
  runs: RunRow[];
  rotations: RotationRow[];
}

export interface RedactedSmtpToken {
  mailbox: string;
  expiresOn: string;
  accessTokenPreview: string;
  /** The decoded XOAUTH2 parts (separated by \x01 on the wire), token redacted. */
  xoauth2Parts: string[];
  /** The decoded XOAUTH2 names this mailbox and carries exactly this access token. */
  xoauth2Matches: boolean;
  smtp?: { host: string; port: number; security: string };
}

export type TokenOutcome = { ok: true; token: RedactedSmtpToken } | { ok: false; code: string; message: string };

export type TestMailOutcome = { ok: true } | { ok: false; code: string; message: string };

/** Where the product submits mail (SMTP_ENDPOINT) and the CA its TLS certificate chains to. */
export interface SmtpSubmission {
  endpoint: string;
  /** PEM of the local CA: trusted for this connection, verification stays on. */
  ca: string;
}

export type MonitorOutcome = { ok: true; runId?: string } | { ok: false; detail: string };

export interface KeyrelayApi {
  readonly statusPageUrl: string;
  connectUrl(returnUrl: string, loginHint?: string): string;
  status(): Promise<StatusView>;
  smtpToken(mailbox: string): Promise<TokenOutcome>;
  /** What ActNow does to send: /api/token, then AUTH XOAUTH2 over STARTTLS with that token; a mail to the mailbox itself. */
  sendTestMail(mailbox: string, subject: string): Promise<TestMailOutcome>;
  runMonitor(): Promise<MonitorOutcome>;
}

const REQUEST_TIMEOUT_MS = 30_000;
const MONITOR_WAIT_MS = 30_000;
const MONITOR_POLL_MS = 250;

/** Enough to recognise a token in a screenshot, too little to use it. */
export function redactToken(token: string): string {
  return `${token.slice(0, 8)}…`;
}

/** Decodes base64(`user=<mailbox>\x01auth=Bearer <token>\x01\x01`) and redacts the token in it. */
export function decodeXoauth2(
  xoauth2: string,
  mailbox: string,
  accessToken: string,
): { parts: string[]; matches: boolean } {
  const parts = Buffer.from(xoauth2, 'base64').toString('utf8').split('\x01');
  const matches =
    parts.length === 4 &&
    parts[0] === `user=${mailbox}` &&
    parts[1] === `auth=Bearer ${accessToken}` &&
    parts[2] === '' &&
    parts[3] === '';
  const redacted = parts.map((part) =>
    part.startsWith('auth=Bearer ') ? `auth=Bearer ${redactToken(part.slice('auth=Bearer '.length))}` : part,
  );
  return { parts: redacted, matches };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

export function parseStatus(body: unknown): StatusView {
  const root = isRecord(body) ? body : {};
  const optional = <T>(key: string, value: T | undefined): Record<string, T> =>
    value === undefined ? {} : { [key]: value };
  return {
    ...optional('credentialPosture', text(root.credentialPosture)),
    mailboxes: records(root.mailboxes).flatMap((m) => {
      const upn = text(m.upn);
      if (upn === undefined) return [];
      return [
        {
          upn,
          status: text(m.status) ?? 'unknown',
          ...optional('lastRefreshAt', text(m.lastRefreshAt)),
          ...optional('daysUntilInactivityExpiry', num(m.daysUntilInactivityExpiry)),
        },
      ];
    }),
    runs: records(root.runs).flatMap((r) => {
      const runId = text(r.runId);
      const startedAt = text(r.startedAt);
      if (runId === undefined || startedAt === undefined) return [];
      const counts = isRecord(r.counts)
        ? Object.fromEntries(Object.entries(r.counts).filter((e): e is [string, number] => typeof e[1] === 'number'))
        : {};
      const errors = Array.isArray(r.errors) ? r.errors.filter((e): e is string => typeof e === 'string') : [];
      return [{ runId, startedAt, ...optional('finishedAt', text(r.finishedAt)), counts, errors }];
    }),
    rotations: records(root.rotations).flatMap((r) => {
      const rotationId = text(r.rotationId);
      const startedAt = text(r.startedAt);
      if (rotationId === undefined || startedAt === undefined) return [];
      return [
        { rotationId, step: text(r.step) ?? 'unknown', startedAt, ...optional('blockedReason', text(r.blockedReason)) },
      ];
    }),
  };
}

class KeyrelayCallError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function createKeyrelayApi(hostUrl: string, functionKey: string, smtp: SmtpSubmission): KeyrelayApi {
  const call = async (path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> => {
    const response = await fetch(`${hostUrl}${path}`, {
      ...init,
      headers: { 'x-functions-key': functionKey, accept: 'application/json', ...init.headers },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const raw = await response.text();
    let body: unknown = undefined;
    try {
      body = raw.length > 0 ? (JSON.parse(raw) as unknown) : undefined;
    } catch {
      body = undefined;
    }
    return { status: response.status, body };
  };
  const failure = (status: number, body: unknown): KeyrelayCallError => {
    const error = isRecord(body) ? text(body.error) : undefined;
    const message = isRecord(body) ? text(body.message) : undefined;
    return new KeyrelayCallError(status, error ?? `http_${status}`, message ?? `keyrelay answered ${status}`);
  };
  const status = async (): Promise<StatusView> => {
    const { status: httpStatus, body } = await call('/api/status');
    if (httpStatus !== 200) throw failure(httpStatus, body);
    return parseStatus(body);
  };

  /** POST /api/token for the mailbox's SMTP token: the answer's body, or keyrelay's refusal. */
  const smtpGrant = async (
    mailbox: string,
  ): Promise<{ ok: true; body: Record<string, unknown> } | { ok: false; code: string; message: string }> => {
    const { status: httpStatus, body } = await call('/api/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mailbox, resource: 'smtp' }),
    });
    if (httpStatus === 200 && isRecord(body)) return { ok: true, body };
    const error = failure(httpStatus, body);
    return { ok: false, code: error.code, message: error.message };
  };
  return {
    statusPageUrl: `${hostUrl}/api/status?code=${encodeURIComponent(functionKey)}`,
    connectUrl(returnUrl, loginHint) {
      const query = new URLSearchParams({ returnUrl, ...(loginHint ? { loginHint } : {}) });
      return `${hostUrl}/api/connect?${query.toString()}`;
    },
    status,
    async smtpToken(mailbox) {
      const grant = await smtpGrant(mailbox);
      if (!grant.ok) return grant;
      const body = grant.body;
      const accessToken = text(body.accessToken) ?? '';
      const xoauth2 = decodeXoauth2(text(body.xoauth2) ?? '', mailbox, accessToken);
      const smtp = isRecord(body.smtp) ? body.smtp : undefined;
      return {
        ok: true,
        token: {
          mailbox: text(body.mailbox) ?? mailbox,
          expiresOn: text(body.expiresOn) ?? '',
          accessTokenPreview: redactToken(accessToken),
          xoauth2Parts: xoauth2.parts,
          xoauth2Matches: xoauth2.matches,
          ...(smtp
            ? { smtp: { host: text(smtp.host) ?? '', port: num(smtp.port) ?? 0, security: text(smtp.security) ?? '' } }
            : {}),
        },
      };
    },
    async sendTestMail(mailbox, subject) {
      const grant = await smtpGrant(mailbox);
      if (!grant.ok) return grant;
      const body = grant.body;
      const [host = '', port = ''] = smtp.endpoint.split(':');
      const transport = nodemailer.createTransport({
        host,
        port: Number(port),
        secure: false,
        requireTLS: true,
        tls: { ca: smtp.ca },
        auth: { type: 'OAuth2', user: mailbox, accessToken: text(body.accessToken) ?? '' },
      });
      try {
        await transport.sendMail({
          from: mailbox,
          to: mailbox,
          subject,
          text: 'keyrelay: AUTH XOAUTH2 over STARTTLS with the token from /api/token.',
        });
        return { ok: true };
      } catch (error) {
        const reply = error as { responseCode?: number; response?: string };
        // Only the SMTP code and Exchange's enhanced status: never the server's free text.
        const enhanced = /\b\d\.\d{1,3}\.\d{1,3}\b/.exec(reply.response ?? '')?.[0];
        return {
          ok: false,
          code: `smtp_${reply.responseCode ?? 'unreachable'}`,
          message: enhanced ?? 'no SMTP answer',
        };
      } finally {
        transport.close();
      }
    },
    async runMonitor() {
      const triggeredAt = Date.now();
      const { status: httpStatus, body } = await call('/admin/functions/expiryMonitor', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      if (httpStatus !== 202) return { ok: false, detail: failure(httpStatus, body).message };
      // The host answers 202 and runs the function in the background (as the real admin API does): wait
      // for the run report to appear so the page shows its outcome.
      const deadline = Date.now() + MONITOR_WAIT_MS;
      while (Date.now() < deadline) {
        const latest = await status().then(
          (s) => s.runs[0],
          () => undefined,
        );
        if (latest?.finishedAt && Date.parse(latest.finishedAt) >= triggeredAt)
          return { ok: true, runId: latest.runId };
        await new Promise((resolve) => setTimeout(resolve, MONITOR_POLL_MS));
      }
      return { ok: true };
    },
  };
}
