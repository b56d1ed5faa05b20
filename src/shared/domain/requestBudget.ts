// A sliding-window request budget: at most `limit` requests in any `windowMs`. Key Vault throttles a
// vault at 4,000 transactions per 10 s for everything that uses it; keyrelay's background work (the
// monitor's listing) keeps to a share of that so the token path never meets a 429 because of it.
import type { Clock } from './clock.js';

export type Wait = (ms: number) => Promise<void>;

export class RequestBudget {
  private readonly sent: number[] = [];

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly clock: Clock,
    private readonly wait: Wait,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('a request budget needs a limit of at least 1');
  }

  /** Resolves when one more request fits in the window, and counts it. */
  async take(): Promise<void> {
    for (;;) {
      const now = this.clock.now().getTime();
      while (this.sent.length > 0 && this.sent[0]! <= now - this.windowMs) this.sent.shift();
      if (this.sent.length < this.limit) {
        this.sent.push(now);
        return;
      }
      await this.wait(this.sent[0]! + this.windowMs - now);
    }
  }
}
