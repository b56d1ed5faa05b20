// An in-memory stand-in for Entra's side of the connect flow, for the service's unit tests: it reads
// the authorize URL the service built, issues a one-time code bound to the PKCE challenge and nonce, and
// redeems it like the token endpoint (verifier checked, single use). Claims can be tampered with to
// play a misbehaving identity provider. The integration tests use the real MSAL against the emulator.
import { createHash, randomBytes } from 'node:crypto';
import { errors } from 'jose';
import { OAuthClientError, type RedeemedCode } from '#src/shared/ports/index.js';
import type { ConnectOAuthClient } from '#src/shared/services/connect/connectService.js';

export const AUTHORITY_HOST = 'https://login.microsoftonline.com';
export const CLIENT_ID = '3e9b1f2a-7c4d-4b8e-9f0a-1b2c3d4e5f60';
export const TENANT_ID = '6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
export const USER = { oid: '1a2b3c4d-0001-4a5b-8c6d-7e8f9a0b1c2d', upn: 'Mario.Rossi@contoso.onmicrosoft.com' };

interface IssuedCode {
  challenge: string;
  nonce: string;
  redeemed: boolean;
}

export class FakeSignIn implements ConnectOAuthClient {
  readonly redeemed: string[] = [];
  redeemCalls = 0;
  /** Merged into the id token claims of the next redemptions. */
  claimOverrides: Record<string, unknown> = {};
  homeAccountIdOverride: string | undefined;
  signatureValid = true;
  /** Thrown by signature checks instead of answering: discovery or the JWKS cannot be fetched. */
  signingKeysFailure: Error | undefined;
  /** Thrown by the next redemption instead of answering. */
  nextRedeemFailure: Error | undefined;
  private readonly codes = new Map<string, IssuedCode>();
  private readonly idTokens = new Map<string, Record<string, unknown>>();
  /** Every secret-bearing value this fake handed out (codes, tokens), for leak checks. */
  readonly issuedSecrets: string[] = [];

  constructor(private readonly clock: { now(): Date }) {}

  /** The user signs in on the authorize page: answers the callback query Entra would send. */
  signIn(authorizeUrl: string): { code: string; state: string; query: string } {
    const params = new URL(authorizeUrl).searchParams;
    const state = params.get('state') ?? '';
    const code = `1.A${randomBytes(32).toString('base64url')}`;
    this.codes.set(code, {
      challenge: params.get('code_challenge') ?? '',
      nonce: params.get('nonce') ?? '',
      redeemed: false,
    });
    this.issuedSecrets.push(code);
    return {
      code,
      state,
      query: `?${new URLSearchParams({ code, state, session_state: 'b1c7', iss: `${AUTHORITY_HOST}/${TENANT_ID}/v2.0` }).toString()}`,
    };
  }

  redeemCode(request: Parameters<ConnectOAuthClient['redeemCode']>[0]): Promise<RedeemedCode> {
    this.redeemCalls++;
    if (this.nextRedeemFailure) {
      const failure = this.nextRedeemFailure;
      this.nextRedeemFailure = undefined;
      return Promise.reject(failure);
    }
    const issued = this.codes.get(request.code);
    const challenge = createHash('sha256').update(request.codeVerifier, 'ascii').digest('base64url');
    if (!issued || issued.redeemed || issued.challenge !== challenge) {
      if (issued) issued.redeemed = true;
      return Promise.reject(new OAuthClientError({ kind: 'reconnect_required', errorCode: 'AADSTS54005' }));
    }
    issued.redeemed = true;
    this.redeemed.push(request.code);
    const iat = Math.floor(this.clock.now().getTime() / 1000);
    const claims = {
      ver: '2.0',
      iss: `${AUTHORITY_HOST}/${TENANT_ID}/v2.0`,
      aud: CLIENT_ID,
      tid: TENANT_ID,
      oid: USER.oid,
      preferred_username: USER.upn,
      name: 'Mario Rossi',
      nonce: issued.nonce,
      iat,
      nbf: iat,
      exp: iat + 3600,
      ...this.claimOverrides,
    };
    const idToken = `id.${randomBytes(24).toString('base64url')}`;
    const accessToken = `at.${randomBytes(24).toString('base64url')}`;
    const refreshToken = `rt.${randomBytes(24).toString('base64url')}`;
    this.idTokens.set(idToken, claims);
    this.issuedSecrets.push(idToken, accessToken, refreshToken);
    return Promise.resolve({
      idToken,
      accessToken,
      homeAccountId: this.homeAccountIdOverride ?? `${USER.oid}.${TENANT_ID}`,
      expiresOn: new Date((iat + 3600) * 1000),
      serializedCache: JSON.stringify({
        RefreshToken: { entry: { secret: refreshToken } },
        AccessToken: { entry: { secret: accessToken } },
      }),
    });
  }

  verifyIdTokenSignature(idToken: string): Promise<Record<string, unknown>> {
    if (this.signingKeysFailure) return Promise.reject(this.signingKeysFailure);
    const claims = this.idTokens.get(idToken);
    // The errors jose's jwtVerify throws, as the real adapter lets them through.
    if (!claims || !this.signatureValid) return Promise.reject(new errors.JWSSignatureVerificationFailed());
    return Promise.resolve(claims);
  }
}
