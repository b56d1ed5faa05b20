// Discovery, the first step of a monitor run (DESIGN §6): the app registration's passwords and
// certificates from Graph (keyrelay's Azure identity, never the monitored secret), Key Vault secrets that
// carry an expiry (properties only), and the mailbox registry. The status page shows the same picture.
import {
  type AppRegistration,
  type AppRegistrationDirectory,
  GraphRequestError,
  type MailboxRecord,
  type MailboxRegistry,
  type SecretStore,
  type SecretSummary,
} from '#src/shared/ports/index.js';
import type { Config } from '#src/shared/config.js';
import { credentialIds, type MonitoredCredential } from '#src/shared/domain/monitor/credentials.js';
import type { DigestApp } from '#src/shared/domain/monitor/digest.js';

/** What to grant when Graph refuses to read the app (403): either lets keyrelay see every credential. */
export const APP_READ_PERMISSION = 'Application.Read.All / Application.ReadWrite.OwnedBy (owner)';
/** Graph shows the first three characters of a password (`hint`). */
const HINT_LENGTH = 3;
const KEYRELAY_DISPLAY_NAME_PREFIX = 'keyrelay';

export type DiscoverySettings = Pick<Config, 'oauthClientId' | 'azureTenantId' | 'oauthClientSecretName'> &
  Partial<Pick<Config, 'oauthClientCredential'>>;
/** `federated`: keyrelay authenticates with no password, so every password on the app is not in use. */
const NO_PASSWORD_IN_USE = '';

export interface DiscoveryDependencies {
  config: DiscoverySettings;
  appDirectory: Pick<AppRegistrationDirectory, 'getApplication'>;
  secretStore: SecretStore;
  mailboxRegistry: MailboxRegistry;
}

export interface Discovery {
  app: DigestApp;
  /** Graph object id of the app, when Graph answered. */
  appObjectId?: string;
  /** App passwords and certificates (or the Key Vault fallback) plus Key Vault secrets with an expiry. */
  credentials: MonitoredCredential[];
  mailboxes: MailboxRecord[];
  /** Set when Graph answered 403: the dates of the app's secret come from Key Vault. */
  missingPermission?: string;
  /** Stable codes of the sources that could not be read. */
  errors: string[];
}

/** One Graph read of the app registration, or why it failed (a 403 means a missing permission). */
export type AppLookup = { ok: true; app: AppRegistration } | { ok: false; status: number; code: string };

export async function readApplication(
  directory: DiscoveryDependencies['appDirectory'],
  appId: string,
): Promise<AppLookup> {
  try {
    return { ok: true, app: await directory.getApplication(appId) };
  } catch (error) {
    if (error instanceof GraphRequestError)
      return { ok: false, status: error.failure.status, code: error.failure.code };
    return { ok: false, status: 0, code: 'unknown' };
  }
}

/** Every enabled secret with an expiry; a listing that fails part-way keeps what it read and says so. */
async function listExpiringSecrets(store: SecretStore, errors: string[]): Promise<SecretSummary[]> {
  const secrets: SecretSummary[] = [];
  try {
    for await (const summary of store.listSecretProperties()) {
      if (summary.enabled && summary.expiresOn !== undefined) secrets.push(summary);
    }
  } catch (error) {
    const status = (error as { statusCode?: unknown }).statusCode;
    errors.push(
      `${secrets.length > 0 ? 'key_vault_listing_incomplete' : 'key_vault_unavailable'}${typeof status === 'number' ? `:${status}` : ''}`,
    );
  }
  return secrets;
}

/**
 * The keyId of the password keyrelay authenticates with: the Key Vault secret's `keyId` tag, else the one
 * password whose Graph `hint` matches the secret's first characters; ambiguous or unknown -> undefined.
 */
async function inUseKeyId(
  app: AppRegistration,
  clientSecret: SecretSummary | undefined,
  deps: DiscoveryDependencies,
  errors: string[],
): Promise<string | undefined> {
  const tagged = clientSecret?.tags.keyId;
  if (tagged !== undefined) return app.passwordCredentials.some((p) => p.keyId === tagged) ? tagged : undefined;
  const current = await deps.secretStore.getSecret(deps.config.oauthClientSecretName).catch(() => {
    // Unknown, and said so: the run report shows why no password could be told apart as the one in use.
    errors.push('client_secret_unreadable');
    return undefined;
  });
  if (current === undefined) return undefined;
  const hint = current.value.slice(0, HINT_LENGTH);
  const matches = app.passwordCredentials.filter((p) => p.hint === hint);
  return matches.length === 1 ? matches[0]?.keyId : undefined;
}

function optionalDate(text: string | null): Date | undefined {
  return text === null ? undefined : new Date(text);
}

