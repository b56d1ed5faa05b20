import { describe, expect, it } from 'vitest';
import { createPkce, pkceChallenge, randomNonce, randomState } from '#src/shared/domain/connect/pkce.js';

const UNRESERVED = /^[A-Za-z0-9\-._~]+$/;

describe('pkce', () => {
  it('derives the RFC 7636 Appendix B challenge from its verifier', () => {
    expect(pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('creates a 43-128 character verifier of unreserved characters with its S256 challenge', () => {
    const pkce = createPkce();
    expect(pkce.verifier.length).toBeGreaterThanOrEqual(43);
    expect(pkce.verifier.length).toBeLessThanOrEqual(128);
    expect(pkce.verifier).toMatch(UNRESERVED);
    expect(pkce.method).toBe('S256');
    expect(pkce.challenge).toBe(pkceChallenge(pkce.verifier));
  });

  it('creates a different verifier every time', () => {
    expect(createPkce().verifier).not.toBe(createPkce().verifier);
  });
});

describe('randomState and randomNonce', () => {
  it.each([
    ['randomState', randomState],
    ['randomNonce', randomNonce],
  ])('%s returns at least 128 bits of base64url and never repeats', (_name, generate) => {
    const values = Array.from({ length: 50 }, () => generate());
    for (const value of values) {
      expect(value).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(Buffer.from(value, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
    }
    expect(new Set(values).size).toBe(values.length);
  });
});
