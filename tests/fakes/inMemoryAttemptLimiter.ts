// AttemptLimiter in memory, with the Table adapter's fixed windows.
import type { AttemptDecision, AttemptLimiter } from '#src/shared/ports/index.js';

export class InMemoryAttemptLimiter implements AttemptLimiter {
  private readonly counts = new Map<string, number>();

  async take(bucket: string, limit: number, windowMs: number, now: Date): Promise<AttemptDecision> {
    await new Promise((resolve) => setImmediate(resolve));
    const windowStart = Math.floor(now.getTime() / windowMs) * windowMs;
    const key = `${bucket}\n${windowStart}`;
    const count = this.counts.get(key) ?? 0;
    if (count >= limit) {
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((windowStart + windowMs - now.getTime()) / 1000)),
      };
    }
    this.counts.set(key, count + 1);
    return { allowed: true };
  }
}
