import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AUTH_COOKIE_TTL_SECONDS,
  authCookieAttributes,
  authCookieName,
  clearedAuthCookieAttributes,
  constantTimeEqual,
  cookieValues,
  openAuthCookie,
  openAuthCookieFromHeader,
  sealAuthCookie,
  type AuthFlow,
} from '#src/shared/domain/connect/authCookie.js';

const START = new Date('2025-03-01T10:00:00Z');
const clockAt = (date: Date) => ({ now: () => date });
const after = (seconds: number) => clockAt(new Date(START.getTime() + seconds * 1000));
const key = randomBytes(32);
const flow: AuthFlow = {
  state: 'Yk9oQ2x2bV9xV3B0c0Z0a3pJc0RtN2dYb2t0Q2ZkS1U',
  codeVerifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
  nonce: 'bm9uY2Utbm9uY2Utbm9uY2Utbm9uY2Utbm9uY2Utbm8',
  returnUrl: 'https://app.actnow.it/settings/mail',
  loginHint: 'mario@contoso.com',
};

function flipByte(value: string, position: number): string {
  const [version, encoded = ''] = value.split('.');
  const bytes = Buffer.from(encoded, 'base64url');
  bytes[position] = (bytes[position] ?? 0) ^ 0x01;
  return `${version}.${bytes.toString('base64url')}`;
}

