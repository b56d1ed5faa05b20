// A monitor run's time budget (DESIGN §6): below the Functions host's timeout, with a margin to write the
// run report, so a run is never killed half-way. Work that cannot finish within what is left is not
// started: it is carried to the next run and reported.

/** host.json `functionTimeout` (a unit test keeps the two equal). */
export const FUNCTION_TIMEOUT_MS = 30 * 60_000;
/** Kept for writing the run report and answering the host. */
export const REPORT_MARGIN_MS = 2 * 60_000;

export interface RunBudget {
  readonly deadline: Date;
  /** True when work that may take `costMs` can still finish before the deadline. */
  allows(now: Date, costMs: number): boolean;
}

export function runBudget(startedAt: Date, timeoutMs = FUNCTION_TIMEOUT_MS, marginMs = REPORT_MARGIN_MS): RunBudget {
  const deadline = new Date(startedAt.getTime() + timeoutMs - marginMs);
  return {
    deadline,
    allows: (now, costMs) => now.getTime() + costMs <= deadline.getTime(),
  };
}

/** `hh:mm:ss` (host.json's format) in milliseconds; undefined when it is not one. */
export function parseFunctionTimeout(text: string): number | undefined {
  const match = /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(text);
  if (!match) return undefined;
  const [hours, minutes, seconds] = match.slice(1).map(Number) as [number, number, number];
  return ((hours * 60 + minutes) * 60 + seconds) * 1000;
}
