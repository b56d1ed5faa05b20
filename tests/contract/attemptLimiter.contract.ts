// AttemptLimiter contract (abuse limits, DESIGN §3): run against the fake and the Table adapter.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AttemptLimiter } from '#src/shared/ports/index.js';
import { at, minutesAfter, type MakeStore, type StoreUnderTest } from './storeHarness.js';

const HOUR_MS = 60 * 60 * 1000;
const NOW = at('2026-05-01T06:45:00.000Z');

export function describeAttemptLimiterContract(name: string, makeStore: MakeStore<AttemptLimiter>): void {
  describe(`AttemptLimiter contract: ${name}`, () => {
    let subject: StoreUnderTest<AttemptLimiter>;
    let limiter: AttemptLimiter;

    beforeEach(async () => {
      subject = await makeStore();
      limiter = subject.store;
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    it('allows `limit` attempts per window, then answers when the window ends', async () => {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        expect(await limiter.take('client:a', 3, HOUR_MS, NOW)).toEqual({ allowed: true });
      }
      expect(await limiter.take('client:a', 3, HOUR_MS, NOW)).toEqual({ allowed: false, retryAfterSeconds: 15 * 60 });
      expect(await limiter.take('client:b', 3, HOUR_MS, NOW)).toEqual({ allowed: true });
      expect(await limiter.take('client:a', 3, HOUR_MS, minutesAfter(NOW, 16))).toEqual({ allowed: true });
    });

    it('counts concurrent attempts exactly (instances share the count)', async () => {
      const answers = await Promise.all(Array.from({ length: 8 }, () => limiter.take('tenant:t', 5, HOUR_MS, NOW)));
      expect(answers.filter((answer) => answer.allowed)).toHaveLength(5);
    });
  });
}
