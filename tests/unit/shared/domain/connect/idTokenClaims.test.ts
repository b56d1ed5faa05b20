import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  mailboxCacheSecretName,
  validateIdTokenClaims,
  type ExpectedIdToken,
} from '#src/shared/domain/connect/idTokenClaims.js';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const OID = '00000000-0000-0000-66f3-3332eca7ea81';
const CLIENT_ID = '6731de76-14a6-49ae-97bc-6eba6914391e';
const NOW = new Date('2025-03-01T10:00:00Z');
const NOW_SECONDS = NOW.getTime() / 1000;

const expected: ExpectedIdToken = {
  clientId: CLIENT_ID,
  nonce: 'bm9uY2Utbm9uY2Utbm9uY2Utbm9uY2Utbm9uY2Utbm8',
  authorityHost: 'https://login.microsoftonline.com/',
  allowedTenant: 'organizations',
  now: NOW,
};

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: `https://login.microsoftonline.com/${TID}/v2.0`,
    aud: CLIENT_ID,
    tid: TID,
    oid: OID,
    nonce: expected.nonce,
    iat: NOW_SECONDS - 10,
    nbf: NOW_SECONDS - 10,
    exp: NOW_SECONDS + 3600,
    preferred_username: 'Mario.Rossi@Contoso.com',
    name: 'Mario Rossi',
    ...overrides,
  };
}

function failureOf(overrides: Record<string, unknown>, expectation: Partial<ExpectedIdToken> = {}): unknown {
  const result = validateIdTokenClaims(claims(overrides), { ...expected, ...expectation });
  return result.ok ? undefined : { code: result.code, claim: result.claim };
}

describe('validateIdTokenClaims accepts', () => {
  it('a valid token and returns tid, oid, lowercased upn and name', () => {
    expect(validateIdTokenClaims(claims(), expected)).toEqual({
      ok: true,
      identity: { tid: TID, oid: OID, upn: 'mario.rossi@contoso.com', name: 'Mario Rossi' },
    });
  });

  it('a token without name', () => {
    const result = validateIdTokenClaims(claims({ name: undefined }), expected);
    expect(result.ok && result.identity).toEqual({ tid: TID, oid: OID, upn: 'mario.rossi@contoso.com' });
  });

  it('a token expired less than the clock skew ago', () => {
    expect(validateIdTokenClaims(claims({ exp: NOW_SECONDS - 299 }), expected).ok).toBe(true);
  });

  it('an audience array that holds only the client id', () => {
    expect(validateIdTokenClaims(claims({ aud: [CLIENT_ID] }), expected).ok).toBe(true);
  });

  it('a token of the configured tenant GUID', () => {
    expect(validateIdTokenClaims(claims(), { ...expected, allowedTenant: TID.toUpperCase() }).ok).toBe(true);
  });

  it('a token of any tenant when the tenant is common', () => {
    expect(validateIdTokenClaims(claims(), { ...expected, allowedTenant: 'common' }).ok).toBe(true);
  });

  it('in the China cloud, the issuer host login.partner.microsoftonline.cn for sign-ins at login.chinacloudapi.cn', () => {
    const china = { ...expected, authorityHost: 'https://login.chinacloudapi.cn' };
    expect(
      validateIdTokenClaims(claims({ iss: `https://login.partner.microsoftonline.cn/${TID}/v2.0` }), china).ok,
    ).toBe(true);
    expect(validateIdTokenClaims(claims({ iss: `https://login.microsoftonline.com/${TID}/v2.0` }), china).ok).toBe(
      false,
    );
  });
});

