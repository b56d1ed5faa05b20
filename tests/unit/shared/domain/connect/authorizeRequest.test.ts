import { describe, expect, it } from 'vitest';
import {
  CONNECT_SCOPES,
  EXTRA_CONSENT_SCOPES,
  adminConsentUrl,
  authorizeEndpoint,
  buildAuthorizeParams,
  buildAuthorizeUrl,
  type AuthorizeRequest,
} from '#src/shared/domain/connect/authorizeRequest.js';
import { pkceChallenge } from '#src/shared/domain/connect/pkce.js';

const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const request: AuthorizeRequest = {
  clientId: '6731de76-14a6-49ae-97bc-6eba6914391e',
  redirectUri: 'https://keyrelay.example/api/oauth/callback',
  scopes: CONNECT_SCOPES,
  extraScopesToConsent: EXTRA_CONSENT_SCOPES,
  state: 'state-value',
  nonce: 'nonce-value',
  pkce: { verifier, challenge: pkceChallenge(verifier), method: 'S256' },
};

describe('buildAuthorizeParams', () => {
  it('asks Entra v2 for a code in the query with PKCE S256, state and nonce', () => {
    expect(Object.fromEntries(buildAuthorizeParams(request))).toEqual({
      client_id: request.clientId,
      response_type: 'code',
      redirect_uri: request.redirectUri,
      response_mode: 'query',
      scope: 'openid profile offline_access https://outlook.office.com/SMTP.Send https://graph.microsoft.com/Mail.Send',
      state: 'state-value',
      nonce: 'nonce-value',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
  });

  it('never sends the verifier', () => {
    expect(buildAuthorizeParams(request).toString()).not.toContain(verifier);
  });

  it('adds login_hint and prompt when given', () => {
    const params = buildAuthorizeParams({ ...request, loginHint: 'mario@contoso.com', prompt: 'select_account' });
    expect([params.get('login_hint'), params.get('prompt')]).toEqual(['mario@contoso.com', 'select_account']);
  });

  it('leaves login_hint and prompt out when not given', () => {
    const params = buildAuthorizeParams(request);
    expect([params.has('login_hint'), params.has('prompt')]).toEqual([false, false]);
  });
});

describe('authorize endpoint and URL', () => {
  it('is {authority}/{tenant}/oauth2/v2.0/authorize, ignoring a trailing slash on the host', () => {
    expect(authorizeEndpoint('https://login.microsoftonline.com/', 'organizations')).toBe(
      'https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize',
    );
  });

  it('works with a local emulator host with a port', () => {
    const url = new URL(buildAuthorizeUrl('https://127.0.0.1:8443', 'organizations', request));
    expect([url.origin, url.pathname, url.searchParams.get('code_challenge_method')]).toEqual([
      'https://127.0.0.1:8443',
      '/organizations/oauth2/v2.0/authorize',
      'S256',
    ]);
  });
});

describe('scope constants', () => {
  it('request SMTP.Send for the token and Graph Mail.Send for consent only', () => {
    expect(CONNECT_SCOPES).toEqual(['openid', 'profile', 'offline_access', 'https://outlook.office.com/SMTP.Send']);
    expect(EXTRA_CONSENT_SCOPES).toEqual(['https://graph.microsoft.com/Mail.Send']);
  });
});

describe('adminConsentUrl', () => {
  it('points at the v2 admin consent endpoint with client, scopes and redirect URI', () => {
    const url = new URL(
      adminConsentUrl({
        authorityHost: 'https://login.microsoftonline.com',
        tenant: 'organizations',
        clientId: request.clientId,
        redirectUri: request.redirectUri,
        scopes: [...CONNECT_SCOPES, ...EXTRA_CONSENT_SCOPES],
      }),
    );
    expect(`${url.origin}${url.pathname}`).toBe('https://login.microsoftonline.com/organizations/v2.0/adminconsent');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: request.clientId,
      scope: 'openid profile offline_access https://outlook.office.com/SMTP.Send https://graph.microsoft.com/Mail.Send',
      redirect_uri: request.redirectUri,
    });
  });

  it('carries a state when given', () => {
    const url = new URL(
      adminConsentUrl({
        authorityHost: 'https://login.microsoftonline.com',
        tenant: 'contoso.onmicrosoft.com',
        clientId: 'c',
        redirectUri: 'https://r/cb',
        scopes: ['openid'],
        state: 's1',
      }),
    );
    expect([url.pathname, url.searchParams.get('state')]).toEqual(['/contoso.onmicrosoft.com/v2.0/adminconsent', 's1']);
  });
});