describe('sealAuthCookie / openAuthCookie', () => {
  it('round-trips the flow and reports its expiry 10 minutes later', () => {
    const sealed = sealAuthCookie(flow, key, clockAt(START), true);
    const opened = openAuthCookie(sealed, key, after(60));
    expect(opened).toEqual({ ok: true, payload: { ...flow, expiresAt: new Date(START.getTime() + 600_000) } });
  });

  it('round-trips a flow without returnUrl and loginHint', () => {
    const minimal = { state: flow.state, codeVerifier: flow.codeVerifier, nonce: flow.nonce };
    const opened = openAuthCookie(sealAuthCookie(minimal, key, clockAt(START), true), key, clockAt(START));
    expect(opened.ok && opened.payload).toEqual({ ...minimal, expiresAt: new Date(START.getTime() + 600_000) });
  });

  it('hides the verifier, nonce and state from whoever reads the cookie', () => {
    const { value } = sealAuthCookie(flow, key, clockAt(START), true);
    const visible = `${value} ${Buffer.from(value.slice(3), 'base64url').toString('latin1')}`;
    for (const secret of [flow.state, flow.codeVerifier, flow.nonce, 'mario@contoso.com'])
      expect(visible).not.toContain(secret);
  });

  it('uses a fresh IV every time, so sealing the same flow twice gives different values', () => {
    expect(sealAuthCookie(flow, key, clockAt(START), true).value).not.toBe(
      sealAuthCookie(flow, key, clockAt(START), true).value,
    );
  });

  it('sets a TTL of at most 15 minutes', () => {
    expect(AUTH_COOKIE_TTL_SECONDS).toBeLessThanOrEqual(15 * 60);
    expect(sealAuthCookie(flow, key, clockAt(START), true).maxAge).toBe(AUTH_COOKIE_TTL_SECONDS);
  });

  it('rejects a missing cookie with cookie_missing', () => {
    expect(openAuthCookie({ name: authCookieName(flow.state, true), value: undefined }, key, clockAt(START))).toEqual({
      ok: false,
      code: 'cookie_missing',
    });
  });

  it('rejects an empty cookie with cookie_missing', () => {
    expect(openAuthCookie({ name: authCookieName(flow.state, true), value: '' }, key, clockAt(START))).toEqual({
      ok: false,
      code: 'cookie_missing',
    });
  });

  it('rejects an expired cookie with cookie_expired', () => {
    const sealed = sealAuthCookie(flow, key, clockAt(START), true);
    expect(openAuthCookie(sealed, key, after(AUTH_COOKIE_TTL_SECONDS))).toEqual({ ok: false, code: 'cookie_expired' });
  });

  it('accepts a cookie one second before it expires', () => {
    const sealed = sealAuthCookie(flow, key, clockAt(START), true);
    expect(openAuthCookie(sealed, key, after(AUTH_COOKIE_TTL_SECONDS - 1)).ok).toBe(true);
  });

  it('rejects a cookie whose lifetime is longer than any we issue (clock moved back) with cookie_invalid', () => {
    const sealed = sealAuthCookie(flow, key, after(3600), true);
    expect(openAuthCookie(sealed, key, clockAt(START))).toEqual({ ok: false, code: 'cookie_invalid' });
  });

  it.each([
    ['the IV', 0],
    ['the ciphertext', 20],
    ['the tag', -1],
  ])('rejects a cookie with one flipped byte in %s with cookie_invalid', (_part, position) => {
    const sealed = sealAuthCookie(flow, key, clockAt(START), true);
    const length = Buffer.from(sealed.value.slice(3), 'base64url').length;
    const tampered = flipByte(sealed.value, position < 0 ? length + position : position);
    expect(openAuthCookie({ name: sealed.name, value: tampered }, key, clockAt(START))).toEqual({
      ok: false,
      code: 'cookie_invalid',
    });
  });

  it('rejects a cookie sealed with another key with cookie_invalid', () => {
    const sealed = sealAuthCookie(flow, randomBytes(32), clockAt(START), true);
    expect(openAuthCookie(sealed, key, clockAt(START))).toEqual({ ok: false, code: 'cookie_invalid' });
  });

  it("rejects a cookie presented under another flow's name with cookie_invalid", () => {
    const sealed = sealAuthCookie(flow, key, clockAt(START), true);
    const otherName = authCookieName('another-state', true);
    expect(openAuthCookie({ name: otherName, value: sealed.value }, key, clockAt(START))).toEqual({
      ok: false,
      code: 'cookie_invalid',
    });
  });

  it('rejects a cookie moved from the non-__Host- name with cookie_invalid', () => {
    const sealed = sealAuthCookie(flow, key, clockAt(START), false);
    expect(
      openAuthCookie({ name: authCookieName(flow.state, true), value: sealed.value }, key, clockAt(START)),
    ).toEqual({ ok: false, code: 'cookie_invalid' });
  });

  it('rejects an oversized cookie with cookie_invalid', () => {
    const name = authCookieName(flow.state, true);
    expect(openAuthCookie({ name, value: `v1.${'A'.repeat(5000)}` }, key, clockAt(START))).toEqual({
      ok: false,
      code: 'cookie_invalid',
    });
  });

  it.each([
    ['an unknown version', 'v2.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['no version', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['non-base64url characters', 'v1.<script>alert(1)</script>'],
    ['a body shorter than IV and tag', 'v1.AAAAAAAA'],
    ['random bytes', `v1.${randomBytes(120).toString('base64url')}`],
  ])('rejects %s with cookie_invalid', (_case, value) => {
    expect(openAuthCookie({ name: authCookieName(flow.state, true), value }, key, clockAt(START))).toEqual({
      ok: false,
      code: 'cookie_invalid',
    });
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => sealAuthCookie(flow, randomBytes(16), clockAt(START), true)).toThrow(RangeError);
  });

  it('refuses to seal a flow too large for a browser cookie', () => {
    expect(() =>
      sealAuthCookie({ ...flow, returnUrl: `https://app.actnow.it/${'a'.repeat(4000)}` }, key, clockAt(START), true),
    ).toThrow(RangeError);
  });

  it('fits the largest valid flow (2048-character return URL, 256-character login hint) in a cookie', () => {
    const largest = {
      ...flow,
      returnUrl: `https://app.actnow.it/${'a'.repeat(2020)}`,
      loginHint: `${'m'.repeat(64)}@${'d'.repeat(179)}.contoso.com`,
    };
    const sealed = sealAuthCookie(largest, key, clockAt(START), true);
    expect(sealed.name.length + sealed.value.length).toBeLessThanOrEqual(4000);
  });
});

