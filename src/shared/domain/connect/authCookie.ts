// The short-lived cookie that binds one sign-in (state, PKCE verifier, nonce, return URL) to the browser
// that started it (RFC 9700 §4.7.1, §2.1.1). It is encrypted and authenticated with AES-256-GCM, so the
// browser can neither read the verifier nor alter any field. One cookie per flow, named after a digest of
// its state, lets two tabs connect at the same time without overwriting each other.
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';

/** What /api/connect puts in the cookie. */
export interface AuthFlow {
  state: string;
  codeVerifier: string;
  nonce: string;
  returnUrl?: string;
  loginHint?: string;
  /** The product's reference for this connection (productRef.ts). */
  ref?: string;
}

/** What the callback gets back from a valid cookie. */
export interface AuthCookiePayload extends AuthFlow {
  expiresAt: Date;
}

export type AuthCookieErrorCode = 'cookie_missing' | 'cookie_invalid' | 'cookie_expired';

export type OpenedAuthCookie = { ok: true; payload: AuthCookiePayload } | { ok: false; code: AuthCookieErrorCode };

/** Structurally the `Cookie` of @azure/functions' HttpResponseInit, without name and value. */
export interface AuthCookieAttributes {
  httpOnly: true;
  secure: boolean;
  sameSite: 'Lax';
  path: '/';
  maxAge: number;
}

export interface SealedAuthCookie extends AuthCookieAttributes {
  name: string;
  value: string;
}

export const AUTH_COOKIE_TTL_SECONDS = 600;
export const AUTH_COOKIE_KEY_BYTES = 32;
// Browsers drop cookies above ~4096 bytes (name + value); refuse to build or read anything larger.
export const MAX_AUTH_COOKIE_LENGTH = 4000;

const FORMAT_VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const NAME_DIGEST_HEX_CHARS = 16;

/** `__Host-` (Secure, Path=/, no Domain) stops sibling subdomains from planting or shadowing the cookie. */
export function authCookieName(state: string, secure: boolean): string {
  const digest = createHash('sha256').update(state, 'utf8').digest('hex').slice(0, NAME_DIGEST_HEX_CHARS);
  return `${secure ? '__Host-' : ''}keyrelay-auth-${digest}`;
}

// SameSite=Lax: the callback arrives as a top-level GET navigation from Entra, which Lax still sends.
export function authCookieAttributes(secure: boolean): AuthCookieAttributes {
  return { httpOnly: true, secure, sameSite: 'Lax', path: '/', maxAge: AUTH_COOKIE_TTL_SECONDS };
}

export function clearedAuthCookieAttributes(secure: boolean): AuthCookieAttributes {
  return { ...authCookieAttributes(secure), maxAge: 0 };
}

// The cookie name (hence the state digest) and the format version are authenticated, so a value cannot
// be replayed under another flow's name or read by a future format.
function associatedData(name: string): Buffer {
  return Buffer.from(`keyrelay-auth-cookie/${FORMAT_VERSION}/${name}`, 'utf8');
}

function assertKey(key: Uint8Array): void {
  if (key.length !== AUTH_COOKIE_KEY_BYTES) {
    throw new RangeError(`The auth cookie key must be ${AUTH_COOKIE_KEY_BYTES} bytes.`);
  }
}

/** The sealed JSON: the flow and its expiry. */
type WirePayload = AuthFlow & {
  /** Epoch seconds. */
  exp: number;
};

/**
 * Encrypts `flow` into the cookie value `v1.<iv|ciphertext|tag>`, or `<keyVersion>.v1.…` when the
 * version of the key is given so that any instance can find the key that sealed it.
 */
export function sealAuthCookie(
  flow: AuthFlow,
  key: Uint8Array,
  clock: Clock,
  secure: boolean,
  keyVersion?: string,
): SealedAuthCookie {
  assertKey(key);
  const name = authCookieName(flow.state, secure);
  const wire: WirePayload = {
    state: flow.state,
    codeVerifier: flow.codeVerifier,
    nonce: flow.nonce,
    ...(flow.returnUrl === undefined ? {} : { returnUrl: flow.returnUrl }),
    ...(flow.loginHint === undefined ? {} : { loginHint: flow.loginHint }),
    ...(flow.ref === undefined ? {} : { ref: flow.ref }),
    exp: Math.floor(clock.now().getTime() / 1000) + AUTH_COOKIE_TTL_SECONDS,
  };
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(name));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(wire), 'utf8'), cipher.final()]);
  const sealed = `${FORMAT_VERSION}.${Buffer.concat([iv, ciphertext, cipher.getAuthTag()]).toString('base64url')}`;
  const value = keyVersion === undefined ? sealed : `${keyVersion}.${sealed}`;
  if (name.length + value.length > MAX_AUTH_COOKIE_LENGTH) {
    throw new RangeError('The auth cookie would exceed the browser cookie size limit.');
  }
  return { name, value, ...authCookieAttributes(secure) };
}

