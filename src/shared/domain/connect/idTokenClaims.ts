// MSAL Node only decodes the id token (FACTS.md): it checks the nonce but not iss, aud, exp or tid.
// These checks run on the claims of the token received straight from the token endpoint over TLS
// (OpenID Connect Core §3.1.3.7), which is why no signature check is needed here.
import { createHash } from 'node:crypto';
import { constantTimeEqual } from './authCookie.js';
import { canonicalMailboxAddress } from './loginHint.js';

export type IdTokenErrorCode =
  | 'id_token_missing_claim'
  | 'id_token_invalid_tid'
  | 'id_token_invalid_oid'
  | 'id_token_issuer_mismatch'
  | 'id_token_audience_mismatch'
  | 'id_token_nonce_mismatch'
  | 'id_token_expired'
  | 'id_token_not_yet_valid'
  | 'id_token_tenant_not_allowed'
  | 'id_token_invalid_upn';

export interface ExpectedIdToken {
  clientId: string;
  nonce: string;
  /** e.g. `https://login.microsoftonline.com`; a trailing slash is ignored. */
  authorityHost: string;
  /** OAUTH_TENANT: `organizations`, `common`, a tenant GUID, or a domain (enforced by the authority only). */
  allowedTenant: string;
  now: Date;
  clockSkewSeconds?: number;
}

/** The signed-in mailbox, as proven by a validated id token. */
export interface MailboxIdentity {
  tid: string;
  oid: string;
  /** `preferred_username` in canonical form (NFKC, ASCII address shape, lower case): an alias, never a key. */
  upn: string;
  name?: string;
}

export type IdTokenValidation =
  { ok: true; identity: MailboxIdentity } | { ok: false; code: IdTokenErrorCode; claim: string };

export const DEFAULT_CLOCK_SKEW_SECONDS = 300;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// The tenant of personal Microsoft accounts: never a Microsoft 365 work mailbox.
const CONSUMER_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';
const MAX_UPN_LENGTH = 256;

function fail(code: IdTokenErrorCode, claim: string): IdTokenValidation {
  return { ok: false, code, claim };
}

function audienceMatches(aud: unknown, azp: unknown, clientId: string): boolean {
  if (typeof aud === 'string') return aud === clientId;
  if (!Array.isArray(aud) || !aud.includes(clientId)) return false;
  // OpenID Connect Core §3.1.3.7 (3)-(5): several audiences require azp to name us.
  return aud.length === 1 || azp === clientId;
}

function tenantAllowed(tid: string, allowedTenant: string): boolean {
  const allowed = allowedTenant.toLowerCase();
  if (allowed === 'common') return true;
  if (allowed === 'organizations') return tid !== CONSUMER_TENANT_ID;
  if (GUID.test(allowed)) return tid === allowed;
  // A domain name cannot be compared with a tid here; the authority URL already limits sign-in to it.
  return tid !== CONSUMER_TENANT_ID;
}

/**
 * Hosts that sign the v2 `iss` for a sign-in host. The China cloud (21Vianet) signs in at
 * login.chinacloudapi.cn but issues tokens as login.partner.microsoftonline.cn (its discovery document's
 * `issuer`); every other cloud, and any host trusted as given, issues under its own host.
 */
const ISSUER_HOSTS: Readonly<Record<string, readonly string[]>> = {
  'https://login.chinacloudapi.cn': ['https://login.partner.microsoftonline.cn', 'https://login.chinacloudapi.cn'],
};

export function issuerHostsOf(authorityHost: string): readonly string[] {
  const host = authorityHost.replace(/\/+$/, '');
  return ISSUER_HOSTS[host.toLowerCase()] ?? [host];
}

export function validateIdTokenClaims(claims: Record<string, unknown>, expected: ExpectedIdToken): IdTokenValidation {
  const { tid, iss, aud, azp, nonce, exp, nbf, oid, preferred_username: preferredUsername, name } = claims;
  const skew = expected.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  const nowSeconds = expected.now.getTime() / 1000;

  if (tid === undefined) return fail('id_token_missing_claim', 'tid');
  if (typeof tid !== 'string' || !GUID.test(tid)) return fail('id_token_invalid_tid', 'tid');
  if (iss === undefined) return fail('id_token_missing_claim', 'iss');
  // Multi-tenant apps must check the issuer against the token's own tenant (Entra's "validate issuer").
  if (!issuerHostsOf(expected.authorityHost).some((host) => iss === `${host}/${tid}/v2.0`))
    return fail('id_token_issuer_mismatch', 'iss');
  if (aud === undefined) return fail('id_token_missing_claim', 'aud');
  if (!audienceMatches(aud, azp, expected.clientId)) return fail('id_token_audience_mismatch', 'aud');
  if (nonce === undefined) return fail('id_token_missing_claim', 'nonce');
  if (typeof nonce !== 'string' || !constantTimeEqual(nonce, expected.nonce)) {
    return fail('id_token_nonce_mismatch', 'nonce');
  }
  if (exp === undefined) return fail('id_token_missing_claim', 'exp');
  if (typeof exp !== 'number' || !Number.isFinite(exp) || nowSeconds >= exp + skew)
    return fail('id_token_expired', 'exp');
  if (nbf !== undefined && (typeof nbf !== 'number' || nowSeconds < nbf - skew))
    return fail('id_token_not_yet_valid', 'nbf');
  const tenantId = tid.toLowerCase();
  if (!tenantAllowed(tenantId, expected.allowedTenant)) return fail('id_token_tenant_not_allowed', 'tid');
  if (oid === undefined) return fail('id_token_missing_claim', 'oid');
  if (typeof oid !== 'string' || !GUID.test(oid)) return fail('id_token_invalid_oid', 'oid');
  if (typeof preferredUsername !== 'string' || preferredUsername === '' || preferredUsername.length > MAX_UPN_LENGTH) {
    return fail('id_token_missing_claim', 'preferred_username');
  }
  // The same rule as a loginHint: a look-alike or a non-address is refused before any use.
  const address = canonicalMailboxAddress(preferredUsername);
  if (!address.ok) return fail('id_token_invalid_upn', 'preferred_username');

  return {
    ok: true,
    identity: {
      tid: tenantId,
      oid: oid.toLowerCase(),
      upn: address.address,
      ...(typeof name === 'string' && name !== '' ? { name } : {}),
    },
  };
}

// Key Vault secret names allow only [0-9A-Za-z-] and 127 characters (DESIGN §5); a digest also keeps
// personal data out of the name. `mbx-` + 64 hex = 68 characters.
const KEY_VAULT_NAME_LIMIT = 127;

export function mailboxCacheSecretName(tid: string, oid: string): string {
  const digest = createHash('sha256').update(`${tid.toLowerCase()}.${oid.toLowerCase()}`, 'utf8').digest('hex');
  return `mbx-${digest}`.slice(0, KEY_VAULT_NAME_LIMIT);
}
