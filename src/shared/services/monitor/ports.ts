// What the monitor needs from other features, named structurally so that the monitor works (and is
// tested) before and without them: the token service (keep-alive, the sender's delegated Graph token),
// the rotation service, the alert channels.
import type { OutgoingMail } from '../../adapters/graphMailer.js';

/** The part of the token service (src/shared/services/token) the monitor uses. */
export interface MailboxKeepAlive {
  keepAlive(mailbox: string): Promise<'refreshed' | 'reconnect_required'>;
}

/** The rotation service's own contract (src/shared/services/rotation/rotationOutcome.ts). */
export type { RotationAdvancer, RotationOutcome } from '../rotation/rotationOutcome.js';

/** Sends the digest mail; throws when the mail was not accepted. */
export interface AlertMailer {
  send(mail: OutgoingMail): Promise<void>;
}

/** The optional second channel; throws when the webhook did not accept the payload. */
export interface AlertWebhook {
  notify(payload: unknown): Promise<void>;
}
