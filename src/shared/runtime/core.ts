// The adapters of one App (app.ts, the composition root), built from the validated settings. Features
// compose their services from this in src/shared/runtime/<feature>.ts; function files load those lazily
// so that a function which needs no SDK (health) never loads one.
import type { TokenCredential } from '@azure/identity';
import type { Client } from '@microsoft/microsoft-graph-client';
import { createAzureCredential } from '../adapters/azureCredential.js';
import { createFederatedClientCredential } from '../adapters/federatedClientCredential.js';
import { createGraphApplicationDirectory } from '../adapters/graphApplications.js';
import { createGraphClient } from '../adapters/graphClient.js';
import { createKeyVaultSecretStore } from '../adapters/keyVaultSecretStore.js';
import { MsalOAuthClient } from '../adapters/oauth/msalOAuthClient.js';
import { createTableStores } from '../adapters/tables/index.js';
import type { Config } from '../config.js';
import { systemClock, type Clock } from '../domain/clock.js';
import { RequestBudget } from '../domain/requestBudget.js';
import type { RotationRecord } from '../domain/monitor/rotationPlan.js';
import type {
  AlertLedger,
  AppRegistrationDirectory,
  AttemptLimiter,
  ClientCredentialSource,
  DeletableSecretStore,
  MailboxRegistry,
  RotationStore,
  RunReportStore,
  UsedFlows,
} from '../ports/index.js';
import { createKeyVaultClientCredential } from '../services/clientSecret.js';
import { graphAppScope } from '../adapters/cloudEndpoints.js';

export interface Core {
  config: Config;
  clock: Clock;
  /** keyrelay's own Azure identity (managed identity in Azure): Key Vault, Storage, Graph management. */
  azureCredential: TokenCredential;
  secretStore: DeletableSecretStore;
  mailboxRegistry: MailboxRegistry;
  alertLedger: AlertLedger;
  rotationStore: RotationStore<RotationRecord>;
  runReports: RunReportStore;
  /** Sign-in flows already answered at the callback. */
  usedFlows: UsedFlows;
  /** Connect attempt counters (abuse limits). */
  attemptLimiter: AttemptLimiter;
  /** The OAuth client's own credential: the identity's assertion (`federated`) or the client secret in Key Vault (`secret`). */
  clientCredential: ClientCredentialSource;
  oauthClient: MsalOAuthClient;
  /** Graph with keyrelay's Azure identity (app-only): never the monitored client secret. */
  graphAppOnly: Client;
  appDirectory: AppRegistrationDirectory;
}

export interface CoreOverrides {
  clock?: Clock;
  azureCredential?: TokenCredential;
  /** Key Vault listing pages per 10 s (default a quarter of the vault's 4,000-per-10-s throttling limit). */
  keyVaultListingPagesPer10s?: number;
}

export const DEFAULT_KEY_VAULT_LISTING_PAGES_PER_10S = 1_000;

export function createCore(config: Config, overrides: CoreOverrides = {}): Core {
  const azureCredential = overrides.azureCredential ?? createAzureCredential(config);
  const clock = overrides.clock ?? systemClock;
  const listingBudget = new RequestBudget(
    overrides.keyVaultListingPagesPer10s ?? DEFAULT_KEY_VAULT_LISTING_PAGES_PER_10S,
    10_000,
    clock,
    (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  );
  const secretStore = createKeyVaultSecretStore(config, azureCredential, { listingBudget });
  const tables = createTableStores<RotationRecord>(config.storage, azureCredential);
  // DESIGN §2: the only place that knows which kind of credential the OAuth client uses.
  const clientCredential =
    config.oauthClientCredential === 'federated'
      ? createFederatedClientCredential(azureCredential, config.federatedTokenAudience)
      : createKeyVaultClientCredential(secretStore, config.oauthClientSecretName);
  const graphAppOnly = createGraphClient(config.graphEndpoint, async () => {
    const token = await azureCredential.getToken(graphAppScope(config.graphEndpoint));
    if (!token) throw new Error('no Graph token for keyrelay identity');
    return token.token;
  });
  return {
    config,
    clock,
    azureCredential,
    secretStore,
    mailboxRegistry: tables.mailboxes,
    alertLedger: tables.alerts,
    rotationStore: tables.rotations,
    runReports: tables.runs,
    usedFlows: tables.flows,
    attemptLimiter: tables.limits,
    clientCredential,
    oauthClient: new MsalOAuthClient(
      { clientId: config.oauthClientId, authorityHost: config.authorityHost, homeTenantId: config.azureTenantId },
      clientCredential,
      clock,
    ),
    graphAppOnly,
    appDirectory: createGraphApplicationDirectory(graphAppOnly),
  };
}
