import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  FUNCTION_TIMEOUT_MS,
  parseFunctionTimeout,
  REPORT_MARGIN_MS,
  runBudget,
} from '#src/shared/domain/monitor/runBudget.js';

describe('runBudget', () => {
  it("matches host.json's functionTimeout, so the monitor's budget is derived from the host's real limit", () => {
    const host = JSON.parse(readFileSync(new URL('../../../../../host.json', import.meta.url), 'utf8')) as {
      functionTimeout?: string;
    };
    expect(parseFunctionTimeout(host.functionTimeout ?? '')).toBe(FUNCTION_TIMEOUT_MS);
  });

  it('allows work only when it can finish before the timeout less the report margin', () => {
    const start = new Date('2026-12-04T06:00:00Z');
    const budget = runBudget(start);
    expect(budget.deadline.getTime() - start.getTime()).toBe(FUNCTION_TIMEOUT_MS - REPORT_MARGIN_MS);
    expect(budget.allows(start, 60_000)).toBe(true);
    expect(budget.allows(new Date(budget.deadline.getTime() - 30_000), 30_000)).toBe(true);
    expect(budget.allows(new Date(budget.deadline.getTime() - 29_999), 30_000)).toBe(false);
  });

  it('reads hh:mm:ss and refuses anything else', () => {
    expect(parseFunctionTimeout('00:30:00')).toBe(30 * 60_000);
    expect(parseFunctionTimeout('01:00:05')).toBe(3_605_000);
    expect(parseFunctionTimeout('30m')).toBeUndefined();
  });
});
