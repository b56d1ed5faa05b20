// Composition of the mailboxes API: the service is cheap and made per invocation around its logger; it
// shares the App's token service so that a disconnect drops the tokens this instance holds.
import type { Logger } from '../logger.js';
import type { AuditTrail } from '../services/audit/auditTrail.js';
import {
  createMailboxesService as createService,
  type MailboxesService,
} from '../services/mailboxes/mailboxesService.js';
import type { TokenService } from '../services/token/tokenService.js';
import type { Core } from './core.js';

export { parseMailboxesRequest } from '../services/mailboxes/mailboxesService.js';

export function createMailboxesService(
  core: Core,
  parts: { tokens: TokenService; audit: AuditTrail; logger: Logger },
): MailboxesService {
  return createService({
    mailboxRegistry: core.mailboxRegistry,
    secretStore: core.secretStore,
    alertLedger: core.alertLedger,
    tokens: parts.tokens,
    audit: parts.audit,
    logger: parts.logger,
  });
}
