// The registry of connected mailboxes (Table storage), keyed by identity (tenantId + objectId).

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
