// What the monitor needs from other features, named structurally so that the monitor works (and is
// tested) before and without them: the token service (keep-alive), the rotation service.

/** The part of the token service (src/shared/services/token) the monitor uses. */
export interface MailboxKeepAlive {
  keepAlive(mailbox: string): Promise<'refreshed' | 'reconnect_required'>;
}

/** The rotation service's own contract (./rotationOutcome.ts). */
export type { RotationAdvancer, RotationOutcome } from './rotationOutcome.js';
