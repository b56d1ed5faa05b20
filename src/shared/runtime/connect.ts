// Composition of the connect flow: the cookie keyring and the audit trail are the App's (they cache the
// key); the service itself is cheap and made per invocation around that invocation's logger.
import { createSmtpAuthProbe } from '../adapters/smtpAuthProbe.js';
import type { Logger } from '../logger.js';
import type { AuditTrail } from '../services/audit/auditTrail.js';
import { ConnectService } from '../services/connect/connectService.js';
import type { CookieKeyring } from '../services/connect/cookieKeyring.js';
import type { Core } from './core.js';

export { parseConnectQuery } from '../services/connect/connectService.js';

export function createConnectService(
  core: Core,
  parts: { keyring: CookieKeyring; audit: AuditTrail; logger: Logger },
): ConnectService {
  return new ConnectService({
    settings: core.config,
    clock: core.clock,
    keyring: parts.keyring,
    oauthClient: core.oauthClient,
    secretStore: core.secretStore,
    mailboxRegistry: core.mailboxRegistry,
    usedFlows: core.usedFlows,
    attemptLimiter: core.attemptLimiter,
    audit: parts.audit,
    smtpAuthProbe: createSmtpAuthProbe(core.config.smtpEndpoint),
    logger: parts.logger,
  });
}
