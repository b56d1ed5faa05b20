// The monitor's run reports: when each run started and finished, and what it counted.

export interface RunOutcome {
  finishedAt: Date;
  /** e.g. { credentials: 4, alertsSent: 1, rotations: 0 } */
  counts: Record<string, number>;
  /** Stable codes or short texts without secrets. */
  errors: string[];
}

export interface RunReport {
  runId: string;
  startedAt: Date;
  finishedAt?: Date;
  counts: Record<string, number>;
  errors: string[];
}

export interface RunReportStore {
  /** StoreConflictError when the run id was already started. */
  start(runId: string, startedAt: Date): Promise<void>;
  /** undefined when the run was never started. */
  finish(runId: string, outcome: RunOutcome): Promise<RunReport | undefined>;
  /** The `count` most recently started runs, newest first. */
  latest(count: number): Promise<RunReport[]>;
}
