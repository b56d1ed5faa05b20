// The "build" half of the authorization request (Entra v2 authorize endpoint, RFC 6749 §4.1.1 + RFC 7636).
import type { Pkce } from './pkce.js';

/** Delegated scope of SMTP submission: SMTP XOAUTH2 needs the Outlook audience (FACTS.md). */
export const SMTP_SEND_SCOPE = 'https://outlook.office.com/SMTP.Send';
/** Delegated scope of Graph sendMail. */
export const GRAPH_MAIL_SEND_SCOPE = 'https://graph.microsoft.com/Mail.Send';

/** Scopes of the token keyrelay redeems. */
export const CONNECT_SCOPES = ['openid', 'profile', 'offline_access', SMTP_SEND_SCOPE] as const;

/** Consented at sign-in too (one token serves one audience), so Graph sendMail works later without a second prompt. */
export const EXTRA_CONSENT_SCOPES = [GRAPH_MAIL_SEND_SCOPE] as const;
/**
 * What the v2 admin-consent link asks for: the sign-in scopes (openid profile offline_access included,
 * else users still meet a consent prompt for them) and the extra ones.
 */
export const ADMIN_CONSENT_SCOPES: readonly string[] = [...CONNECT_SCOPES, ...EXTRA_CONSENT_SCOPES];

export type AuthorizePrompt = 'select_account' | 'consent' | 'login' | 'none';

export interface AuthorizeRequest {
  clientId: string;
  redirectUri: string;
  scopes: readonly string[];
  extraScopesToConsent?: readonly string[];
  state: string;
  nonce: string;
  pkce: Pkce;
  loginHint?: string;
  prompt?: AuthorizePrompt;
}

export function authorizeEndpoint(authorityHost: string, tenant: string): string {
  return `${authorityHost.replace(/\/+$/, '')}/${encodeURIComponent(tenant)}/oauth2/v2.0/authorize`;
}

export function buildAuthorizeParams(request: AuthorizeRequest): URLSearchParams {
  const params = new URLSearchParams({
    client_id: request.clientId,
    response_type: 'code',
    redirect_uri: request.redirectUri,
    // Query, not fragment or form_post: the callback is a plain GET and the code never reaches a page script.
    response_mode: 'query',
    scope: [...request.scopes, ...(request.extraScopesToConsent ?? [])].join(' '),
    state: request.state,
    nonce: request.nonce,
    code_challenge: request.pkce.challenge,
    // RFC 7636 §4.3: an omitted method means `plain`; always say S256 (FACTS.md).
    code_challenge_method: request.pkce.method,
  });
  if (request.loginHint !== undefined) params.set('login_hint', request.loginHint);
  if (request.prompt !== undefined) params.set('prompt', request.prompt);
  return params;
}

export function buildAuthorizeUrl(authorityHost: string, tenant: string, request: AuthorizeRequest): string {
  return `${authorizeEndpoint(authorityHost, tenant)}?${buildAuthorizeParams(request).toString()}`;
}

export interface AdminConsentRequest {
  authorityHost: string;
  tenant: string;
  clientId: string;
  redirectUri: string;
  scopes: readonly string[];
  state?: string;
}

/** The v2 admin-consent endpoint: a tenant admin grants the scopes for every user at once. */
export function adminConsentUrl(request: AdminConsentRequest): string {
  const params = new URLSearchParams({
    client_id: request.clientId,
    scope: request.scopes.join(' '),
    redirect_uri: request.redirectUri,
  });
  if (request.state !== undefined) params.set('state', request.state);
  return `${request.authorityHost.replace(/\/+$/, '')}/${encodeURIComponent(request.tenant)}/v2.0/adminconsent?${params.toString()}`;
}
