import { describe, expect, it } from 'vitest';
import { RequestBudget } from '#src/shared/domain/requestBudget.js';

/** A clock that only moves when the budget waits: the waits are the pacing the budget imposes. */
function pacedClock() {
  let now = 0;
  const waits: number[] = [];
  return {
    clock: { now: () => new Date(now) },
    wait: (ms: number) => {
      waits.push(ms);
      now += ms;
      return Promise.resolve();
    },
    waits,
    elapsed: () => now,
  };
}

describe('RequestBudget', () => {
  it('lets requests through without waiting while the window has room', async () => {
    const time = pacedClock();
    const budget = new RequestBudget(3, 10_000, time.clock, time.wait);
    for (let i = 0; i < 3; i++) await budget.take();
    expect(time.waits).toEqual([]);
  });

  it('makes the next request wait until the oldest one leaves the window', async () => {
    const time = pacedClock();
    const budget = new RequestBudget(2, 10_000, time.clock, time.wait);
    for (let i = 0; i < 5; i++) await budget.take();
    expect(time.waits).toEqual([10_000, 10_000]);
    expect(time.elapsed()).toBe(20_000);
  });

  it('never lets more than the limit into any window', async () => {
    const time = pacedClock();
    const budget = new RequestBudget(4, 10_000, time.clock, time.wait);
    const taken: number[] = [];
    for (let i = 0; i < 25; i++) {
      await budget.take();
      taken.push(time.elapsed());
    }
    for (const start of taken)
      expect(taken.filter((at) => at >= start && at < start + 10_000).length).toBeLessThanOrEqual(4);
  });

  it('refuses a limit below one request', () => {
    const time = pacedClock();
    expect(() => new RequestBudget(0, 10_000, time.clock, time.wait)).toThrow(RangeError);
  });
});
