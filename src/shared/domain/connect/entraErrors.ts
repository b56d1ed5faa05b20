// Turns a failed sign-in into words an Italian admin can act on. Input is only the upstream `error`
// word and the numeric AADSTS code: upstream free text (error_description) is attacker-controllable
// and never shown.
import type { AuthCookieErrorCode } from './authCookie.js';
import type { CallbackQueryRejection } from './callbackQuery.js';
import type { IdTokenErrorCode } from './idTokenClaims.js';
import {
  AADSTS_MESSAGES,
  ACTION_LABELS,
  CONNECT_FAILURE_MESSAGES,
  ENTRA_ERROR_MESSAGES,
  UNKNOWN_SIGN_IN_ERROR,
  USER_CANCELLED,
  type ConnectFailure,
  type EntraError,
  type MessageText,
} from './messages.js';
import type { Locale } from '#src/shared/presentation/locale.js';

export interface SignInErrorExplanation {
  title: string;
  explanation: string;
  nextSteps: string[];
  action?: { label: string; href: string };
}

export interface ExplanationLinks {
  adminConsentUrl: string;
  retryUrl?: string;
}

export interface UpstreamSignInError {
  error: string;
  aadsts?: number;
  errorSubcode?: string;
}

function isEntraError(error: string): error is EntraError {
  return Object.hasOwn(ENTRA_ERROR_MESSAGES, error);
}

function withAction(text: MessageText, locale: Locale, links: ExplanationLinks): SignInErrorExplanation {
  const href =
    text.action === 'adminConsent' ? links.adminConsentUrl : text.action === 'retry' ? links.retryUrl : undefined;
  const explanation = { title: text.title, explanation: text.explanation, nextSteps: [...text.nextSteps] };
  return text.action === undefined || href === undefined
    ? explanation
    : { ...explanation, action: { label: ACTION_LABELS[text.action][locale], href } };
}

/** The most specific text wins: a known AADSTS code, then a cancelled sign-in, then the OAuth error word. */
export function explainSignInError(
  signInError: UpstreamSignInError,
  locale: Locale,
  links: ExplanationLinks,
): SignInErrorExplanation {
  const byCode = signInError.aadsts === undefined ? undefined : AADSTS_MESSAGES[signInError.aadsts];
  if (byCode !== undefined) return withAction(byCode[locale], locale, links);
  if (signInError.error === 'access_denied' && signInError.errorSubcode === 'cancel') {
    return withAction(USER_CANCELLED[locale], locale, links);
  }
  const byError = isEntraError(signInError.error) ? ENTRA_ERROR_MESSAGES[signInError.error] : UNKNOWN_SIGN_IN_ERROR;
  return withAction(byError[locale], locale, links);
}

export type ConnectFailureCode =
  | AuthCookieErrorCode
  | CallbackQueryRejection
  | IdTokenErrorCode
  | 'state_mismatch'
  | 'tenant_not_allowed'
  | 'mailbox_taken'
  | 'account_mismatch'
  | 'flow_already_used'
  | 'tenant_mailbox_limit';

/** keyrelay's own refusal codes, grouped by what the admin can do next. */
export const CONNECT_FAILURE_STATUS: Readonly<Partial<Record<ConnectFailure, number>>> = {
  tenant_not_allowed: 403,
  mailbox_taken: 409,
  flow_already_used: 409,
  tenant_mailbox_limit: 403,
};

export function connectFailureFor(code: ConnectFailureCode): ConnectFailure {
  switch (code) {
    case 'cookie_missing':
    case 'cookie_expired':
      return 'session_expired';
    case 'id_token_tenant_not_allowed':
    case 'tenant_not_allowed':
      return 'tenant_not_allowed';
    case 'mailbox_taken':
    case 'account_mismatch':
    case 'flow_already_used':
    case 'tenant_mailbox_limit':
      return code;
    default:
      return 'invalid_callback';
  }
}

export function explainConnectFailure(
  code: ConnectFailureCode,
  locale: Locale,
  links: ExplanationLinks,
): SignInErrorExplanation {
  return withAction(CONNECT_FAILURE_MESSAGES[connectFailureFor(code)][locale], locale, links);
}
