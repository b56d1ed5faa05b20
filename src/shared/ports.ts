// Ports: what the services need from the outside world, in the domain's words. Adapters in
// src/shared/adapters implement them with the Azure SDKs; tests/fakes implement them in memory with the
// same semantics, and tests/contract holds one suite per port that both must pass.
//
// Failures: "not found" is `undefined`; everything else throws one of src/shared/adapters/storeErrors.ts:
// StoreUnavailableError (429/5xx/no answer; retryAfterSeconds; maps to 503), StoreConflictError
// (409/412: someone else wrote first) or StoreRequestError (any other refusal, e.g. 403).

export type SecretTags = Record<string, string>;

/** A Key Vault secret version with its value. Never log it. */
export interface SecretValue {
  name: string;
  value: string;
  version: string;
  tags: SecretTags;
  contentType?: string;
  expiresOn?: Date;
  updatedOn: Date;
  enabled: boolean;
}

/** A secret's metadata, as listing returns it: never the value. */
export interface SecretSummary {
  name: string;
  /** Key Vault's list answer names no version (the ids are version-less); a fake may omit it too. */
  version?: string;
  enabled: boolean;
  expiresOn?: Date;
  updatedOn: Date;
  tags: SecretTags;
}

export interface SetSecretOptions {
  tags?: SecretTags;
  expiresOn?: Date;
  contentType?: string;
}

export interface SecretStore {
  /** The latest version, or undefined when the secret does not exist. */
  getSecret(name: string): Promise<SecretValue | undefined>;
  /** One given version, or undefined when the secret or that version does not exist. */
  getSecretVersion(name: string, version: string): Promise<SecretValue | undefined>;
  /** Writes a new version (every write adds a version forever: write only when something changed). */
  setSecret(name: string, value: string, options?: SetSecretOptions): Promise<{ version: string }>;
  /** Every secret's latest metadata, all pages. */
  listSecretProperties(): AsyncIterable<SecretSummary>;
  /** Replaces the tags of one version (no new version is written). */
  updateSecretTags(name: string, version: string, tags: SecretTags): Promise<void>;
}

/** A store that can also soft-delete a secret and bring a soft-deleted one back (Key Vault soft delete). */
export interface DeletableSecretStore extends SecretStore {
  /** Soft-deletes every version (recoverable for the vault's retention); false when there was none. */
  deleteSecret(name: string): Promise<boolean>;
  /** Recovers a soft-deleted secret; false when none is deleted under that name. */
  recoverDeletedSecret(name: string): Promise<boolean>;
}

export type MailboxStatus = 'ok' | 'reconnect_required';

export interface MailboxRecord {
  /**
   * The mailbox address (canonical: NFKC, lower case): a unique alias of the identity. The registry's
   * key is the identity (tenantId + objectId): `preferred_username` is mutable and not unique across tenants.
   */
  upn: string;
  tenantId: string;
  objectId: string;
  /** Key Vault secret holding the mailbox's MSAL token cache (`mbx-<digest>`). */
  cacheSecretName: string;
  connectedAt: Date;
  lastRefreshAt: Date;
  status: MailboxStatus;
  /** Stable code of the error that required a reconnect (e.g. `invalid_grant:50173`). */
  lastErrorCode?: string;
  /** When lastErrorCode happened. */
  lastErrorAt?: Date;
  /** Last failure to write the token cache back after a successful refresh. */
  cacheWriteFailure?: { code: string; at: Date };
  /** The product's opaque reference given to /api/connect (DESIGN §3), for it to check the connection it started. */
  ref?: string;
  /** Result of the last SMTP AUTH check (connect, doctor): can the mailbox submit with AUTH XOAUTH2? */
  smtpAuth?: { state: 'ok' | 'disabled' | 'unknown'; code?: string; checkedAt: Date };
  /** Optimistic-concurrency tag of the stored row; ignored on input. */
  etag?: string;
}

/** What a listing found: the readable rows, and how many rows could not be read (skipped, reported). */
export interface MailboxListing {
  records: MailboxRecord[];
  unreadableRows: number;
}

