// The OAuth client's credential in `secret` mode: the client secret in Key Vault (DESIGN §5). Read once per
// instance; read again only when Entra says it is no longer valid (a rotation replaced it).
import type { ClientCredentialSource, SecretStore } from '../ports/index.js';
import { UpstreamUnavailableError } from '../errors.js';

const MISSING_SECRET_RETRY_AFTER_SECONDS = 300;

export function createKeyVaultClientCredential(secretStore: SecretStore, secretName: string): ClientCredentialSource {
  let current: Promise<string> | undefined;

  const load = async (): Promise<string> => {
    const secret = await secretStore.getSecret(secretName);
    if (!secret?.value) {
      // DESIGN §3: a 503 is upstream_unavailable with Retry-After; the message says what the admin must do.
      throw new UpstreamUnavailableError(
        MISSING_SECRET_RETRY_AFTER_SECONDS,
        'keyrelay has no client secret in Key Vault yet: an administrator must run `npm run setup`.',
        { message: `client secret ${secretName} is missing from Key Vault` },
      );
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
    getCredential: async () => ({ clientSecret: await getClientSecret() }),
    reloadCredential: async () => {
      current = undefined;
      return { clientSecret: await getClientSecret() };
    },
  };
}
