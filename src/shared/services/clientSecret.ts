// The OAuth client's credential today: the client secret in Key Vault (DESIGN §5). Read once per
// instance; read again only when Entra says it is no longer valid (a rotation replaced it).
import type { ClientCredentialSource } from '../adapters/msalOAuthClient.js';
import { KeyrelayError } from '../errors.js';
import type { SecretStore } from '../ports.js';

export function createKeyVaultClientCredential(secretStore: SecretStore, secretName: string): ClientCredentialSource {
  let current: Promise<string> | undefined;

  const load = async (): Promise<string> => {
    const secret = await secretStore.getSecret(secretName);
    if (!secret?.value) {
      throw new KeyrelayError('client_secret_missing', 503, 'keyrelay has no client secret in Key Vault yet: run `npm run setup`.');
    }
    return secret.value;
  };

  const getClientSecret = (): Promise<string> => {
    if (!current) {
      current = load();
      // A failed read must not stick for the life of the instance.
      current.catch(() => (current = undefined));
    }
    return current;
  };

  return {
    getClientSecret,
    reloadClientSecret: () => {
      current = undefined;
      return getClientSecret();
    },
  };
}
