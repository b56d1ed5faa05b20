// Which alert was sent for which credential and threshold: at most one mail per mark, across runs.

/** A pending claim older than this may be claimed again: a crash between send and record re-sends at most once. */
export const ALERT_CLAIM_LEASE_MS = 15 * 60 * 1000;

export type AlertClaim = 'claimed' | 'already-sent' | 'pending-by-other';

export interface AlertLedgerEntry {
  credentialId: string;
  /** The threshold the alert is for: days as a string (`'30'`) or `'expired'`. */
  threshold: string;
  /** `released`: the send failed; the next claim takes it at once. */
  state: 'pending' | 'sent' | 'released';
  runId: string;
  claimedAt: Date;
  sentAt?: Date;
  /** How many times the alert was claimed (re-sends after crashes or failed sends). */
  attempts: number;
}

export interface AlertLedger {
  /**
   * Takes the right to send one alert. 'claimed': send it, then markSent (or release on failure).
   * Claiming again with the same runId while pending answers 'claimed' (idempotent within a run).
   */
  claim(credentialId: string, threshold: string, runId: string, now: Date): Promise<AlertClaim>;
  /** Records the send. Idempotent; also records it when another run re-claimed meanwhile. */
  markSent(credentialId: string, threshold: string, runId: string, now: Date): Promise<void>;
  /** The send failed: make the entry claimable again at once. No effect unless `runId` holds it. */
  release(credentialId: string, threshold: string, runId: string): Promise<void>;
  list(): Promise<AlertLedgerEntry[]>;
  /** Removes every entry of the credential (a disconnected mailbox); answers how many there were. */
  forget(credentialId: string): Promise<number>;
}
