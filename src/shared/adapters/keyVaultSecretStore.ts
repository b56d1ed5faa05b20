// SecretStore on Azure Key Vault (@azure/keyvault-secrets). Values pass through, never into a log or an
// error message: errors name the operation and the secret name only.
import type { TokenCredential } from '@azure/identity';
import { SecretClient, type SecretProperties } from '@azure/keyvault-secrets';
import type { DeletableSecretStore, SecretSummary, SecretTags, SecretValue, SetSecretOptions } from '../ports/index.js';
import type { RequestBudget } from '../domain/requestBudget.js';
import { isMicrosoftKeyVaultHost } from './cloudEndpoints.js';
import { statusCodeOf, toStoreError } from './storeErrors.js';

export interface KeyVaultSecretStoreOptions {
  /** SDK retries of 429/5xx before the store reports unavailable (SDK default 3). */
  maxRetries?: number;
  /**
   * Pauses before resuming a listing whose page still failed after the SDK's retries (throttling that
   * outlasts them): the caller keeps what it already received and gets the rest.
   */
  listingResumePausesMs?: readonly number[];
  /** Waits between those attempts; tests inject one that does not sleep. */
  wait?: (ms: number) => Promise<void>;
  /** Paces listing pages (the monitor's bulk reads), so background work keeps within a share of the vault's throttling limit. */
  listingBudget?: RequestBudget;
}

/** About half a minute in all: within a monitor run's budget, past a typical Retry-After. */
export const DEFAULT_LISTING_RESUME_PAUSES_MS: readonly number[] = [2_000, 8_000, 20_000];
/** Key Vault finishes a delete or a recovery within seconds; poll at this pace meanwhile. */
const POLL_INTERVAL_MS = 500;

export function createKeyVaultSecretStore(
  config: { keyVaultUrl: string },
  credential: TokenCredential,
  options: KeyVaultSecretStoreOptions = {},
): DeletableSecretStore {
  const client = new SecretClient(config.keyVaultUrl, credential, {
    // WARNING: verification stops a Microsoft vault from sending our token to another resource; it can
    // only work for Microsoft hosts, so it is off exactly for the vault hosts DESIGN §4 trusts as given.
    disableChallengeResourceVerification: !isMicrosoftKeyVaultHost(config.keyVaultUrl),
    ...(options.maxRetries !== undefined && { retryOptions: { maxRetries: options.maxRetries } }),
  });

  async function readSecret(name: string, version: string | undefined): Promise<SecretValue | undefined> {
    try {
      const secret = await client.getSecret(name, version === undefined ? {} : { version });
      return {
        name: secret.name,
        value: secret.value ?? '',
        version: secret.properties.version ?? '',
        tags: { ...secret.properties.tags },
        ...optionalFields(secret.properties),
        updatedOn: updatedOnOf(secret.properties),
        enabled: secret.properties.enabled !== false,
      };
    } catch (err) {
      if (statusCodeOf(err) === 404) return undefined;
      throw toStoreError(err, version === undefined ? `read secret ${name}` : `read secret ${name} version ${version}`);
    }
  }

  return {
    getSecret(name: string): Promise<SecretValue | undefined> {
      return readSecret(name, undefined);
    },

    getSecretVersion(name: string, version: string): Promise<SecretValue | undefined> {
      return readSecret(name, version);
    },

    async setSecret(name: string, value: string, setOptions: SetSecretOptions = {}): Promise<{ version: string }> {
      try {
        const secret = await client.setSecret(name, value, {
          ...(setOptions.tags !== undefined && { tags: setOptions.tags }),
          ...(setOptions.expiresOn !== undefined && { expiresOn: setOptions.expiresOn }),
          ...(setOptions.contentType !== undefined && { contentType: setOptions.contentType }),
        });
        return { version: secret.properties.version ?? '' };
      } catch (err) {
        throw toStoreError(err, `write secret ${name}`);
      }
    },

    async *listSecretProperties(): AsyncIterable<SecretSummary> {
      const pauses = options.listingResumePausesMs ?? DEFAULT_LISTING_RESUME_PAUSES_MS;
      const wait = options.wait ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
      // The SDK's pages do not expose their nextLink, so a resumed listing starts over and skips what it
      // already yielded: a few more list requests, nothing read twice by the caller.
      const yielded = new Set<string>();
      for (let failures = 0; ;) {
        const pages = client.listPropertiesOfSecrets().byPage()[Symbol.asyncIterator]();
        try {
          for (;;) {
            // One page is one Key Vault request: paced by the listing budget.
            await options.listingBudget?.take();
            const page = await pages.next();
            if (page.done) return;
            for (const properties of page.value) {
              if (yielded.has(properties.name)) continue;
              yielded.add(properties.name);
              yield {
                name: properties.name,
                ...(properties.version !== undefined && { version: properties.version }),
                enabled: properties.enabled !== false,
                ...(properties.expiresOn !== undefined && { expiresOn: properties.expiresOn }),
                updatedOn: updatedOnOf(properties),
                tags: { ...properties.tags },
              };
            }
          }
        } catch (err) {
          const status = statusCodeOf(err);
          const pause = pauses[failures];
          // Throttling or an outage that outlasted the SDK's retries: pause and go on; anything else ends it.
          if (pause === undefined || (status !== undefined && status !== 429 && status < 500))
            throw toStoreError(err, 'list secrets');
          failures += 1;
          await wait(pause);
        }
      }
    },

    deleteSecret(name: string): Promise<boolean> {
      // Waits until the vault reports the secret deleted, so that a recovery right after finds it.
      return untilDone(`delete secret ${name}`, () =>
        client.beginDeleteSecret(name, { intervalInMs: POLL_INTERVAL_MS }),
      );
    },

    recoverDeletedSecret(name: string): Promise<boolean> {
      return untilDone(`recover secret ${name}`, () =>
        client.beginRecoverDeletedSecret(name, { intervalInMs: POLL_INTERVAL_MS }),
      );
    },

    async updateSecretTags(name: string, version: string, tags: SecretTags): Promise<void> {
      try {
        await client.updateSecretProperties(name, version, { tags });
      } catch (err) {
        throw toStoreError(err, `update tags of secret ${name}`);
      }
    },
  };
}

/** Runs a long-running Key Vault operation to its end; false when the secret was not there (404). */
async function untilDone(
  operation: string,
  start: () => Promise<{ pollUntilDone(): Promise<unknown> }>,
): Promise<boolean> {
  try {
    await (await start()).pollUntilDone();
    return true;
  } catch (err) {
    if (statusCodeOf(err) === 404) return false;
    throw toStoreError(err, operation);
  }
}

function optionalFields(properties: SecretProperties): Pick<SecretValue, 'contentType' | 'expiresOn'> {
  return {
    ...(properties.contentType !== undefined && { contentType: properties.contentType }),
    ...(properties.expiresOn !== undefined && { expiresOn: properties.expiresOn }),
  };
}

// Key Vault always sends `updated`; the epoch stands for "unknown" should a proxy drop it.
function updatedOnOf(properties: SecretProperties): Date {
  return properties.updatedOn ?? properties.createdOn ?? new Date(0);
}
