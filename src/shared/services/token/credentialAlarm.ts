// The alert hook for "Entra ID refuses keyrelay's own credential" (invalid_client after the one reload):
// mail cannot flow until an admin or the rotation fixes it, so it is recorded where the monitor and the
// status page read run reports, at most once per code and hour (the token route may hit it thousands
// of times).
import { StoreConflictError } from '../../adapters/storeErrors.js';
import type { Clock } from '../../domain/clock.js';
import type { Logger } from '../../logger.js';
import type { RunReportStore } from '../../ports.js';

export interface CredentialAlarm {
  /** `code` is a stable error code (e.g. `AADSTS7000215`); never a secret. Never throws. */
  raise(code: string): Promise<void>;
}

/** Run reports whose runId starts with this are alarms, not monitor runs. */
export const CREDENTIAL_ALARM_RUN_PREFIX = 'credential-alarm:';

export function credentialAlarmRunId(code: string, at: Date): string {
  return `${CREDENTIAL_ALARM_RUN_PREFIX}${code}:${at.toISOString().slice(0, 13)}`;
}

export function createRunReportCredentialAlarm(runReports: RunReportStore, clock: Clock, logger: Logger): CredentialAlarm {
  /** Alarms this instance raised (or is raising) in the current hour: a repeat costs no Table write. */
  const raisedThisHour = new Set<string>();
  let currentHour = '';

  return {
    async raise(code) {
      const now = clock.now();
      const runId = credentialAlarmRunId(code, now);
      const hour = now.toISOString().slice(0, 13);
      if (hour !== currentHour) {
        currentHour = hour;
        raisedThisHour.clear();
      }
      // Remembered before the write, so parallel requests share it.
      if (raisedThisHour.has(runId)) return;
      raisedThisHour.add(runId);
      logger.error('token.credential_alarm', { code });
      try {
        await runReports.start(runId, now);
        await runReports.finish(runId, { finishedAt: now, counts: { credentialAlarms: 1 }, errors: [`credential_rejected:${code}`] });
      } catch (error) {
        // Already raised within this hour by another instance.
        if (error instanceof StoreConflictError) return;
        // Not recorded: the next raise tries again.
        raisedThisHour.delete(runId);
        logger.error('token.credential_alarm_not_recorded', { code, reason: error instanceof Error ? error.name : 'unknown' });
      }
    },
  };
}
