// Client authentication with a federated assertion (RFC 7523 `client_assertion_type=…jwt-bearer`), as
// Entra does it for workload identity federation: the assertion is a token this emulator issued to a
// workload identity (a managed identity asking for `api://AzureADTokenExchange`), and it authenticates an
// application only when its iss, sub and aud match one of the application's federated identity
// credentials. Refusals carry Entra's codes: AADSTS700211 (no credential trusts the issuer), AADSTS700024
// (assertion expired or not yet valid), AADSTS70021 (no credential matches issuer + subject + audience).
import { compactVerify, decodeJwt, type CryptoKey, type KeyObject } from 'jose';
import type { CloudClock, EmulatedApplication, EmulatedServicePrincipal } from './context.js';
import { EntraError, invalidRequest } from './entraErrors.js';

export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const FEDERATION_DOCS = 'https://learn.microsoft.com/entra/workload-id/workload-identity-federation';
/** Microsoft's token-exchange audiences (public, US Gov, China): what a managed identity's assertion is for. */
const TOKEN_EXCHANGE_AUDIENCES = new Set([
  'api://AzureADTokenExchange',
  'api://AzureADTokenExchangeUSGov',
  'api://AzureADTokenExchangeChina',
]);

export function isTokenExchangeAudience(audience: string): boolean {
  return TOKEN_EXCHANGE_AUDIENCES.has(audience);
}

/**
 * The object (principal) id of a workload identity. A managed identity's object id differs from its client
 * id, and a federated credential's subject is the object id: the emulator keeps them apart so that a
 * subject set to the client id fails here as it does in Entra.
 */
export function workloadIdentityObjectId(identity: Pick<EmulatedServicePrincipal, 'objectId'>): string {
  return identity.objectId;
}

const epoch = (seconds: number): string => new Date(seconds * 1000).toISOString();

/**
 * Checks `client_assertion` for `application`; resolves when Entra would accept it, else throws the
 * EntraError Entra answers. `verificationKey` is the emulator's token-signing key.
 */
export async function verifyFederatedClientAssertion(
  application: EmulatedApplication,
  form: URLSearchParams,
  verificationKey: CryptoKey | KeyObject | Uint8Array,
  clock: CloudClock,
): Promise<void> {
  if (form.get('client_assertion_type') !== JWT_BEARER_ASSERTION_TYPE) {
    throw invalidRequest(7000219, `'client_assertion_type' must be '${JWT_BEARER_ASSERTION_TYPE}'.`);
  }
  const assertion = form.get('client_assertion') ?? '';
  let claims: ReturnType<typeof decodeJwt>;
  try {
    claims = decodeJwt(assertion);
  } catch {
    throw new EntraError(401, 'invalid_client', 50027, 'JWT token is invalid or malformed.');
  }
  const issuer = typeof claims.iss === 'string' ? claims.iss : '';
  const credentials = application.federatedIdentityCredentials ?? [];
  if (!credentials.some((c) => c.issuer === issuer)) {
    throw new EntraError(
      401,
      'invalid_client',
      700211,
      `No matching federated identity record found for presented assertion issuer '${issuer}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${FEDERATION_DOCS}`,
    );
  }
  try {
    await compactVerify(assertion, verificationKey, { algorithms: ['RS256'] });
  } catch {
    throw new EntraError(401, 'invalid_client', 700027, 'Client assertion failed signature validation.');
  }
  const now = Math.floor(clock.now().getTime() / 1000);
  const notBefore = typeof claims.nbf === 'number' ? claims.nbf : (claims.iat ?? 0);
  const expiry = typeof claims.exp === 'number' ? claims.exp : 0;
  if (expiry <= now || notBefore > now) {
    throw new EntraError(
      401,
      'invalid_client',
      700024,
      `Client assertion is not within its valid time range. Current time: ${epoch(now)}, assertion valid from ${epoch(notBefore)}, expiry time of assertion ${epoch(expiry)}.`,
    );
  }
  const subject = typeof claims.sub === 'string' ? claims.sub : '';
  const audiences = Array.isArray(claims.aud) ? claims.aud : typeof claims.aud === 'string' ? [claims.aud] : [];
  // Since 2025 Entra compares issuer, subject and audience case-sensitively.
  const match = credentials.some(
    (c) => c.issuer === issuer && c.subject === subject && c.audiences.some((a) => audiences.includes(a)),
  );
  if (!match) {
    throw invalidRequest(
      70021,
      `No matching federated identity record found for presented assertion. Assertion Issuer: '${issuer}'. Assertion Subject: '${subject}'. Assertion Audience: '${audiences.join(',')}'. ${FEDERATION_DOCS}`,
    );
  }
}
