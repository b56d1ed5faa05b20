// What the expiry monitor watches, in the domain's words. Adapters translate Graph credentials, Key Vault
// secret properties and the mailbox registry into these shapes; nothing here holds a secret value.

export type CredentialKind = 'client-secret' | 'certificate' | 'key-vault-secret' | 'mailbox-grant';

export interface MonitoredCredential {
  /** Stable across runs: the alert ledger is keyed by it (see `credentialIds`). */
  id: string;
  kind: CredentialKind;
  /** What an admin recognises: the display name, the Key Vault secret name or the mailbox UPN. */
  label: string;
  appId?: string;
  keyId?: string;
  startsAt?: Date;
  expiresAt: Date;
  /** Created by keyrelay (rotation) rather than by hand. */
  managedByKeyrelay?: boolean;
  /** The credential keyrelay currently authenticates with (the Key Vault secret's `keyId` tag). */
  inUse?: boolean;
}

export type GrantStatus = 'ok' | 'reconnect_required';

export interface MailboxGrant {
  mailboxId: string;
  upn: string;
  tenantId: string;
  lastRefreshAt: Date;
  status: GrantStatus;
  lastErrorCode?: string;
}

export const credentialIds = {
  appPassword: (appId: string, keyId: string): string => `app:${appId}:password:${keyId}`,
  appCertificate: (appId: string, keyId: string): string => `app:${appId}:key:${keyId}`,
  keyVaultSecret: (secretName: string): string => `kv:${secretName}`,
  mailboxGrant: (mailboxId: string): string => `grant:${mailboxId}`,
};

/**
 * The alert ledger's threshold key for a credential. An app password or certificate id names one credential
 * (its keyId); a Key Vault secret's name, a mailbox or an untagged Key Vault copy outlives a renewal, so
 * their key carries the expiry day: a renewed secret (or a grant that lapses again) alerts again.
 */
export function alertLedgerThreshold(credential: MonitoredCredential, threshold: number | 'expired'): string {
  const namesOneCredential =
    (credential.kind === 'client-secret' || credential.kind === 'certificate') && credential.keyId !== undefined;
  return namesOneCredential ? String(threshold) : `${threshold}@${credential.expiresAt.toISOString().slice(0, 10)}`;
}