function appCredentials(app: AppRegistration, inUse: string | undefined): MonitoredCredential[] {
  const passwords = app.passwordCredentials.map((password): MonitoredCredential => ({
    id: credentialIds.appPassword(app.appId, password.keyId),
    kind: 'client-secret',
    label: password.displayName ?? password.keyId,
    appId: app.appId,
    keyId: password.keyId,
    ...(password.startDateTime !== null ? { startsAt: new Date(password.startDateTime) } : {}),
    expiresAt: new Date(password.endDateTime),
    managedByKeyrelay: password.displayName?.startsWith(KEYRELAY_DISPLAY_NAME_PREFIX) === true,
    // Unknown stays unknown: "not in use" is a claim the digest makes to the admin.
    ...(inUse !== undefined ? { inUse: password.keyId === inUse } : {}),
  }));
  const certificates = app.keyCredentials.map((key): MonitoredCredential => {
    const startsAt = optionalDate(key.startDateTime);
    return {
      id: credentialIds.appCertificate(app.appId, key.keyId),
      kind: 'certificate',
      label: key.displayName ?? key.keyId,
      appId: app.appId,
      keyId: key.keyId,
      ...(startsAt ? { startsAt } : {}),
      expiresAt: new Date(key.endDateTime),
    };
  });
  return [...passwords, ...certificates];
}

function keyVaultCredential(secret: SecretSummary & { expiresOn: Date }): MonitoredCredential {
  return {
    id: credentialIds.keyVaultSecret(secret.name),
    kind: 'key-vault-secret',
    label: secret.name,
    ...(secret.tags.appId !== undefined ? { appId: secret.tags.appId } : {}),
    ...(secret.tags.keyId !== undefined ? { keyId: secret.tags.keyId } : {}),
    expiresAt: secret.expiresOn,
    managedByKeyrelay: secret.tags.managedBy === 'keyrelay',
  };
}

/**
 * Without Graph, the client secret is known only through its Key Vault copy: watch it as the app's
 * client secret (same ledger id as Graph's view when the keyId tag is there, so no alert repeats).
 */
function clientSecretFromKeyVault(secret: SecretSummary & { expiresOn: Date }, appId: string): MonitoredCredential {
  const keyId = secret.tags.keyId;
  return {
    id: keyId !== undefined ? credentialIds.appPassword(appId, keyId) : credentialIds.keyVaultSecret(secret.name),
    kind: 'client-secret',
    label: secret.name,
    appId,
    ...(keyId !== undefined ? { keyId } : {}),
    expiresAt: secret.expiresOn,
    managedByKeyrelay: secret.tags.managedBy === 'keyrelay',
    inUse: true,
  };
}

function hasExpiry(secret: SecretSummary): secret is SecretSummary & { expiresOn: Date } {
  return secret.expiresOn !== undefined;
}

/** `app`: the monitor run's own read of the app registration, reused instead of a second Graph call. */
export async function discoverCredentials(
  deps: DiscoveryDependencies,
  given: { app?: AppLookup } = {},
): Promise<Discovery> {
  const { config } = deps;
  const errors: string[] = [];
  const [lookup, secrets, mailboxes] = await Promise.all([
    given.app ?? readApplication(deps.appDirectory, config.oauthClientId),
    listExpiringSecrets(deps.secretStore, errors),
    deps.mailboxRegistry.scan().then(
      (listing) => {
        // Rows an older version or a hand edit left unreadable: skipped, counted, never a reason to stop.
        if (listing.unreadableRows > 0) errors.push(`mailbox_rows_unreadable:${listing.unreadableRows}`);
        return listing.records;
      },
      () => {
        errors.push('mailbox_registry_unavailable');
        return [] as MailboxRecord[];
      },
    ),
  ]);
  const keyVaultSecrets = secrets.filter(hasExpiry);
  const clientSecret = keyVaultSecrets.find((secret) => secret.name === config.oauthClientSecretName);

  if (lookup.ok) {
    const { app } = lookup;
    const inUse =
      config.oauthClientCredential === 'federated'
        ? NO_PASSWORD_IN_USE
        : await inUseKeyId(app, clientSecret, deps, errors);
    return {
      app: { appId: app.appId, tenantId: config.azureTenantId, displayName: app.displayName },
      appObjectId: app.id,
      credentials: [...appCredentials(app, inUse), ...keyVaultSecrets.map(keyVaultCredential)],
      mailboxes,
      errors,
    };
  }

  errors.push(lookup.status === 403 ? 'graph_permission_missing' : `graph_unavailable:${lookup.status}:${lookup.code}`);
  const credentials = keyVaultSecrets.map((secret) =>
    secret === clientSecret ? clientSecretFromKeyVault(secret, config.oauthClientId) : keyVaultCredential(secret),
  );
  return {
    app: { appId: config.oauthClientId, tenantId: config.azureTenantId, displayName: config.oauthClientId },
    credentials,
    mailboxes,
    ...(lookup.status === 403 ? { missingPermission: APP_READ_PERMISSION } : {}),
    errors,
  };
}
