// Storage loss (DESIGN §5, issue 14): the mailbox registry rebuilt from the token caches in Key Vault.
// Each `mbx-*` cache names its account (the MSAL Account entry), so a lost or emptied table loses no
// mailbox. Rows that exist are never overwritten; a cache that names no account is skipped and counted.
// Two instances may run it at once: both write the same row, and the registry's own rules (409/412,
// the address bound to one identity) settle the rest.
import {
  type MailboxRegistry,
  type SecretStore,
  type SecretSummary,
  StoreConflictError,
} from '#src/shared/ports/index.js';
import { cachedMailboxAccount, isMailboxCacheName } from '#src/shared/domain/mailboxes/mailboxCache.js';
import type { Clock } from '#src/shared/domain/clock.js';
import { MailboxTakenError } from '#src/shared/errors.js';
import type { Logger } from '#src/shared/logger.js';

/** How long an instance trusts its last answer to "is the registry lost?" (DESIGN §5). */
export const REGISTRY_LOSS_CHECK_TTL_MS = 60_000;

export interface RegistryRebuildResult {
  /** Rows this run wrote. */
  rebuilt: number;
  /** Caches whose identity had a row already (left as they are). */
  alreadyRegistered: number;
  /** Caches that name no account (not MSAL JSON, no or several accounts, a name that is not theirs). */
  unparsable: number;
  /** Caches another instance registered meanwhile, or whose address another identity holds. */
  conflicts: number;
}

export interface RegistryRebuild {
  /** Registers every `mbx-*` cache whose identity has no row. */
  rebuild(): Promise<RegistryRebuildResult>;
  /**
   * True when the registry holds no row while Key Vault holds mailbox caches: an unknown mailbox is then
   * most likely a lost row, not a mailbox that was never connected. Key Vault is asked only when the
   * registry is empty, and the answer is kept for REGISTRY_LOSS_CHECK_TTL_MS.
   */
  registryLost(): Promise<boolean>;
}

export interface RegistryRebuildDependencies {
  secretStore: SecretStore;
  mailboxRegistry: MailboxRegistry;
  clock: Clock;
  logger: Logger;
}

export function createRegistryRebuild(deps: RegistryRebuildDependencies): RegistryRebuild {
  const { secretStore, mailboxRegistry, clock, logger } = deps;
  let lossCheck: { at: number; answer: Promise<boolean> } | undefined;

  async function mailboxCaches(): Promise<SecretSummary[]> {
    const caches: SecretSummary[] = [];
    for await (const summary of secretStore.listSecretProperties()) {
      if (summary.enabled && isMailboxCacheName(summary.name)) caches.push(summary);
    }
    return caches;
  }

  async function anyMailboxCache(): Promise<boolean> {
    for await (const summary of secretStore.listSecretProperties()) {
      if (summary.enabled && isMailboxCacheName(summary.name)) return true;
    }
    return false;
  }

  async function checkLoss(): Promise<boolean> {
    const listing = await mailboxRegistry.scan();
    if (listing.records.length > 0 || listing.unreadableRows > 0) return false;
    return anyMailboxCache();
  }

  return {
    async rebuild() {
      const result: RegistryRebuildResult = { rebuilt: 0, alreadyRegistered: 0, unparsable: 0, conflicts: 0 };
      const registered = new Set((await mailboxRegistry.scan()).records.map((record) => record.cacheSecretName));
      for (const summary of await mailboxCaches()) {
        if (registered.has(summary.name)) {
          result.alreadyRegistered += 1;
          continue;
        }
        const stored = await secretStore.getSecret(summary.name);
        if (stored === undefined) continue; // Deleted since the listing: a disconnect.
        const account = cachedMailboxAccount(summary.name, stored.value);
        if (account === undefined) {
          result.unparsable += 1;
          logger.warn('registry_rebuild.cache_unparsable', { secret: summary.name });
          continue;
        }
        if ((await mailboxRegistry.getByIdentity(account.tenantId, account.objectId)) !== undefined) {
          result.alreadyRegistered += 1;
          continue;
        }
        try {
          await mailboxRegistry.upsert({
            ...account,
            cacheSecretName: summary.name,
            connectedAt: stored.updatedOn,
            lastRefreshAt: stored.updatedOn,
            status: 'ok',
          });
          result.rebuilt += 1;
          logger.info('registry_rebuild.mailbox_registered', { tenantId: account.tenantId });
        } catch (error) {
          if (!(error instanceof StoreConflictError || error instanceof MailboxTakenError)) throw error;
          result.conflicts += 1;
          logger.warn('registry_rebuild.conflict', { tenantId: account.tenantId, error: error.name });
        }
      }
      lossCheck = undefined;
      logger.info('registry_rebuild.finished', { ...result });
      return result;
    },

    registryLost() {
      const now = clock.now().getTime();
      if (lossCheck === undefined || now - lossCheck.at >= REGISTRY_LOSS_CHECK_TTL_MS) {
        const answer = checkLoss();
        const check = { at: now, answer };
        lossCheck = check;
        // A failed check is not remembered: the caller answers 503 for it, and the next request asks again.
        answer.catch(() => {
          if (lossCheck === check) lossCheck = undefined;
        });
      }
      return lossCheck.answer;
    },
  };
}