export interface MailboxRegistry {
  /** By address (matched case-insensitively, after NFKC). */
  get(upn: string): Promise<MailboxRecord | undefined>;
  getByIdentity(tenantId: string, objectId: string): Promise<MailboxRecord | undefined>;
  /** Every readable mailbox; rows that cannot be read are skipped (see scan). */
  list(): Promise<MailboxRecord[]>;
  scan(): Promise<MailboxListing>;
  /**
   * Connect or reconnect the record's identity: replaces its row as given (reconnect sets connectedAt
   * anew, status ok, no error) and binds the address to it (an old address of the identity is released).
   * Throws MailboxTakenError, writing nothing, when another identity holds the address.
   */
  upsert(record: MailboxRecord): Promise<MailboxRecord>;
  /** Disconnect: removes the row and its address; answers what was removed, undefined when unknown. */
  remove(upn: string): Promise<MailboxRecord | undefined>;
  /** Each update below re-reads and retries on a stale ETag; undefined when the mailbox is unknown. */
  markReconnectRequired(upn: string, errorCode: string, at: Date): Promise<MailboxRecord | undefined>;
  /** Moves lastRefreshAt forward (never back: refreshes may finish out of order). */
  recordRefresh(upn: string, at: Date): Promise<MailboxRecord | undefined>;
  recordCacheWriteFailure(upn: string, code: string, at: Date): Promise<MailboxRecord | undefined>;
}

/** Sign-in flows already answered at the callback (DESIGN §3: a flow is single-use). */
export interface UsedFlows {
  /**
   * Marks the flow used; false, writing nothing, when it was marked before. `expiresAt` is when the flow's
   * cookie dies: after it the mark may be dropped (the cookie check refuses the flow anyway).
   */
  markUsed(flowId: string, expiresAt: Date, now: Date): Promise<boolean>;
}

export type AttemptDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Counters of attempts per bucket in fixed time windows, shared by every instance (abuse limits). */
export interface AttemptLimiter {
  /** Counts one attempt in `bucket`'s current window unless `limit` attempts were counted there already. */
  take(bucket: string, limit: number, windowMs: number, now: Date): Promise<AttemptDecision>;
}

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

/**
 * The fields the rotation store relies on; the full record (src/shared/domain/monitor/rotationPlan.ts)
 * is stored as it is, Dates included.
 */
export interface RotationRecordBase {
  rotationId: string;
  appId: string;
  step: string;
  startedAt: Date;
}

export interface StoredRotation<R extends RotationRecordBase> {
  record: R;
  etag: string;
}

/** One rotation per app at a time: `current` plus a history row per rotation (its latest state). */
export interface RotationStore<R extends RotationRecordBase = RotationRecordBase> {
  get(appId: string): Promise<StoredRotation<R> | undefined>;
  /** StoreConflictError when the app already has a current rotation. */
  create(record: R): Promise<StoredRotation<R>>;
  /** StoreConflictError when `etag` is stale or the current rotation is gone. */
  update(record: R, etag: string): Promise<StoredRotation<R>>;
  /** Ends the current rotation (kept in history) so that a new one can be created; ETag-guarded. */
  close(appId: string, etag: string): Promise<void>;
  /** Every rotation of the app, newest first. */
  listHistory(appId: string): Promise<R[]>;
}

export interface RunOutcome {
  finishedAt: Date;
  /** e.g. { credentials: 4, alertsSent: 1, rotations: 0 } */
  counts: Record<string, number>;
  /** Stable codes or short texts without secrets. */
  errors: string[];
}

export interface RunReport {
  runId: string;
  startedAt: Date;
  finishedAt?: Date;
  counts: Record<string, number>;
  errors: string[];
}

export interface RunReportStore {
  /** StoreConflictError when the run id was already started. */
  start(runId: string, startedAt: Date): Promise<void>;
  /** undefined when the run was never started. */
  finish(runId: string, outcome: RunOutcome): Promise<RunReport | undefined>;
  /** The `count` most recently started runs, newest first. */
  latest(count: number): Promise<RunReport[]>;
}
