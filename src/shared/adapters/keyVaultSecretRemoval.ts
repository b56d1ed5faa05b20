// Deleting one Key Vault secret (soft delete: recoverable for the vault's retention period). Only the
// federated migration uses it, for the client secret that `federated` mode no longer needs.
import type { TokenCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { isMicrosoftKeyVaultHost } from './cloudEndpoints.js';
import { statusCodeOf, toStoreError } from './storeErrors.js';

export function createKeyVaultSecretRemover(
  config: { keyVaultUrl: string },
  credential: TokenCredential,
): (name: string) => Promise<'deleted' | 'not_found'> {
  const client = new SecretClient(config.keyVaultUrl, credential, {
    // WARNING: as in keyVaultSecretStore.ts, off only for vault hosts DESIGN §4 trusts as given.
    disableChallengeResourceVerification: !isMicrosoftKeyVaultHost(config.keyVaultUrl),
  });
  return async (name) => {
    try {
      const poller = await client.beginDeleteSecret(name);
      await poller.pollUntilDone();
      return 'deleted';
    } catch (error) {
      if (statusCodeOf(error) === 404) return 'not_found';
      throw toStoreError(error, `delete secret ${name}`);
    }
  };
}
