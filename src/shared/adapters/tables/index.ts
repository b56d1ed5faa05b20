// Every Table-storage port from one storage setting (Config.storage) and, for identity-based storage,
// the app's Azure credential.
import type { TokenCredential } from '@azure/identity';
import type {
  AlertLedger,
  AttemptLimiter,
  MailboxRegistry,
  RotationRecordBase,
  RotationStore,
  RunReportStore,
  UsedFlows,
} from '#src/shared/ports/index.js';
import { createTableAlertLedger } from './alertLedger.js';
import { createTableMailboxRegistry } from './mailboxRegistry.js';
import { createTableRotationStore } from './rotationStore.js';
import { createTableRunReportStore } from './runReportStore.js';
import { createTableAccess, type TableStorageSettings } from './tableAccess.js';
import { createTableUsedFlows } from './usedFlows.js';
import { createTableAttemptLimiter } from './attemptLimiter.js';

export interface TableStores<R extends RotationRecordBase = RotationRecordBase> {
  mailboxes: MailboxRegistry;
  alerts: AlertLedger;
  rotations: RotationStore<R>;
  runs: RunReportStore;
  flows: UsedFlows;
  limits: AttemptLimiter;
}

export function createTableStores<R extends RotationRecordBase = RotationRecordBase>(
  storage: TableStorageSettings,
  credential?: TokenCredential,
): TableStores<R> {
  const tables = createTableAccess(storage, credential);
  return {
    mailboxes: createTableMailboxRegistry(tables),
    alerts: createTableAlertLedger(tables),
    rotations: createTableRotationStore<R>(tables),
    runs: createTableRunReportStore(tables),
    flows: createTableUsedFlows(tables),
    limits: createTableAttemptLimiter(tables),
  };
}

export { createTableAccess, type TableAccess, type TableStorageSettings } from './tableAccess.js';
export { createTableAlertLedger, ALERT_TABLE } from './alertLedger.js';
export { createTableMailboxRegistry, MAILBOX_TABLE, normaliseUpn } from './mailboxRegistry.js';
export { createTableRotationStore, ROTATION_TABLE } from './rotationStore.js';
export { createTableRunReportStore, RUN_TABLE } from './runReportStore.js';
export { createTableUsedFlows, FLOW_TABLE } from './usedFlows.js';
export { createTableAttemptLimiter, LIMIT_TABLE } from './attemptLimiter.js';
