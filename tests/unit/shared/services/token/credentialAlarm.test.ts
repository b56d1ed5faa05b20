import { describe, expect, it } from 'vitest';
import { loggerFor } from '#src/shared/logger.js';
import type { RunOutcome, RunReportStore } from '#src/shared/ports/index.js';
import {
  CREDENTIAL_ALARM_RUN_PREFIX,
  createRunReportCredentialAlarm,
} from '#src/shared/services/token/credentialAlarm.js';
import { InMemoryRunReportStore } from '../../../../fakes/index.js';

/** Counts Table writes so that tests can prove a repeated alarm costs none. */
class CountingRunReports implements RunReportStore {
  writes = 0;
  readonly inner = new InMemoryRunReportStore();
  start(runId: string, startedAt: Date) {
    this.writes++;
    return this.inner.start(runId, startedAt);
  }
  finish(runId: string, outcome: RunOutcome) {
    this.writes++;
    return this.inner.finish(runId, outcome);
  }
  latest(count: number) {
    return this.inner.latest(count);
  }
}

function setup() {
  const clock = {
    ms: Date.parse('2026-03-02T09:10:00Z'),
    now() {
      return new Date(this.ms);
    },
  };
  const runs = new CountingRunReports();
  const logs: string[] = [];
  const logger = loggerFor({
    info: (line) => logs.push(line),
    warn: (line) => logs.push(line),
    error: (line) => logs.push(line),
  });
  return { clock, runs, logs, alarm: createRunReportCredentialAlarm(runs, clock, logger) };
}

describe('credential alarm', () => {
  it('50 parallel raises of one code within an hour write the Table once (start + finish)', async () => {
    const { alarm, runs } = setup();
    await Promise.all(Array.from({ length: 50 }, () => alarm.raise('AADSTS7000215')));
    await alarm.raise('AADSTS7000215');
    expect(runs.writes).toBe(2);
    const alarms = (await runs.latest(10)).filter((report) => report.runId.startsWith(CREDENTIAL_ALARM_RUN_PREFIX));
    expect(alarms.map((report) => report.errors)).toEqual([['credential_rejected:AADSTS7000215']]);
  });

  it('raises again for another code, and for the same code in the next hour', async () => {
    const { alarm, runs, clock } = setup();
    await alarm.raise('AADSTS7000215');
    await alarm.raise('AADSTS7000222');
    clock.ms += 60 * 60 * 1000;
    await alarm.raise('AADSTS7000215');
    expect(runs.writes).toBe(6);
    expect(
      (await runs.latest(10)).filter((report) => report.runId.startsWith(CREDENTIAL_ALARM_RUN_PREFIX)),
    ).toHaveLength(3);
  });

  it('tries the write again on the next raise when the Table was unavailable', async () => {
    const { alarm, runs, logs } = setup();
    const start = runs.start.bind(runs);
    runs.start = () => {
      runs.start = start;
      return Promise.reject(new Error('table unavailable'));
    };
    await alarm.raise('AADSTS7000215');
    expect(logs.some((line) => line.startsWith('token.credential_alarm_not_recorded'))).toBe(true);
    await alarm.raise('AADSTS7000215');
    expect(
      (await runs.latest(10)).filter((report) => report.runId.startsWith(CREDENTIAL_ALARM_RUN_PREFIX)),
    ).toHaveLength(1);
  });
});
