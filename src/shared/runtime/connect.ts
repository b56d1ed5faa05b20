// Composition of the connect flow: the cookie keyring is kept per instance (it caches the key); the
// service itself is cheap and made per invocation around that invocation's logger.
import { createSmtpAuthProbe } from '../adapters/smtpAuthProbe.js';
import type { Logger } from '../logger.js';
import { CookieKeyring } from '../services/connect/cookieKeyring.js';
import { ConnectService } from '../services/connect/connectService.js';
import { getCore } from './core.js';

export { parseConnectQuery } from '../services/connect/connectService.js';

let instanceKeyring: CookieKeyring | undefined;

export function getConnectService(logger: Logger): ConnectService {
  const core = getCore();
  instanceKeyring ??= new CookieKeyring(core.secretStore);
  return new ConnectService({
    settings: core.config,
    clock: core.clock,
    keyring: instanceKeyring,
    oauthClient: core.oauthClient,
    secretStore: core.secretStore,
    mailboxRegistry: core.mailboxRegistry,
    smtpAuthProbe: createSmtpAuthProbe(core.config.smtpEndpoint),
    logger,
  });
}