function optionalString(value: unknown): value is string | undefined {
  return value === undefined || typeof value === 'string';
}

function isWirePayload(value: unknown): value is WirePayload {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.state === 'string' &&
    typeof candidate.codeVerifier === 'string' &&
    typeof candidate.nonce === 'string' &&
    optionalString(candidate.returnUrl) &&
    optionalString(candidate.loginHint) &&
    optionalString(candidate.ref) &&
    typeof candidate.exp === 'number' &&
    Number.isSafeInteger(candidate.exp)
  );
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Decrypts and checks the cookie found under `name`. Every failure is one of three stable codes. */
export function openAuthCookie(
  cookie: { name: string; value: string | undefined },
  key: Uint8Array,
  clock: Clock,
): OpenedAuthCookie {
  assertKey(key);
  const { name, value } = cookie;
  if (value === undefined || value === '') return { ok: false, code: 'cookie_missing' };
  const invalid = { ok: false, code: 'cookie_invalid' } as const;
  if (name.length + value.length > MAX_AUTH_COOKIE_LENGTH) return invalid;
  const prefix = `${FORMAT_VERSION}.`;
  if (!value.startsWith(prefix)) return invalid;
  const encoded = value.slice(prefix.length);
  if (!BASE64URL.test(encoded)) return invalid;
  const sealed = Buffer.from(encoded, 'base64url');
  if (sealed.length <= IV_BYTES + TAG_BYTES) return invalid;

  let plaintext: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(name));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    plaintext = Buffer.concat([
      decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    return invalid;
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(plaintext);
  } catch {
    return invalid;
  }
  if (!isWirePayload(parsed)) return invalid;
  const nowSeconds = Math.floor(clock.now().getTime() / 1000);
  // A lifetime longer than we ever issue means the payload was not made by this code.
  if (parsed.exp > nowSeconds + AUTH_COOKIE_TTL_SECONDS) return invalid;
  if (parsed.exp <= nowSeconds) return { ok: false, code: 'cookie_expired' };
  return {
    ok: true,
    payload: {
      state: parsed.state,
      codeVerifier: parsed.codeVerifier,
      nonce: parsed.nonce,
      ...(parsed.returnUrl === undefined ? {} : { returnUrl: parsed.returnUrl }),
      ...(parsed.loginHint === undefined ? {} : { loginHint: parsed.loginHint }),
      ...(parsed.ref === undefined ? {} : { ref: parsed.ref }),
      expiresAt: new Date(parsed.exp * 1000),
    },
  };
}

/**
 * The values of every cookie called `name` in a `Cookie` request header. More than one value means a
 * cookie was planted next to ours; the caller treats that as invalid.
 */
export function cookieValues(cookieHeader: string | null | undefined, name: string): string[] {
  if (cookieHeader === null || cookieHeader === undefined) return [];
  const values: string[] = [];
  for (const pair of cookieHeader.split(';')) {
    const separator = pair.indexOf('=');
    if (separator === -1) continue;
    if (pair.slice(0, separator).trim() === name) values.push(pair.slice(separator + 1).trim());
  }
  return values;
}

/** Finds this flow's cookie in the `Cookie` header and opens it. */
export function openAuthCookieFromHeader(
  cookieHeader: string | null | undefined,
  state: string,
  secure: boolean,
  key: Uint8Array,
  clock: Clock,
): OpenedAuthCookie {
  const name = authCookieName(state, secure);
  const values = cookieValues(cookieHeader, name);
  if (values.length > 1) return { ok: false, code: 'cookie_invalid' };
  return openAuthCookie({ name, value: values[0] }, key, clock);
}

/** Constant-time equality (RFC 9700 §4.7.1): hashing first hides the length and makes the inputs equal-sized. */
export function constantTimeEqual(a: string, b: string): boolean {
  const digestA = createHash('sha256').update(a, 'utf8').digest();
  const digestB = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(digestA, digestB);
}
