// The error model: each class says whose fault it is and carries a stable machine `code`, the HTTP
// `status` it maps to and a `publicMessage` safe to show anyone. `message` and `cause` are for logs
// only and never leave the process (mapping lives in src/shared/http/errorResult.ts).

export interface KeyrelayErrorOptions {
  /** The underlying failure, kept for logs; never sent to clients. */
  cause?: unknown;
  /** Log text when it should say more than the public message (never secrets). */
  message?: string;
}

export class KeyrelayError extends Error {
  override name = 'KeyrelayError';

  constructor(
    readonly code: string,
    readonly status: number,
    readonly publicMessage: string,
    options: KeyrelayErrorOptions = {},
  ) {
    super(options.message ?? publicMessage, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

export function isKeyrelayError(value: unknown): value is KeyrelayError {
  return value instanceof KeyrelayError;
}

/** What a log may say about any failure: its class name, never its message (it may hold user data). */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/** The caller sent something malformed (400). */
export class InvalidRequestError extends KeyrelayError {
  override name = 'InvalidRequestError';

  constructor(publicMessage: string, options?: KeyrelayErrorOptions) {
    super('invalid_request', 400, publicMessage, options);
  }
}

/** Missing or wrong credentials on a protected route (401). */
export class UnauthorizedError extends KeyrelayError {
  override name = 'UnauthorizedError';

  constructor(publicMessage = 'Missing or invalid credentials.', options?: KeyrelayErrorOptions) {
    super('unauthorized', 401, publicMessage, options);
  }
}

/** A token was asked for a mailbox that never connected (404). */
export class MailboxNotConnectedError extends KeyrelayError {
  override name = 'MailboxNotConnectedError';

  constructor(options?: KeyrelayErrorOptions) {
    super('mailbox_not_connected', 404, 'This mailbox is not connected to keyrelay. Connect it first.', options);
  }
}

/** The address is bound to another identity (tid+oid) until that mailbox is disconnected (409). */
export class MailboxTakenError extends KeyrelayError {
  override name = 'MailboxTakenError';

  constructor(options?: KeyrelayErrorOptions) {
    super(
      'mailbox_taken',
      409,
      'This mailbox address is already connected by another account. Disconnect that mailbox first.',
      options,
    );
  }
}

/** The mailbox belongs to a tenant that is not (or no longer) in ALLOWED_TENANTS (403). */
export class TenantNotAllowedError extends KeyrelayError {
  override name = 'TenantNotAllowedError';

  constructor(options?: KeyrelayErrorOptions) {
    super('tenant_not_allowed', 403, 'The organisation (tenant) of this mailbox is not allowed to use keyrelay.', options);
  }
}

/** The mailbox's grant is gone (revoked, expired after 90 idle days): a person must sign in again (409). */
export class ReconnectRequiredError extends KeyrelayError {
  override name = 'ReconnectRequiredError';

  readonly connectUrl: string;
  /** Set when the mailbox's tenant refused keyrelay's app (AADSTS700016): its admin consents first. */
  readonly adminConsentUrl: string | undefined;

  constructor(connectUrl: string, options?: KeyrelayErrorOptions & { adminConsentUrl?: string }) {
    super(
      'reconnect_required',
      409,
      options?.adminConsentUrl === undefined
        ? 'The mailbox must be connected again: open connectUrl and sign in.'
        : "The mailbox's organisation no longer has keyrelay's app: an administrator of that organisation opens adminConsentUrl, then the mailbox connects again at connectUrl.",
      options,
    );
    this.connectUrl = connectUrl;
    this.adminConsentUrl = options?.adminConsentUrl;
  }
}

/** A refusal that names when to try again (answered with Retry-After). */
export class RetryLaterError extends KeyrelayError {
  override name = 'RetryLaterError';

  constructor(
    code: string,
    status: number,
    readonly retryAfterSeconds: number,
    publicMessage: string,
    options?: KeyrelayErrorOptions,
  ) {
    super(code, status, publicMessage, options);
  }
}

/** An abuse limit was reached (DESIGN §3): the caller may try again after `retryAfterSeconds` (429). */
export class TooManyRequestsError extends RetryLaterError {
  override name = 'TooManyRequestsError';

  constructor(retryAfterSeconds: number, publicMessage = 'Too many attempts. Try again later.') {
    super('too_many_requests', 429, retryAfterSeconds, publicMessage);
  }
}

export const UPSTREAM_UNAVAILABLE_MESSAGE = 'A Microsoft service keyrelay depends on is unavailable. Retry later.';

/** Entra ID, Graph, Key Vault or Storage did not answer usefully; the caller may retry later (503). */
export class UpstreamUnavailableError extends RetryLaterError {
  override name = 'UpstreamUnavailableError';

  constructor(
    retryAfterSeconds: number,
    publicMessage = UPSTREAM_UNAVAILABLE_MESSAGE,
    options?: KeyrelayErrorOptions,
  ) {
    super('upstream_unavailable', 503, retryAfterSeconds, publicMessage, options);
  }
}

export interface SettingProblem {
  setting: string;
  problem: string;
}

/** One or more app settings are missing or invalid; the message lists every one of them. */
export class ConfigError extends KeyrelayError {
  override name = 'ConfigError';

  constructor(readonly problems: readonly SettingProblem[]) {
    super('invalid_configuration', 500, 'The service is not configured correctly.', {
      message: [
        `keyrelay cannot start: ${problems.length} setting${problems.length === 1 ? ' is' : 's are'} missing or invalid.`,
        ...problems.map(({ setting, problem }) => `  - ${setting}: ${problem}`),
        'Set them as app settings (Azure) or in local.settings.json "Values" (local).',
      ].join('\n'),
    });
  }
}

/** A bug or an unexpected state on our side (500); the public message never reveals which. */
export class InternalError extends KeyrelayError {
  override name = 'InternalError';

  constructor(options?: KeyrelayErrorOptions) {
    super('internal_error', 500, 'An unexpected error occurred.', options);
  }
}
