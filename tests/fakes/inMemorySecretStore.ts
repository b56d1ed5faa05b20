// SecretStore in memory: versions, tags, expiry, and a way to make the next calls fail like Key Vault
// does (409 on parallel writes, 429/5xx), for the services' tests.
import { randomBytes } from 'node:crypto';
import {
  type DeletableSecretStore,
  type SecretSummary,
  type SecretTags,
  type SecretValue,
  type SetSecretOptions,
  StoreConflictError,
  StoreRequestError,
} from '#src/shared/ports/index.js';

type Operation =
  | 'getSecret'
  | 'getSecretVersion'
  | 'setSecret'
  | 'listSecretProperties'
  | 'updateSecretTags'
  | 'deleteSecret'
  | 'recoverDeletedSecret';

export class InMemorySecretStore implements DeletableSecretStore {
  private readonly versions = new Map<string, SecretValue[]>();
  /** Soft-deleted secrets: their versions, kept until recovered (Key Vault soft delete). */
  private readonly deleted = new Map<string, SecretValue[]>();
  private readonly failures: { operation: Operation; error: Error }[] = [];
  /** Calls per operation, for tests that count reads and writes. */
  readonly calls: Record<Operation, number> = {
    getSecret: 0,
    getSecretVersion: 0,
    setSecret: 0,
    listSecretProperties: 0,
    updateSecretTags: 0,
    deleteSecret: 0,
    recoverDeletedSecret: 0,
  };

  constructor(private readonly clock: { now(): Date } = { now: () => new Date() }) {}

  /** The next call of `operation` throws `error` (queued in order; e.g. a StoreConflictError or StoreUnavailableError). */
  failNext(operation: Operation, error: Error): void {
    this.failures.push({ operation, error });
  }

  versionCount(name: string): number {
    return this.versions.get(name)?.length ?? 0;
  }

  async getSecret(name: string): Promise<SecretValue | undefined> {
    await this.enter('getSecret');
    const latest = this.versions.get(name)?.at(-1);
    return latest === undefined ? undefined : structuredClone(latest);
  }

  async getSecretVersion(name: string, version: string): Promise<SecretValue | undefined> {
    await this.enter('getSecretVersion');
    const found = this.versions.get(name)?.find((candidate) => candidate.version === version);
    return found === undefined ? undefined : structuredClone(found);
  }

  async setSecret(name: string, value: string, options: SetSecretOptions = {}): Promise<{ version: string }> {
    await this.enter('setSecret');
    // Key Vault: a soft-deleted name cannot be reused until it is recovered or purged.
    if (this.deleted.has(name)) throw new StoreConflictError(`write secret ${name}: deleted but recoverable`, 409);
    const version = randomBytes(16).toString('hex');
    const secret: SecretValue = {
      name,
      value,
      version,
      tags: { ...options.tags },
      ...(options.contentType !== undefined && { contentType: options.contentType }),
      ...(options.expiresOn !== undefined && { expiresOn: new Date(options.expiresOn) }),
      updatedOn: this.clock.now(),
      enabled: true,
    };
    this.versions.set(name, [...(this.versions.get(name) ?? []), secret]);
    return { version };
  }

  async *listSecretProperties(): AsyncIterable<SecretSummary> {
    await this.enter('listSecretProperties');
    for (const history of [...this.versions.values()]) {
      const latest = history.at(-1);
      if (latest === undefined) continue;
      yield {
        name: latest.name,
        version: latest.version,
        enabled: latest.enabled,
        ...(latest.expiresOn !== undefined && { expiresOn: new Date(latest.expiresOn) }),
        updatedOn: new Date(latest.updatedOn),
        tags: { ...latest.tags },
      };
    }
  }

  async updateSecretTags(name: string, version: string, tags: SecretTags): Promise<void> {
    await this.enter('updateSecretTags');
    const secret = this.versions.get(name)?.find((candidate) => candidate.version === version);
    if (secret === undefined) throw new StoreRequestError(`update tags of secret ${name}: no such version`, 404);
    secret.tags = { ...tags };
    secret.updatedOn = this.clock.now();
  }

  async deleteSecret(name: string): Promise<boolean> {
    await this.enter('deleteSecret');
    return moveHistory(this.versions, this.deleted, name);
  }

  async recoverDeletedSecret(name: string): Promise<boolean> {
    await this.enter('recoverDeletedSecret');
    return moveHistory(this.deleted, this.versions, name);
  }

  private async enter(operation: Operation): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.calls[operation] += 1;
    const index = this.failures.findIndex((failure) => failure.operation === operation);
    if (index >= 0) {
      const [failure] = this.failures.splice(index, 1);
      if (failure !== undefined) throw failure.error;
    }
  }
}

function moveHistory(from: Map<string, SecretValue[]>, to: Map<string, SecretValue[]>, name: string): boolean {
  const history = from.get(name);
  if (history === undefined) return false;
  from.delete(name);
  to.set(name, history);
  return true;
}
