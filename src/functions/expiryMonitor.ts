// The daily expiry monitor (DESIGN §6): idempotent, so the host may fire it twice and an admin may run it
// by hand (`POST /admin/functions/expiryMonitor`); the run report records what it did.
import '../shared/validateConfigOnLoad.js';
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { functionServices } from '../shared/runtime/lazyFunctionServices.js';
import { formatLogLine } from '../shared/logger.js';

export async function expiryMonitor(_timer: Timer, context: InvocationContext): Promise<void> {
  const { getApp } = await functionServices();
  const result = await getApp().monitor().monitor.run();
  context.info(
    formatLogLine('expiryMonitor.done', {
      runId: result.runId,
      outcome: result.outcome,
      digestSent: result.digest !== undefined,
      errors: result.errors.join(',') || undefined,
    }),
  );
}

app.timer('expiryMonitor', { schedule: '%MONITOR_SCHEDULE%', handler: expiryMonitor });
