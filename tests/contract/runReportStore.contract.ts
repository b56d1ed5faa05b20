// RunReportStore contract (issue 6: run reports for `status`). Run against the fake and the Table adapter.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunReportStore, StoreConflictError } from '#src/shared/ports/index.js';
import { at, minutesAfter, type MakeStore, type StoreUnderTest } from './storeHarness.js';

export function describeRunReportStoreContract(name: string, makeStore: MakeStore<RunReportStore>): void {
  describe(`RunReportStore contract: ${name}`, () => {
    let subject: StoreUnderTest<RunReportStore>;
    let runs: RunReportStore;

    beforeEach(async () => {
      subject = await makeStore();
      runs = subject.store;
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    it('reports a started run as unfinished and a finished one with its counts and errors', async () => {
      const startedAt = at('2026-05-01T06:00:00.000Z');
      await runs.start('run-1', startedAt);
      expect(await runs.latest(1)).toEqual([{ runId: 'run-1', startedAt, counts: {}, errors: [] }]);

      const finishedAt = minutesAfter(startedAt, 2);
      const finished = await runs.finish('run-1', {
        finishedAt,
        counts: { credentials: 4, alertsSent: 1 },
        errors: ['graph_403'],
      });
      const expected = {
        runId: 'run-1',
        startedAt,
        finishedAt,
        counts: { credentials: 4, alertsSent: 1 },
        errors: ['graph_403'],
      };
      expect(finished).toEqual(expected);
      expect(await runs.latest(1)).toEqual([expected]);
    });

    it('refuses to start the same run twice', async () => {
      await runs.start('run-1', at('2026-05-01T06:00:00.000Z'));
      await expect(runs.start('run-1', at('2026-05-01T06:00:00.000Z'))).rejects.toBeInstanceOf(StoreConflictError);
    });

    it('answers undefined when finishing a run that never started', async () => {
      expect(
        await runs.finish('run-ghost', { finishedAt: at('2026-05-01T06:00:00.000Z'), counts: {}, errors: [] }),
      ).toBeUndefined();
      expect(await runs.latest(5)).toEqual([]);
    });

    it('lists the latest runs newest first, at most the number asked for', async () => {
      const days = [3, 1, 5, 2, 4];
      for (const day of days) await runs.start(`run-day-${day}`, at(`2026-05-0${day}T06:00:00.000Z`));
      expect((await runs.latest(3)).map((report) => report.runId)).toEqual(['run-day-5', 'run-day-4', 'run-day-3']);
      expect(await runs.latest(10)).toHaveLength(5);
      expect(await runs.latest(0)).toEqual([]);
    });

    it('keeps run ids with characters that are not valid in table keys', async () => {
      const runId = 'timer/2026-05-01#1?x\\y';
      await runs.start(runId, at('2026-05-01T06:00:00.000Z'));
      const finished = await runs.finish(runId, {
        finishedAt: at('2026-05-01T06:01:00.000Z'),
        counts: { credentials: 1 },
        errors: [],
      });
      expect(finished?.runId).toBe(runId);
    });
  });
}
