// The OAuth client's credential in `federated` mode (DESIGN §2): keyrelay's managed identity is a
// federated identity credential of the app registration, so the client assertion MSAL sends is the
// identity's own token for `<FEDERATED_TOKEN_AUDIENCE>/.default`. @azure/identity caches that token and
// renews it before it expires; no secret exists anywhere.
import type { TokenCredential } from '@azure/identity';
import { decodeJwt } from 'jose';
import { type ClientCredentialSource, OAuthClientError } from '../ports/index.js';
import type { FederatedIdentityClaims } from '../ports/index.js';

/** keyrelay's error code when its own identity cannot get the assertion (no Entra code exists for it). */
export const IDENTITY_TOKEN_UNAVAILABLE = 'managed_identity_token_unavailable';

export const FEDERATED_SETUP_COMMAND = 'npm run setup -- --federated';

/** Public text: what an administrator must do when Entra refuses the identity's assertion. */
export function federatedCredentialFix(errorCode: string, audience: string): string | undefined {
  switch (errorCode) {
    case IDENTITY_TOKEN_UNAVAILABLE:
      return `keyrelay's managed identity could not get a token for ${audience}: assign the user-assigned identity to the Function App and set AZURE_CLIENT_ID to its client id, or set OAUTH_CLIENT_CREDENTIAL=secret where no managed identity exists (outside Azure).`;
    case 'AADSTS700211':
      return `no federated credential of the app registration trusts the issuer of keyrelay's managed identity (removed, or the identity is in another tenant): run \`${FEDERATED_SETUP_COMMAND}\` in the app registration's tenant.`;
    case 'AADSTS70021':
    case 'AADSTS700213':
    case 'AADSTS7002137':
    case 'AADSTS7002138':
      return `the app registration's federated credential does not match keyrelay's managed identity (subject = the identity's object id, audience ${audience}): run \`${FEDERATED_SETUP_COMMAND}\` to repair it.`;
    case 'AADSTS700024':
      return "the managed identity's token had expired when Entra ID received it: check the clock of the host, then retry.";
    default:
      return `Entra ID refused keyrelay's federated credential: run \`npm run doctor\` to see why, and \`${FEDERATED_SETUP_COMMAND}\` to repair it.`;
  }
}

/** The identity's token for the exchange audience; when it cannot get one, a refusal that names the fix. */
async function identityToken(identity: TokenCredential, audience: string): Promise<string> {
  const unavailable = (cause?: unknown): OAuthClientError =>
    new OAuthClientError(
      {
        kind: 'invalid_client',
        errorCode: IDENTITY_TOKEN_UNAVAILABLE,
        fix: federatedCredentialFix(IDENTITY_TOKEN_UNAVAILABLE, audience),
      },
      cause === undefined ? undefined : { cause },
    );
  let token: Awaited<ReturnType<TokenCredential['getToken']>>;
  try {
    token = await identity.getToken(`${audience}/.default`);
  } catch (error) {
    throw unavailable(error);
  }
  if (!token) throw unavailable();
  return token.token;
}

export function createFederatedClientCredential(identity: TokenCredential, audience: string): ClientCredentialSource {
  // The callback asks the identity each time (its cache answers); a "reload" has nothing newer to read.
  const credential = Promise.resolve({ clientAssertion: () => identityToken(identity, audience) });
  return {
    getCredential: () => credential,
    reloadCredential: () => credential,
    fixFor: (errorCode) => federatedCredentialFix(errorCode, audience),
  };
}

/**
 * Reads issuer and subject from the identity's own exchange token (the same cached token MSAL sends).
 * Not verified here: Entra verifies it on every use; these claims only say what the app must trust.
 */
export async function describeFederatedIdentity(
  identity: TokenCredential,
  audience: string,
): Promise<FederatedIdentityClaims> {
  const claims = decodeJwt(await identityToken(identity, audience));
  return { issuer: String(claims.iss ?? ''), subject: String(claims.sub ?? ''), audience };
}
