import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type SecretStore, type SecretValue, StoreConflictError } from '#src/shared/ports/index.js';
import { InternalError } from '#src/shared/errors.js';
import { COOKIE_KEY_SECRET_NAME, CookieKeyring } from '#src/shared/services/connect/cookieKeyring.js';
import { InMemorySecretStore } from '../../../../fakes/index.js';

/** A store whose first read of the latest version comes too early to see another instance's write. */
class FirstReadMisses implements SecretStore {
  private missed = false;
  constructor(private readonly inner: SecretStore) {}
  getSecret(name: string): Promise<SecretValue | undefined> {
    if (this.missed) return this.inner.getSecret(name);
    this.missed = true;
    return Promise.resolve(undefined);
  }
  getSecretVersion = (name: string, version: string) => this.inner.getSecretVersion(name, version);
  setSecret: SecretStore['setSecret'] = (name, value, options) => this.inner.setSecret(name, value, options);
  listSecretProperties = () => this.inner.listSecretProperties();
  updateSecretTags: SecretStore['updateSecretTags'] = (name, version, tags) =>
    this.inner.updateSecretTags(name, version, tags);
}

describe('CookieKeyring', () => {
  it('creates a 32-byte key on first use and then serves it from memory', async () => {
    const secrets = new InMemorySecretStore();
    const keyring = new CookieKeyring(secrets);
    const first = await keyring.currentKey();
    const second = await keyring.currentKey();
    expect(first.key).toHaveLength(32);
    expect(second).toBe(first);
    expect(secrets.calls).toMatchObject({ getSecret: 1, setSecret: 1 });
  });

  it('uses the key another instance already stored', async () => {
    const secrets = new InMemorySecretStore();
    const { version } = await secrets.setSecret(COOKIE_KEY_SECRET_NAME, Buffer.alloc(32, 7).toString('base64'));
    const current = await new CookieKeyring(secrets).currentKey();
    expect(current).toEqual({ version, key: Buffer.alloc(32, 7) });
    expect(secrets.versionCount(COOKIE_KEY_SECRET_NAME)).toBe(1);
  });

  it('takes the winner when Key Vault answers 409 to a parallel first write', async () => {
    const secrets = new InMemorySecretStore();
    const won = await new CookieKeyring(secrets).currentKey();
    // This instance read "no key" just before the winner wrote, and then loses the write race.
    secrets.failNext('setSecret', new StoreConflictError('write secret cookie-key: conflicting write (HTTP 409)', 409));
    expect(await new CookieKeyring(new FirstReadMisses(secrets)).currentKey()).toEqual(won);
    expect(secrets.versionCount(COOKIE_KEY_SECRET_NAME)).toBe(1);
  });

  it('finds an older version by id, once, and answers undefined for malformed or unknown versions without writing', async () => {
    const secrets = new InMemorySecretStore();
    const { version: older } = await secrets.setSecret(COOKIE_KEY_SECRET_NAME, Buffer.alloc(32, 1).toString('base64'));
    await secrets.setSecret(COOKIE_KEY_SECRET_NAME, Buffer.alloc(32, 2).toString('base64'));
    const keyring = new CookieKeyring(secrets);
    expect(await keyring.keyOfVersion(older)).toEqual(Buffer.alloc(32, 1));
    expect(await keyring.keyOfVersion(older)).toEqual(Buffer.alloc(32, 1));
    expect(await keyring.keyOfVersion('0'.repeat(32))).toBeUndefined();
    expect(await keyring.keyOfVersion('0'.repeat(32))).toBeUndefined();
    expect(await keyring.keyOfVersion('../../etc')).toBeUndefined();
    expect(secrets.calls.getSecretVersion).toBe(2);
    expect(secrets.calls.setSecret).toBe(2);
  });

  it('a version that is not 32 lowercase hex characters causes no Key Vault read', async () => {
    const secrets = new InMemorySecretStore();
    const { version } = await secrets.setSecret(COOKIE_KEY_SECRET_NAME, Buffer.alloc(32, 1).toString('base64'));
    const keyring = new CookieKeyring(secrets);
    for (const malformed of [version.toUpperCase(), `${version}0`, version.slice(1), 'f'.repeat(64), 'abc', '']) {
      expect(await keyring.keyOfVersion(malformed)).toBeUndefined();
    }
    expect(secrets.calls.getSecretVersion).toBe(0);
  });

  it('200 forged cookie-key versions, in a row or at once, cause one Key Vault read a minute', async () => {
    const clock = { current: new Date('2026-03-02T09:00:00Z'), now: (): Date => new Date(clock.current) };
    const secrets = new InMemorySecretStore(clock);
    await secrets.setSecret(COOKIE_KEY_SECRET_NAME, Buffer.alloc(32, 1).toString('base64'));
    const keyring = new CookieKeyring(secrets, clock);
    const forged = () => randomBytes(16).toString('hex');
    for (let i = 0; i < 200; i++) expect(await keyring.keyOfVersion(forged())).toBeUndefined();
    expect(secrets.calls.getSecretVersion).toBe(1);

    clock.current = new Date(clock.current.getTime() + 61_000);
    const parallel = await Promise.all(Array.from({ length: 200 }, () => keyring.keyOfVersion(forged())));
    expect(parallel.every((key) => key === undefined)).toBe(true);
    expect(secrets.calls.getSecretVersion).toBe(2);
  });

  it('a real version another instance created is found once and remembered, even while forged versions are paused', async () => {
    const secrets = new InMemorySecretStore();
    const { version: other } = await secrets.setSecret(COOKIE_KEY_SECRET_NAME, Buffer.alloc(32, 3).toString('base64'));
    const keyring = new CookieKeyring(secrets);
    expect(await keyring.keyOfVersion(other)).toEqual(Buffer.alloc(32, 3));
    expect(await keyring.keyOfVersion('0'.repeat(32))).toBeUndefined();
    expect(await keyring.keyOfVersion(other)).toEqual(Buffer.alloc(32, 3));
    expect(secrets.calls.getSecretVersion).toBe(2);
  });

  it('refuses a stored key that is not 32 bytes of base64', async () => {
    const secrets = new InMemorySecretStore();
    await secrets.setSecret(COOKIE_KEY_SECRET_NAME, 'too-short');
    await expect(new CookieKeyring(secrets).currentKey()).rejects.toBeInstanceOf(InternalError);
  });
});
