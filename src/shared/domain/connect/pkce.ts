// Proof Key for Code Exchange (RFC 7636) and the random values that bind one sign-in to one browser.
import { createHash, randomBytes } from 'node:crypto';

export interface Pkce {
  /** RFC 7636 §4.1: 43-128 characters of [A-Z a-z 0-9 - . _ ~]; kept secret in the auth cookie. */
  verifier: string;
  /** BASE64URL(SHA256(verifier)), sent in the authorize URL. */
  challenge: string;
  method: 'S256';
}

// 32 random bytes = 256 bits, well above the 128-bit floor of RFC 9700 §4.7.1 / RFC 7636 §7.1.
const RANDOM_BYTES = 32;

export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

export function createPkce(): Pkce {
  const verifier = randomBytes(RANDOM_BYTES).toString('base64url');
  return { verifier, challenge: pkceChallenge(verifier), method: 'S256' };
}

export function randomState(): string {
  return randomBytes(RANDOM_BYTES).toString('base64url');
}

export function randomNonce(): string {
  return randomBytes(RANDOM_BYTES).toString('base64url');
}
