// The secret store (Key Vault): secrets, their versions and tags. "Not found" is undefined; failures are
// the store errors of ./storeErrors.ts.

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
