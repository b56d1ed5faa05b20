// Composition of the token feature; the App (app.ts) keeps one per instance (its memory is the warm path).
import { createGraphMailer } from '../adapters/graphMailer.js';
import { createWebhookNotifier } from '../adapters/webhookNotifier.js';
import { loggerFor } from '../logger.js';
import { createRunReportCredentialAlarm, type CredentialAlarmChannels } from '../services/token/credentialAlarm.js';
import { createTokenService, type TokenService } from '../services/token/tokenService.js';
import type { AuditTrail } from '../services/audit/auditTrail.js';
import { createRegistryRebuild, type RegistryRebuild } from '../services/mailboxes/registryRebuild.js';
import type { Logger } from '../logger.js';
import type { Core } from './core.js';

/** The alert channels that still work when the client secret is refused (DESIGN §6). */
export function credentialAlarmChannelsFor(core: Core): CredentialAlarmChannels {
  const { config } = core;
  const sender = config.alertSender;
  const mailByIdentity =
    config.alertMailAuth === 'managed-identity' && sender !== undefined && config.alertRecipients.length > 0;
  return {
    appId: config.oauthClientId,
    locale: config.alertLocale,
    timeZone: config.alertTimeZone,
    ...(config.alertWebhookUrl ? { webhook: createWebhookNotifier(config.alertWebhookUrl) } : {}),
    ...(mailByIdentity
      ? { mail: { mailer: createGraphMailer(core.graphAppOnly, 'app-only'), from: sender, to: config.alertRecipients } }
      : {}),
  };
}

/** The registry's rebuild from Key Vault (DESIGN §5): the monitor runs it, the token service asks it. */
export function registryRebuildFor(core: Core, logger: Logger): RegistryRebuild {
  return createRegistryRebuild({
    secretStore: core.secretStore,
    mailboxRegistry: core.mailboxRegistry,
    clock: core.clock,
    logger,
  });
}

export function createTokenServiceFor(core: Core, options: { audit?: AuditTrail; logger?: Logger } = {}): TokenService {
  const { audit, logger = loggerFor(console) } = options;
  return createTokenService({
    ...(audit === undefined ? {} : { audit }),
    config: core.config,
    clock: core.clock,
    secretStore: core.secretStore,
    mailboxRegistry: core.mailboxRegistry,
    oauthClient: core.oauthClient,
    credentialAlarm: createRunReportCredentialAlarm(
      core.runReports,
      core.clock,
      logger,
      credentialAlarmChannelsFor(core),
    ),
    registryLoss: registryRebuildFor(core, logger),
    logger,
  });
}
