// The key of the auth cookie (DESIGN §5: Key Vault secret `cookie-key`, created on first use). Every
// instance seals with the latest version it knows and opens the versions it can find: when two instances
// create the key at the same moment, each cookie names the version that sealed it, so a callback landing
// on the other instance still opens. The key never leaves this module except as bytes to the cipher.
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '#src/shared/domain/clock.js';
import { AUTH_COOKIE_KEY_BYTES } from '#src/shared/domain/connect/authCookie.js';
import { InternalError } from '#src/shared/errors.js';
import { isStoreConflict, type SecretStore, type SecretValue } from '#src/shared/ports/index.js';

export const COOKIE_KEY_SECRET_NAME = 'cookie-key';

export interface CookieKey {
  version: string;
  key: Uint8Array;
}

// Key Vault versions are 32 lowercase hex characters; anything else in a cookie is refused before any lookup.
const KEY_VERSION = /^[0-9a-f]{32}$/;
// A cookie naming a version this instance does not know costs at most one Key Vault read: while that
// read runs, and for a minute after one that found nothing, other unknown versions are refused unread,
// so forged values cannot turn anonymous callbacks into Key Vault traffic. Real versions, once found,
// are remembered; there are only as many as instances that raced to create the key.
const UNKNOWN_VERSION_PAUSE_MS = 60_000;

export class CookieKeyring {
  private current: Promise<CookieKey> | undefined;
  private readonly byVersion = new Map<string, Promise<Uint8Array | undefined>>();
  private unknownLookupInFlight = false;
  private unknownLookupsPausedUntil = 0;

  constructor(
    private readonly secrets: SecretStore,
    private readonly clock: Clock = systemClock,
  ) {}

  /** The key new cookies are sealed with; created in Key Vault when there is none yet. */
  currentKey(): Promise<CookieKey> {
    if (this.current === undefined) {
      const loading = this.loadOrCreate();
      this.current = loading;
      loading.then(
        (current) => this.byVersion.set(current.version, Promise.resolve(current.key)),
        () => undefined,
      );
      // A failed read must not stick for the life of the instance.
      loading.catch(() => {
        if (this.current === loading) this.current = undefined;
      });
    }
    return this.current;
  }

  /**
   * The key of `version`, or undefined when no such version exists (a forged or foreign cookie) or when
   * unknown versions are paused. Only reads: a callback never creates the key.
   */
  async keyOfVersion(version: string): Promise<Uint8Array | undefined> {
    if (!KEY_VERSION.test(version)) return undefined;
    const known = this.byVersion.get(version);
    if (known !== undefined) return known;
    if (this.unknownLookupInFlight || this.clock.now().getTime() < this.unknownLookupsPausedUntil) return undefined;
    this.unknownLookupInFlight = true;
    const pending = this.secrets
      .getSecretVersion(COOKIE_KEY_SECRET_NAME, version)
      .then((secret) => (secret === undefined ? undefined : keyOf(secret)));
    this.byVersion.set(version, pending);
    try {
      const key = await pending;
      if (key === undefined) this.pauseUnknownLookups(version);
      return key;
    } catch (error) {
      this.pauseUnknownLookups(version);
      throw error;
    } finally {
      this.unknownLookupInFlight = false;
    }
  }

  private pauseUnknownLookups(version: string): void {
    this.byVersion.delete(version);
    this.unknownLookupsPausedUntil = this.clock.now().getTime() + UNKNOWN_VERSION_PAUSE_MS;
  }

  private async loadOrCreate(): Promise<CookieKey> {
    const existing = await this.secrets.getSecret(COOKIE_KEY_SECRET_NAME);
    if (existing !== undefined) return { version: existing.version, key: keyOf(existing) };
    const value = randomBytes(AUTH_COOKIE_KEY_BYTES).toString('base64');
    try {
      const { version } = await this.secrets.setSecret(COOKIE_KEY_SECRET_NAME, value, {
        contentType: 'application/octet-stream; encoding=base64',
        tags: { kind: 'cookie-key', managedBy: 'keyrelay' },
      });
      return { version, key: Buffer.from(value, 'base64') };
    } catch (error) {
      // Another instance wrote the first version at the same moment: use whatever is latest now.
      if (!isStoreConflict(error)) throw error;
      const written = await this.secrets.getSecret(COOKIE_KEY_SECRET_NAME);
      if (written === undefined) throw error;
      return { version: written.version, key: keyOf(written) };
    }
  }
}

function keyOf(secret: SecretValue): Uint8Array {
  const key = Buffer.from(secret.value, 'base64');
  if (key.length !== AUTH_COOKIE_KEY_BYTES || key.toString('base64') !== secret.value.trim()) {
    throw new InternalError({
      message: `secret ${COOKIE_KEY_SECRET_NAME} version ${secret.version} is not ${AUTH_COOKIE_KEY_BYTES} bytes of base64`,
    });
  }
  return key;
}
