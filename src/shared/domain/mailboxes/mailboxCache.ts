// What a mailbox's token cache in Key Vault says about its account (DESIGN §5: losing the tables loses no
// mailbox). Pure: the MSAL cache JSON in, the account it names out, or undefined when it names none.
import { canonicalMailboxAddress } from '../connect/loginHint.js';
import { mailboxCacheSecretName } from '../connect/idTokenClaims.js';

/** `mbx-` + the SHA-256 hex of `tid.oid` (idTokenClaims.ts): a secret of any other shape is not a mailbox cache. */
const MAILBOX_CACHE_NAME = /^mbx-[0-9a-f]{64}$/;

export function isMailboxCacheName(name: string): boolean {
  return MAILBOX_CACHE_NAME.test(name);
}

export interface CachedMailboxAccount {
  tenantId: string;
  objectId: string;
  /** Canonical mailbox address (NFKC, lower case), as the registry and the token service compare it. */
  upn: string;
}

/**
 * The one account of a mailbox cache written under `secretName`. Undefined when the JSON is not an MSAL
 * cache, holds no account or several, or names an identity whose digest is not the secret's name (a cache
 * copied under another name must never lend its tokens to the identity the name stands for).
 */
export function cachedMailboxAccount(secretName: string, serializedCache: string): CachedMailboxAccount | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(serializedCache);
  } catch {
    return undefined;
  }
  if (!isObject(parsed) || !isObject(parsed.Account)) return undefined;
  const accounts = Object.values(parsed.Account);
  if (accounts.length !== 1) return undefined;
  const [entry] = accounts;
  if (!isObject(entry)) return undefined;
  const { home_account_id: homeAccountId, username, realm } = entry;
  if (typeof homeAccountId !== 'string' || typeof username !== 'string' || typeof realm !== 'string') return undefined;
  // MSAL's home account id is `oid.tid` (client_info uid.utid).
  const [objectId, tenantId, ...rest] = homeAccountId.split('.');
  if (objectId === undefined || tenantId === undefined || rest.length > 0 || objectId === '' || tenantId === '')
    return undefined;
  if (tenantId.toLowerCase() !== realm.toLowerCase()) return undefined;
  const address = canonicalMailboxAddress(username);
  if (!address.ok) return undefined;
  if (mailboxCacheSecretName(tenantId, objectId) !== secretName) return undefined;
  return { tenantId, objectId, upn: address.address };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The home account ids (`oid.tid`, lower case) a serialized MSAL cache holds; none when it cannot be read. */
export function homeAccountIdsInCache(serialized: string): string[] {
  try {
    const parsed = JSON.parse(serialized) as { Account?: Record<string, { home_account_id?: unknown }> };
    return Object.values(parsed.Account ?? {})
      .map((account) => (typeof account.home_account_id === 'string' ? account.home_account_id.toLowerCase() : ''))
      .filter((id) => id !== '');
  } catch {
    return [];
  }
}
