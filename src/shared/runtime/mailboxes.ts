// Composition of the mailboxes API: the service is cheap and made per invocation around its logger; it
// shares the instance's token service so that a disconnect drops the tokens this instance holds.
import type { Logger } from '../logger.js';
import { createMailboxesService, type MailboxesService } from '../services/mailboxes/mailboxesService.js';
import { getAuditTrail } from './audit.js';
import { getCore } from './core.js';
import { getTokenService } from './token.js';

export { parseMailboxesRequest } from '../services/mailboxes/mailboxesService.js';

export function getMailboxesService(logger: Logger): MailboxesService {
  const core = getCore();
  return createMailboxesService({
    mailboxRegistry: core.mailboxRegistry,
    secretStore: core.secretStore,
    alertLedger: core.alertLedger,
    tokens: getTokenService(),
    audit: getAuditTrail(),
    logger,
  });
}