describe('the key version in the auth cookie value', () => {
  const keyVersion = 'f'.repeat(32);

  it('puts the key version before the sealed value, which then opens on its own', () => {
    const sealed = sealAuthCookie(flow, key, clockAt(START), true, keyVersion);
    expect(sealed.value.startsWith(`${keyVersion}.v1.`)).toBe(true);
    const opened = openAuthCookie(
      { name: sealed.name, value: sealed.value.slice(keyVersion.length + 1) },
      key,
      clockAt(START),
    );
    expect(opened).toMatchObject({ ok: true, payload: { state: flow.state } });
  });

  it('counts the key-version prefix in the cookie size limit', () => {
    const nearLimit = { ...flow, returnUrl: `https://app.actnow.it/${'a'.repeat(2670)}` };
    expect(() => sealAuthCookie(nearLimit, key, clockAt(START), true)).not.toThrow();
    expect(() => sealAuthCookie(nearLimit, key, clockAt(START), true, keyVersion)).toThrow(RangeError);
  });

  it('fits the largest valid flow with its key version in a cookie', () => {
    const largest = {
      ...flow,
      returnUrl: `https://app.actnow.it/${'a'.repeat(2026)}`,
      loginHint: `${'m'.repeat(64)}@${'d'.repeat(179)}.contoso.com`,
    };
    const sealed = sealAuthCookie(largest, key, clockAt(START), true, keyVersion);
    expect(sealed.name.length + sealed.value.length).toBeLessThanOrEqual(4000);
  });
});

describe('auth cookie naming and attributes', () => {
  it('names the cookie after the first 16 hex characters of sha256(state), with __Host- over https', () => {
    expect(authCookieName('abc', true)).toBe('__Host-keyrelay-auth-ba7816bf8f01cfea');
    expect(authCookieName('abc', false)).toBe('keyrelay-auth-ba7816bf8f01cfea');
  });

  it('gives two concurrent flows two different cookies', () => {
    expect(authCookieName('state-of-tab-1', true)).not.toBe(authCookieName('state-of-tab-2', true));
  });

  it('marks the cookie HttpOnly, Secure over https, SameSite=Lax, Path=/, Max-Age 600', () => {
    expect(authCookieAttributes(true)).toEqual({
      httpOnly: true,
      secure: true,
      sameSite: 'Lax',
      path: '/',
      maxAge: 600,
    });
    expect(authCookieAttributes(false).secure).toBe(false);
  });

  it('clears the cookie with Max-Age=0 and the same attributes', () => {
    expect(clearedAuthCookieAttributes(true)).toEqual({
      httpOnly: true,
      secure: true,
      sameSite: 'Lax',
      path: '/',
      maxAge: 0,
    });
  });
});

describe('reading the cookie from the Cookie header', () => {
  it('finds the flow cookie among others', () => {
    const sealed = sealAuthCookie(flow, key, clockAt(START), true);
    const header = `theme=dark; ${sealed.name}=${sealed.value}; ${authCookieName('other', true)}=x`;
    const opened = openAuthCookieFromHeader(header, flow.state, true, key, clockAt(START));
    expect(opened.ok && opened.payload.codeVerifier).toBe(flow.codeVerifier);
  });

  it('reports cookie_missing when the header lacks the flow cookie', () => {
    expect(openAuthCookieFromHeader('theme=dark', flow.state, true, key, clockAt(START))).toEqual({
      ok: false,
      code: 'cookie_missing',
    });
  });

  it('reports cookie_missing when there is no Cookie header', () => {
    expect(openAuthCookieFromHeader(null, flow.state, true, key, clockAt(START))).toEqual({
      ok: false,
      code: 'cookie_missing',
    });
  });

  it('reports cookie_invalid when the flow cookie appears twice (a planted cookie)', () => {
    const sealed = sealAuthCookie(flow, key, clockAt(START), true);
    const header = `${sealed.name}=${sealed.value}; ${sealed.name}=${sealed.value}`;
    expect(openAuthCookieFromHeader(header, flow.state, true, key, clockAt(START))).toEqual({
      ok: false,
      code: 'cookie_invalid',
    });
  });

  it('cookieValues returns every value of a name and ignores malformed pairs', () => {
    expect(cookieValues('a=1; junk; b=2; a = 3', 'a')).toEqual(['1', '3']);
  });
});

describe('constantTimeEqual', () => {
  it('is true for equal strings', () => expect(constantTimeEqual(flow.state, `${flow.state}`)).toBe(true));
  it('is false for different strings of equal length', () => expect(constantTimeEqual('aaaa', 'aaab')).toBe(false));
  it('is false for strings of different length', () => expect(constantTimeEqual('aaaa', 'aaaaa')).toBe(false));
});