describe('validateIdTokenClaims rejects', () => {
  it('a missing tid', () =>
    expect(failureOf({ tid: undefined })).toEqual({ code: 'id_token_missing_claim', claim: 'tid' }));
  it('a tid that is not a GUID', () =>
    expect(failureOf({ tid: 'contoso.com', iss: 'https://login.microsoftonline.com/contoso.com/v2.0' })).toEqual({
      code: 'id_token_invalid_tid',
      claim: 'tid',
    }));
  it('a tid that is not a string', () =>
    expect(failureOf({ tid: 42 })).toEqual({ code: 'id_token_invalid_tid', claim: 'tid' }));
  it('a missing iss', () =>
    expect(failureOf({ iss: undefined })).toEqual({ code: 'id_token_missing_claim', claim: 'iss' }));
  it('an iss of another tenant than tid', () => {
    expect(failureOf({ iss: 'https://login.microsoftonline.com/f8cdef31-a31e-4b4a-93e4-5f571e91255a/v2.0' })).toEqual({
      code: 'id_token_issuer_mismatch',
      claim: 'iss',
    });
  });
  it('an iss on another authority host', () => {
    expect(failureOf({ iss: `https://login.evil.example/${TID}/v2.0` })).toEqual({
      code: 'id_token_issuer_mismatch',
      claim: 'iss',
    });
  });
  it('a v1 iss', () =>
    expect(failureOf({ iss: `https://sts.windows.net/${TID}/` })).toEqual({
      code: 'id_token_issuer_mismatch',
      claim: 'iss',
    }));
  it('a templated {tenantid} iss', () => {
    expect(failureOf({ iss: 'https://login.microsoftonline.com/{tenantid}/v2.0' })).toEqual({
      code: 'id_token_issuer_mismatch',
      claim: 'iss',
    });
  });
  it('a missing aud', () =>
    expect(failureOf({ aud: undefined })).toEqual({ code: 'id_token_missing_claim', claim: 'aud' }));
  it('another aud', () =>
    expect(failureOf({ aud: 'f8cdef31-a31e-4b4a-93e4-5f571e91255a' })).toEqual({
      code: 'id_token_audience_mismatch',
      claim: 'aud',
    }));
  it('several audiences without azp naming the client', () => {
    expect(failureOf({ aud: [CLIENT_ID, 'other'] })).toEqual({ code: 'id_token_audience_mismatch', claim: 'aud' });
  });
  it('a missing nonce', () =>
    expect(failureOf({ nonce: undefined })).toEqual({ code: 'id_token_missing_claim', claim: 'nonce' }));
  it('a wrong nonce', () =>
    expect(failureOf({ nonce: 'another-nonce' })).toEqual({ code: 'id_token_nonce_mismatch', claim: 'nonce' }));
  it('a missing exp', () =>
    expect(failureOf({ exp: undefined })).toEqual({ code: 'id_token_missing_claim', claim: 'exp' }));
  it('a token expired beyond the clock skew', () =>
    expect(failureOf({ exp: NOW_SECONDS - 300 })).toEqual({ code: 'id_token_expired', claim: 'exp' }));
  it('a token not yet valid beyond the clock skew', () =>
    expect(failureOf({ nbf: NOW_SECONDS + 301 })).toEqual({ code: 'id_token_not_yet_valid', claim: 'nbf' }));
  it('a tenant other than the configured tenant GUID', () => {
    expect(failureOf({}, { allowedTenant: 'f8cdef31-a31e-4b4a-93e4-5f571e91255a' })).toEqual({
      code: 'id_token_tenant_not_allowed',
      claim: 'tid',
    });
  });
  it('a personal Microsoft account under organizations', () => {
    const consumer = '9188040d-6c67-4c5b-b112-36a304b66dad';
    expect(failureOf({ tid: consumer, iss: `https://login.microsoftonline.com/${consumer}/v2.0` })).toEqual({
      code: 'id_token_tenant_not_allowed',
      claim: 'tid',
    });
  });
  it('a missing oid', () =>
    expect(failureOf({ oid: undefined })).toEqual({ code: 'id_token_missing_claim', claim: 'oid' }));
  it('an oid that is not a GUID', () =>
    expect(failureOf({ oid: 'x' })).toEqual({ code: 'id_token_invalid_oid', claim: 'oid' }));
  it('a missing preferred_username', () =>
    expect(failureOf({ preferred_username: undefined })).toEqual({
      code: 'id_token_missing_claim',
      claim: 'preferred_username',
    }));
});

describe('mailboxCacheSecretName', () => {
  it('is mbx- plus the hex sha256 of tid.oid', () => {
    const digest = createHash('sha256').update(`${TID}.${OID}`).digest('hex');
    expect(mailboxCacheSecretName(TID, OID)).toBe(`mbx-${digest}`);
  });

  it('is a valid Key Vault secret name without personal data', () => {
    const name = mailboxCacheSecretName(TID, OID);
    expect(name).toMatch(/^[0-9A-Za-z-]{1,127}$/);
    expect(name).not.toContain(TID);
  });

  it('does not depend on the GUID letter case', () => {
    expect(mailboxCacheSecretName(TID.toUpperCase(), OID.toUpperCase())).toBe(mailboxCacheSecretName(TID, OID));
  });
});
