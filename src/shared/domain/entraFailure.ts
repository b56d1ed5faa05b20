// Whose problem an Entra ID refusal is (DESIGN §3: a problem of one customer tenant affects that
// tenant's mailboxes only). Input is the OAuth `error` word, the AADSTS number, the suberror and
// whether the request went to keyrelay's home tenant; never Entra's free text.

export type EntraFailureOwner =
  /** The signed-in person's grant: revoked, expired, blocked by Conditional Access, consent missing. That mailbox reconnects. */
  | 'mailbox'
  /** The customer tenant no longer has (or has disabled) keyrelay's app: its admin consents again. */
  | 'tenant'
  /** keyrelay's own credential or home registration: every mailbox is affected, the admins are alarmed. */
  | 'keyrelay'
  /** A refusal about the client that came from a customer tenant: the home tenant must confirm before anyone is alarmed. */
  | 'client_unconfirmed'
  | 'transient'
  | 'other';

export interface EntraRefusal {
  error: string;
  aadsts?: number;
  suberror?: string;
  status?: number;
  /** The request went to keyrelay's home tenant (client credentials, or a home-tenant mailbox). */
  homeTenant: boolean;
}

/**
 * AADSTS codes about one user's grant (reference-error-codes): consent missing (65001), revoked (50173),
 * MFA or Conditional Access (50076, 50079, 53003, 50158), idle 90 days (700082), sign-in frequency (70043),
 * a code or token that no longer works (70000, 70008, 54005).
 */
const MAILBOX_CODES = new Set([
  65001, 50173, 50076, 50079, 53003, 50158, 700082, 70043, 70000, 70008, 54005, 50034, 50057, 50053, 50055,
]);
/** The app is missing or disabled in that tenant (UnauthorizedClient_DoesNotMatchRequest, ApplicationDisabled). */
const TENANT_CODES = new Set([700016, 7000112]);
const MAILBOX_ERRORS = new Set(['invalid_grant', 'interaction_required', 'consent_required', 'login_required']);

export function whoseEntraRefusal(refusal: EntraRefusal): EntraFailureOwner {
  const { error, aadsts, homeTenant } = refusal;
  if (aadsts !== undefined && MAILBOX_CODES.has(aadsts)) return 'mailbox';
  if ((aadsts !== undefined && TENANT_CODES.has(aadsts)) || error === 'unauthorized_client') {
    // The app gone from its own home tenant is keyrelay's problem, not a customer's.
    return homeTenant ? 'keyrelay' : 'tenant';
  }
  if (error === 'invalid_client') return homeTenant ? 'keyrelay' : 'client_unconfirmed';
  if (MAILBOX_ERRORS.has(error)) return 'mailbox';
  if (
    error === 'temporarily_unavailable' ||
    refusal.status === 429 ||
    (refusal.status !== undefined && refusal.status >= 500)
  )
    return 'transient';
  return 'other';
}
