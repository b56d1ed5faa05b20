import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '#src/shared/adapters/retryAfter.js';

const now = new Date('2026-03-01T10:00:00Z');

describe('parseRetryAfter', () => {
  it('reads delta-seconds, rounding a fraction up', () => {
    expect(parseRetryAfter('7', now)).toBe(7);
    expect(parseRetryAfter('0.2', now)).toBe(1);
    expect(parseRetryAfter('0', now)).toBe(0);
  });

  it('reads an HTTP date relative to the injected now, never below zero', () => {
    expect(parseRetryAfter('Sun, 01 Mar 2026 10:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Sun, 01 Mar 2026 09:59:00 GMT', now)).toBe(0);
  });

  it('answers undefined for an absent, empty or unreadable header', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('  ', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});
