import { describe, expect, it } from 'vitest';
import { mailboxCacheSecretName } from '#src/shared/domain/connect/idTokenClaims.js';
import { cachedMailboxAccount, isMailboxCacheName } from '#src/shared/domain/mailboxes/mailboxCache.js';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const OID = '00000000-0000-0000-66f3-3332eca7ea81';
const NAME = mailboxCacheSecretName(TID, OID);

function cache(accounts: Record<string, unknown>): string {
  return JSON.stringify({ Account: accounts, AccessToken: {}, RefreshToken: {}, IdToken: {}, AppMetadata: {} });
}

const account = {
  home_account_id: `${OID}.${TID}`,
  environment: 'login.microsoftonline.com',
  realm: TID,
  local_account_id: OID,
  username: 'Mario.Rossi@Contoso.com',
  authority_type: 'MSSTS',
};

describe('cachedMailboxAccount', () => {
  it('reads the identity and the canonical address from the one Account entry', () => {
    expect(cachedMailboxAccount(NAME, cache({ key: account }))).toEqual({
      tenantId: TID,
      objectId: OID,
      upn: 'mario.rossi@contoso.com',
    });
  });

  it('answers undefined for text that is not an MSAL cache, or one without exactly one account', () => {
    expect(cachedMailboxAccount(NAME, 'not json')).toBeUndefined();
    expect(cachedMailboxAccount(NAME, '[]')).toBeUndefined();
    expect(cachedMailboxAccount(NAME, cache({}))).toBeUndefined();
    expect(
      cachedMailboxAccount(NAME, cache({ a: account, b: { ...account, username: 'other@contoso.com' } })),
    ).toBeUndefined();
  });

  it('answers undefined when the account is incomplete or contradicts itself', () => {
    expect(cachedMailboxAccount(NAME, cache({ key: { ...account, username: undefined } }))).toBeUndefined();
    expect(cachedMailboxAccount(NAME, cache({ key: { ...account, username: 'not an address' } }))).toBeUndefined();
    expect(cachedMailboxAccount(NAME, cache({ key: { ...account, home_account_id: OID } }))).toBeUndefined();
    expect(cachedMailboxAccount(NAME, cache({ key: { ...account, realm: 'another-tenant' } }))).toBeUndefined();
  });

  it("answers undefined for a cache stored under a name that is not its identity's digest", () => {
    expect(cachedMailboxAccount(`mbx-${'0'.repeat(64)}`, cache({ key: account }))).toBeUndefined();
  });
});

describe('isMailboxCacheName', () => {
  it('accepts only mbx- followed by a SHA-256 hex digest', () => {
    expect(isMailboxCacheName(NAME)).toBe(true);
    expect(isMailboxCacheName('mbx-abc')).toBe(false);
    expect(isMailboxCacheName('oauth-client-secret')).toBe(false);
    expect(isMailboxCacheName(`mbx-${'A'.repeat(64)}`)).toBe(false);
  });
});
