// RunReportStore in memory: a run id starts once (409 after), latest() newest first by start time.
import type { RunOutcome, RunReport, RunReportStore } from '#src/shared/ports/index.js';
import { EtagTable, readModifyWrite } from './etagTable.js';

export class InMemoryRunReportStore implements RunReportStore {
  private readonly rows = new EtagTable<RunReport>();

  async start(runId: string, startedAt: Date): Promise<void> {
    await this.rows.create(runId, { runId, startedAt, counts: {}, errors: [] });
  }

  async finish(runId: string, outcome: RunOutcome): Promise<RunReport | undefined> {
    const row = await readModifyWrite(this.rows, runId, (report) => ({
      ...report,
      finishedAt: outcome.finishedAt,
      counts: { ...outcome.counts },
      errors: [...outcome.errors],
    }));
    return row?.value;
  }

  async latest(count: number): Promise<RunReport[]> {
    const reports = await this.rows.values();
    return reports.sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime()).slice(0, Math.max(0, count));
  }
}
