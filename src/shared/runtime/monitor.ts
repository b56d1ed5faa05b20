// Composition of the monitor and status features from the Core: the digest's mail channel follows
// ALERT_MAIL_AUTH (the sender's delegated token from the token service through /me, or keyrelay's Azure
// identity through /users/{sender}), the webhook channel ALERT_WEBHOOK_URL.
import { describeFederatedIdentity } from '../adapters/federatedClientCredential.js';
import { createGraphClient } from '../adapters/graphClient.js';
import { createGraphFederatedCredentialDirectory } from '../adapters/graphFederatedCredentials.js';
import { createGraphMailer } from '../adapters/graphMailer.js';
import { createWebhookNotifier } from '../adapters/webhookNotifier.js';
import { loggerFor, type Logger } from '../logger.js';
import { createFederatedCheck, type FederatedCheck } from '../services/monitor/federatedCheck.js';
import {
  createMonitorService,
  type MonitorDependencies,
  type MonitorService,
} from '../services/monitor/monitorService.js';
import type { AlertMailer, MailboxKeepAlive, RotationAdvancer } from '../ports/index.js';
import { createStatusService, type StatusService } from '../services/status/statusService.js';
import type { TokenService } from '../services/token/tokenService.js';
import type { Core } from './core.js';
import { registryRebuildFor } from './token.js';

export interface MonitorFeature {
  monitor: MonitorService;
  status: StatusService;
}

export interface MonitorFeatureOptions {
  logger?: Logger;
  /** The rotation service (issue 7); the monitor advances it once per run when ROTATION_MODE is auto. */
  rotation?: RotationAdvancer;
  /** For measurements (bench P7): wrapped ports and a shorter run budget; production takes the defaults. */
  keepAlive?: MailboxKeepAlive;
  mailer?: AlertMailer;
  budget?: MonitorDependencies['budget'];
}

function alertMailerFor(core: Core, tokens: TokenService): AlertMailer | undefined {
  const { config } = core;
  const sender = config.alertSender;
  if (sender === undefined || config.alertRecipients.length === 0) return undefined;
  if (config.alertMailAuth === 'managed-identity') return createGraphMailer(core.graphAppOnly, 'app-only');
  // The sender's own delegated Mail.Send: a token per send, so a reconnect or a rotation is picked up.
  const delegated = createGraphClient(config.graphEndpoint, async () => {
    const grant = await tokens.getToken({ mailbox: sender, resource: 'graph' });
    return grant.accessToken;
  });
  return createGraphMailer(delegated, 'delegated');
}

/** OAUTH_CLIENT_CREDENTIAL=federated: the check that replaces rotation (DESIGN §2); none in `secret` mode. */
export function federatedCheckFor(core: Core): FederatedCheck | undefined {
  const { config } = core;
  if (config.oauthClientCredential !== 'federated') return undefined;
  const directory = createGraphFederatedCredentialDirectory(core.graphAppOnly);
  return createFederatedCheck({
    appId: config.oauthClientId,
    clientSecretName: config.oauthClientSecretName,
    listCredentials: (appObjectId) => directory.list(appObjectId),
    identity: () => describeFederatedIdentity(core.azureCredential, config.federatedTokenAudience),
    verify: () => core.oauthClient.verifyClientCredential(),
  });
}

export function createMonitorFeature(
  core: Core,
  tokens: TokenService,
  options: MonitorFeatureOptions = {},
): MonitorFeature {
  const logger = options.logger ?? loggerFor(console);
  const mailer = options.mailer ?? alertMailerFor(core, tokens);
  const webhookUrl = core.config.alertWebhookUrl;
  const federatedCheck = federatedCheckFor(core);
  const monitor = createMonitorService({
    config: core.config,
    clock: core.clock,
    appDirectory: core.appDirectory,
    secretStore: core.secretStore,
    mailboxRegistry: core.mailboxRegistry,
    alertLedger: core.alertLedger,
    runReports: core.runReports,
    rotationStore: core.rotationStore,
    keepAlive: options.keepAlive ?? tokens,
    ...(options.budget ? { budget: options.budget } : {}),
    registryRebuild: registryRebuildFor(core, logger),
    // Nothing to rotate in federated mode: no secret exists.
    ...(options.rotation && !federatedCheck ? { rotation: options.rotation } : {}),
    ...(federatedCheck ? { federatedCheck } : {}),
    ...(mailer ? { mailer } : {}),
    ...(webhookUrl ? { webhook: createWebhookNotifier(webhookUrl) } : {}),
    logger,
  });
  const status = createStatusService({
    config: core.config,
    clock: core.clock,
    appDirectory: core.appDirectory,
    secretStore: core.secretStore,
    mailboxRegistry: core.mailboxRegistry,
    runReports: core.runReports,
    rotationStore: core.rotationStore,
  });
  return { monitor, status };
}
