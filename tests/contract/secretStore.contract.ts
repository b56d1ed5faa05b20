// SecretStore contract (DESIGN §5): Key Vault semantics the services rely on. Run against the fake and
// the Key Vault adapter on the emulator. Names carry a random prefix: a vault may be shared between tests.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type DeletableSecretStore,
  type SecretSummary,
  StoreConflictError,
  StoreRequestError,
} from '#src/shared/ports/index.js';
import type { MakeStore, StoreUnderTest } from './storeHarness.js';

// Key Vault keeps expiry in whole epoch seconds.
const EXPIRES_ON = new Date('2028-11-24T00:00:00.000Z');

export function describeSecretStoreContract(name: string, makeStore: MakeStore<DeletableSecretStore>): void {
  describe(`SecretStore contract: ${name}`, () => {
    let subject: StoreUnderTest<DeletableSecretStore>;
    let secrets: DeletableSecretStore;
    let prefix: string;

    beforeEach(async () => {
      subject = await makeStore();
      secrets = subject.store;
      prefix = `c${randomBytes(4).toString('hex')}`;
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    async function listOurs(): Promise<SecretSummary[]> {
      const found: SecretSummary[] = [];
      for await (const summary of secrets.listSecretProperties())
        if (summary.name.startsWith(prefix)) found.push(summary);
      return found;
    }

    it('answers undefined for a secret that does not exist', async () => {
      expect(await secrets.getSecret(`${prefix}-missing`)).toBeUndefined();
    });

    it('returns what was written: value, tags, expiry, content type, a version', async () => {
      const name = `${prefix}-oauth-client-secret`;
      const { version } = await secrets.setSecret(name, 'Zx8~not-a-real-secret', {
        tags: { appId: 'app-1', keyId: 'key-1', managedBy: 'keyrelay' },
        expiresOn: EXPIRES_ON,
        contentType: 'text/plain',
      });
      expect(version).toMatch(/^[0-9a-f]{32}$/);

      const secret = await secrets.getSecret(name);
      expect(secret).toEqual({
        name,
        value: 'Zx8~not-a-real-secret',
        version,
        tags: { appId: 'app-1', keyId: 'key-1', managedBy: 'keyrelay' },
        contentType: 'text/plain',
        expiresOn: EXPIRES_ON,
        updatedOn: expect.any(Date) as Date,
        enabled: true,
      });
    });

    it('reads the latest version after a second write', async () => {
      const name = `${prefix}-cookie-key`;
      const first = await secrets.setSecret(name, 'first');
      const second = await secrets.setSecret(name, 'second');
      expect(second.version).not.toBe(first.version);
      expect(await secrets.getSecret(name)).toMatchObject({ value: 'second', version: second.version, tags: {} });
    });

    it('reads an older version by its id, and answers undefined for an unknown version', async () => {
      const name = `${prefix}-cookie-key`;
      const first = await secrets.setSecret(name, 'first');
      await secrets.setSecret(name, 'second');
      expect(await secrets.getSecretVersion(name, first.version)).toMatchObject({
        value: 'first',
        version: first.version,
      });
      expect(await secrets.getSecretVersion(name, 'f'.repeat(32))).toBeUndefined();
      expect(await secrets.getSecretVersion(`${prefix}-missing`, first.version)).toBeUndefined();
    });

    it('replaces the tags of a version without writing a new version', async () => {
      const name = `${prefix}-oauth-client-secret`;
      const { version } = await secrets.setSecret(name, 'value', { tags: { appId: 'app-1' } });
      await secrets.updateSecretTags(name, version, { appId: 'app-1', keyId: 'key-7', managedBy: 'keyrelay' });
      expect(await secrets.getSecret(name)).toMatchObject({
        version,
        value: 'value',
        tags: { appId: 'app-1', keyId: 'key-7', managedBy: 'keyrelay' },
      });
    });

    it('refuses to tag a version that does not exist (HTTP 404)', async () => {
      const name = `${prefix}-tagged`;
      await secrets.setSecret(name, 'value');
      const failure = secrets.updateSecretTags(name, '0123456789abcdef0123456789abcdef', { a: 'b' });
      await expect(failure).rejects.toBeInstanceOf(StoreRequestError);
      await expect(failure).rejects.toMatchObject({ statusCode: 404 });
    });

    it('lists every secret across pages, with metadata and never a value', async () => {
      const names = Array.from({ length: 30 }, (_, index) => `${prefix}-mbx-${String(index).padStart(2, '0')}`);
      for (const [index, name] of names.entries()) {
        await secrets.setSecret(name, `cache-${index}`, {
          tags: { kind: 'mailbox-cache' },
          ...(index % 2 === 0 && { expiresOn: EXPIRES_ON }),
        });
      }
      const listed = await listOurs();
      expect(listed.map((summary) => summary.name).sort()).toEqual(names);
      for (const summary of listed) {
        expect(summary).not.toHaveProperty('value');
        expect(JSON.stringify(summary)).not.toContain('cache-');
        expect(summary).toMatchObject({
          enabled: true,
          tags: { kind: 'mailbox-cache' },
          updatedOn: expect.any(Date) as Date,
        });
      }
      const withExpiry = listed.filter((summary) => summary.expiresOn !== undefined);
      expect(withExpiry).toHaveLength(15);
      expect(withExpiry[0]?.expiresOn).toEqual(EXPIRES_ON);
    });

    it('lists a secret once however many versions it has', async () => {
      const name = `${prefix}-versions`;
      for (const value of ['a', 'b', 'c']) await secrets.setSecret(name, value);
      expect((await listOurs()).map((summary) => summary.name)).toEqual([name]);
    });

    it('soft-deletes a secret: gone from reads and lists, its name refused (409) until recovered with its versions', async () => {
      const name = `${prefix}-mbx`;
      await secrets.setSecret(name, 'first');
      await secrets.setSecret(name, 'second');
      expect(await secrets.deleteSecret(name)).toBe(true);
      expect(await secrets.getSecret(name)).toBeUndefined();
      expect(await listOurs()).toEqual([]);
      await expect(secrets.setSecret(name, 'third')).rejects.toBeInstanceOf(StoreConflictError);
      expect(await secrets.recoverDeletedSecret(name)).toBe(true);
      expect((await secrets.getSecret(name))?.value).toBe('second');
      await secrets.setSecret(name, 'third');
      expect((await secrets.getSecret(name))?.value).toBe('third');
    });

    it('answers false when deleting or recovering a secret that is not there', async () => {
      expect(await secrets.deleteSecret(`${prefix}-never`)).toBe(false);
      expect(await secrets.recoverDeletedSecret(`${prefix}-never`)).toBe(false);
    });
  });
}
