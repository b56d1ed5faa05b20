import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  InternalError,
  InvalidRequestError,
  KEYRELAY_ERROR_CODES,
  MailboxNotConnectedError,
  MailboxTakenError,
  ReconnectRequiredError,
  STATUS_OF_CODE,
  TenantNotAllowedError,
  TooManyRequestsError,
  UnauthorizedError,
  UpstreamUnavailableError,
  type KeyrelayError,
} from '#src/shared/errors.js';
import { toErrorResult } from '#src/shared/http/errorResult.js';

const json = { format: 'json', locale: 'en' } as const;

describe('toErrorResult', () => {
  it.each([
    [new InvalidRequestError('mailbox must be an e-mail address'), 400, 'invalid_request'],
    [new UnauthorizedError(), 401, 'unauthorized'],
    [new MailboxNotConnectedError(), 404, 'mailbox_not_connected'],
  ])('maps %o to its status and stable code with the public message', (error, status, code) => {
    const result = toErrorResult(error, json);
    expect(result.status).toBe(status);
    expect(result.jsonBody).toEqual({ error: code, message: error.publicMessage });
    expect(result.headers).toMatchObject({ 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  });

  it('adds connectUrl to a 409 reconnect_required', () => {
    const result = toErrorResult(
      new ReconnectRequiredError('https://keyrelay.example.com/api/connect?loginHint=a%40b.c'),
      json,
    );
    expect(result.status).toBe(409);
    expect(result.jsonBody).toMatchObject({
      error: 'reconnect_required',
      connectUrl: 'https://keyrelay.example.com/api/connect?loginHint=a%40b.c',
    });
  });

  it('sets Retry-After on a 503 upstream_unavailable, rounded up to whole seconds', () => {
    const result = toErrorResult(new UpstreamUnavailableError(2.2), json);
    expect(result.status).toBe(503);
    expect(result.headers['Retry-After']).toBe('3');
    expect(result.jsonBody).toMatchObject({ error: 'upstream_unavailable' });
  });

  it('turns an unknown error into a generic 500 that leaks neither its text nor its stack', () => {
    const secretBearing = new Error('AADSTS7000215: Invalid client secret provided: s3cr3t~value');
    const result = toErrorResult(secretBearing, json);
    expect(result.status).toBe(500);
    expect(result.jsonBody).toEqual({ error: 'internal_error', message: 'An unexpected error occurred.' });
    expect(JSON.stringify(result)).not.toMatch(/s3cr3t|AADSTS|at .*\.ts/);
  });

  it('never includes the cause or log message of a KeyrelayError', () => {
    const error = new InvalidRequestError('resource must be smtp or graph', {
      message: 'token=abc123',
      cause: new Error('refresh_token=xyz'),
    });
    expect(JSON.stringify(toErrorResult(error, json))).not.toMatch(/abc123|xyz/);
    expect(toErrorResult(error, { format: 'html', locale: 'en' }).body).not.toMatch(/abc123|xyz/);
  });

  it('renders an Italian HTML page with the strict security headers for browser routes', () => {
    const result = toErrorResult(new ReconnectRequiredError('https://k.example.com/api/connect?x="<y>"'), {
      format: 'html',
      locale: 'it',
    });
    expect(result.status).toBe(409);
    expect(result.headers).toMatchObject({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': expect.stringContaining("default-src 'none'") as unknown,
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'X-Content-Type-Options': 'nosniff',
    });
    expect(result.body).toContain('<html lang="it">');
    expect(result.body).toContain('Nuovo accesso necessario');
    expect(result.body).toContain('href="https://k.example.com/api/connect?x=&quot;&lt;y&gt;&quot;"');
  });

  it('renders the English public message in an English HTML page', () => {
    const result = toErrorResult(new InvalidRequestError('returnUrl is not allowed'), { format: 'html', locale: 'en' });
    expect(result.body).toContain('<html lang="en">');
    expect(result.body).toContain('returnUrl is not allowed');
  });
});

describe('error codes (DESIGN §3)', () => {
  const oneOfEach: readonly KeyrelayError[] = [
    new InvalidRequestError('bad'),
    new UnauthorizedError(),
    new TenantNotAllowedError(),
    new MailboxNotConnectedError(),
    new MailboxTakenError(),
    new ReconnectRequiredError('https://keyrelay.example.com/api/connect'),
    new TooManyRequestsError(5),
    new UpstreamUnavailableError(5),
    new ConfigError([{ setting: 'KEY_VAULT_URL', problem: 'missing' }]),
    new InternalError(),
  ];

  it('every stable code maps to an HTTP error status', () => {
    for (const code of KEYRELAY_ERROR_CODES) expect(STATUS_OF_CODE[code]).toBeGreaterThanOrEqual(400);
    expect(STATUS_OF_CODE).toMatchObject({
      invalid_request: 400,
      tenant_not_allowed: 403,
      mailbox_not_connected: 404,
      reconnect_required: 409,
      upstream_unavailable: 503,
    });
  });

  it('every error class carries one of the codes, and the answer has that code and its status', () => {
    expect(new Set(oneOfEach.map((error) => error.code))).toEqual(new Set(KEYRELAY_ERROR_CODES));
    for (const error of oneOfEach) {
      const result = toErrorResult(error, json);
      expect(result.status).toBe(STATUS_OF_CODE[error.code]);
      expect(error.status).toBe(STATUS_OF_CODE[error.code]);
      expect(result.jsonBody).toMatchObject({ error: error.code });
    }
  });
});
