// The error model: each class says whose fault it is and carries a stable machine `code` (DESIGN §3), the
// HTTP `status` that code maps to and a `publicMessage` safe to show anyone. `message` and `cause` are for
// logs only and never leave the process (responses are made in src/shared/http/errorResult.ts).

/** The stable codes: the `error` field of every JSON error answer. Never rename one; clients branch on them. */
export const INVALID_REQUEST = 'invalid_request';
export const UNAUTHORIZED = 'unauthorized';
export const TENANT_NOT_ALLOWED = 'tenant_not_allowed';
export const MAILBOX_NOT_CONNECTED = 'mailbox_not_connected';
export const MAILBOX_TAKEN = 'mailbox_taken';
export const RECONNECT_REQUIRED = 'reconnect_required';
export const TOO_MANY_REQUESTS = 'too_many_requests';
export const UPSTREAM_UNAVAILABLE = 'upstream_unavailable';
export const INVALID_CONFIGURATION = 'invalid_configuration';
export const INTERNAL_ERROR = 'internal_error';

/** The HTTP status of each code: the only place a status is chosen (DESIGN §3). */
export const STATUS_OF_CODE = {
  [INVALID_REQUEST]: 400,
  [UNAUTHORIZED]: 401,
  [TENANT_NOT_ALLOWED]: 403,
  [MAILBOX_NOT_CONNECTED]: 404,
  [MAILBOX_TAKEN]: 409,
  [RECONNECT_REQUIRED]: 409,
  [TOO_MANY_REQUESTS]: 429,
  [UPSTREAM_UNAVAILABLE]: 503,
  [INVALID_CONFIGURATION]: 500,
  [INTERNAL_ERROR]: 500,
} as const satisfies Readonly<Record<string, number>>;

export type KeyrelayErrorCode = keyof typeof STATUS_OF_CODE;

export const KEYRELAY_ERROR_CODES = Object.keys(STATUS_OF_CODE) as readonly KeyrelayErrorCode[];

export interface KeyrelayErrorOptions {
  /** The underlying failure, kept for logs; never sent to clients. */
  cause?: unknown;
  /** Log text when it should say more than the public message (never secrets). */
  message?: string;
}

export class KeyrelayError extends Error {
  override name = 'KeyrelayError';

  readonly status: number;

  constructor(
    readonly code: KeyrelayErrorCode,
    readonly publicMessage: string,
    options: KeyrelayErrorOptions = {},
  ) {
    super(options.message ?? publicMessage, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = STATUS_OF_CODE[code];
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
    super(INVALID_REQUEST, publicMessage, options);
  }
}

/** Missing or wrong credentials on a protected route (401). */
export class UnauthorizedError extends KeyrelayError {
  override name = 'UnauthorizedError';

  constructor(publicMessage = 'Missing or invalid credentials.', options?: KeyrelayErrorOptions) {
    super(UNAUTHORIZED, publicMessage, options);
  }
}

/** A token was asked for a mailbox that never connected (404). */
export class MailboxNotConnectedError extends KeyrelayError {
  override name = 'MailboxNotConnectedError';

  constructor(options?: KeyrelayErrorOptions) {
    super(MAILBOX_NOT_CONNECTED, 'This mailbox is not connected to keyrelay. Connect it first.', options);
  }
}

/** The address is bound to another identity (tid+oid) until that mailbox is disconnected (409). */
export class MailboxTakenError extends KeyrelayError {
  override name = 'MailboxTakenError';

  constructor(options?: KeyrelayErrorOptions) {
    super(
      MAILBOX_TAKEN,
      'This mailbox address is already connected by another account. Disconnect that mailbox first.',
      options,
    );
  }
}

/** The mailbox belongs to a tenant that is not (or no longer) in ALLOWED_TENANTS (403). */
export class TenantNotAllowedError extends KeyrelayError {
  override name = 'TenantNotAllowedError';

  constructor(options?: KeyrelayErrorOptions) {
    super(TENANT_NOT_ALLOWED, 'The organisation (tenant) of this mailbox is not allowed to use keyrelay.', options);
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
      RECONNECT_REQUIRED,
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
    code: typeof TOO_MANY_REQUESTS | typeof UPSTREAM_UNAVAILABLE,
    readonly retryAfterSeconds: number,
    publicMessage: string,
    options?: KeyrelayErrorOptions,
  ) {
    super(code, publicMessage, options);
  }
}

/** An abuse limit was reached (DESIGN §3): the caller may try again after `retryAfterSeconds` (429). */
export class TooManyRequestsError extends RetryLaterError {
  override name = 'TooManyRequestsError';

  constructor(retryAfterSeconds: number, publicMessage = 'Too many attempts. Try again later.') {
    super(TOO_MANY_REQUESTS, retryAfterSeconds, publicMessage);
  }
}

export const UPSTREAM_UNAVAILABLE_MESSAGE = 'A Microsoft service keyrelay depends on is unavailable. Retry later.';

/** Entra ID, Graph, Key Vault or Storage did not answer usefully; the caller may retry later (503). */
export class UpstreamUnavailableError extends RetryLaterError {
  override name = 'UpstreamUnavailableError';

  constructor(retryAfterSeconds: number, publicMessage = UPSTREAM_UNAVAILABLE_MESSAGE, options?: KeyrelayErrorOptions) {
    super(UPSTREAM_UNAVAILABLE, retryAfterSeconds, publicMessage, options);
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
    super(INVALID_CONFIGURATION, 'The service is not configured correctly.', {
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
    super(INTERNAL_ERROR, 'An unexpected error occurred.', options);
  }
}
