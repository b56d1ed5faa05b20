// What the monitor needs from other features, named structurally so that the monitor works (and is
// tested) before and without them: the token service (keep-alive), the rotation service.
import type { RotationRecord } from '../domain/monitor/rotationPlan.js';
import type { AppRegistration } from './graphApplications.js';

/** The part of the token service (src/shared/services/token) the monitor uses. */
export interface MailboxKeepAlive {
  keepAlive(mailbox: string): Promise<'refreshed' | 'reconnect_required'>;
}

export interface RotationProgressEvent {
  kind: string;
  at: Date;
  keyId?: string | undefined;
  reason?: string | undefined;
}

/** What one rotation step reports back (src/shared/services/rotation, issue 7). */
export interface RotationProgress {
  appId?: string;
  step?: string;
  rotationId?: string;
  events?: readonly RotationProgressEvent[];
  /** When the next rotation starts, if nothing is due now. */
  plannedFor?: Date;
  blockedReason?: string;
  /** The transient failure that stopped this run's rotation (a stable code; the next run resumes). */
  lastError?: string;
  history?: readonly RotationRecord[];
}

export interface RotationAdvancer {
  /** `app`: the registration the run already read; the rotation reads it itself when absent. */
  advance(input: { runId: string; now: Date; app?: AppRegistration }): Promise<RotationProgress>;
}
