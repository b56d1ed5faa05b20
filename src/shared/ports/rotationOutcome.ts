// The rotation → monitor contract (types only): what one `advance` call reports. The rotation service
// produces it, the monitor consumes it as is: one declaration, so a new step or event kind reaches the
// monitor's checks through the compiler instead of a re-typed copy.
import type { AppRegistration } from './graphApplications.js';
import type { RotationBlockedReason, RotationRecord, RotationStep } from '../domain/monitor/rotationPlan.js';

export type RotationEventKind =
  | 'started'
  | 'added'
  | 'orphan_removed'
  | 'stored'
  | 'verified'
  | 'switched'
  | 'old_removed'
  | 'rolled_back'
  | 'blocked'
  | 'waiting';

export interface RotationOutcomeEvent {
  kind: RotationEventKind;
  at: Date;
  keyId?: string | undefined;
  /** A stable code (blocked reason, error code), never upstream text. */
  reason?: string | undefined;
}

/** The rotation's step after a run; 'idle' when the app has never been rotated. */
export type RotationOutcomeStep = RotationStep | 'idle';

export interface RotationOutcome {
  appId: string;
  step: RotationOutcomeStep;
  rotationId?: string;
  events: RotationOutcomeEvent[];
  /** When nothing is due: the day the next rotation starts. */
  plannedFor?: Date;
  blockedReason?: RotationBlockedReason | 'in_use_unknown';
  /** The transient failure that stopped this run (the next run resumes), as a stable code. */
  lastError?: string;
  newKeyId?: string;
  removedKeyId?: string;
  /** Every rotation of the app, newest first. */
  history: RotationRecord[];
}

/** What the monitor calls once per run when ROTATION_MODE is auto (the rotation service implements it). */
export interface RotationAdvancer {
  /** `app`: the registration the monitor already read (saves a Graph call); read here otherwise. */
  advance(input: { runId: string; now: Date; app?: AppRegistration }): Promise<RotationOutcome>;
}
