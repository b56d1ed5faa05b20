// Composition of the connect flow: the cookie keyring is kept per instance (it caches the key); the
// service itself is cheap and made per invocation around that invocation's logger.
import { createSmtpAuthProbe } from '../adapters/smtpAuthProbe.js';
import type { Logger } from '../logger.js';
import { ConnectService } from '../services/connect/connectService.js';
import { getAuditTrail } from './audit.js';
import { getCookieKeyring } from './keyring.js';
import { getCore } from './core.js';

export { parseConnectQuery } from '../services/connect/connectService.js';

export function getConnectService(logger: Logger): ConnectService {
  const core = getCore();
  return new ConnectService({
    settings: core.config,
    clock: core.clock,
    keyring: getCookieKeyring(),
    oauthClient: core.oauthClient,
    secretStore: core.secretStore,
    mailboxRegistry: core.mailboxRegistry,
    usedFlows: core.usedFlows,
    attemptLimiter: core.attemptLimiter,
    audit: getAuditTrail(),
    smtpAuthProbe: createSmtpAuthProbe(core.config.smtpEndpoint),
    logger,
  });
}
