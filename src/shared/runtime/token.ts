// Composition of the token feature: one TokenService per instance (its memory is the warm path).
import { loggerFor } from '../logger.js';
import { createRunReportCredentialAlarm } from '../services/token/credentialAlarm.js';
import { createTokenService, type TokenService } from '../services/token/tokenService.js';
import type { AuditTrail } from '../services/audit/auditTrail.js';
import { getAuditTrail } from './audit.js';
import { getCore, type Core } from './core.js';

export function createTokenServiceFor(core: Core, audit?: AuditTrail): TokenService {
  const logger = loggerFor(console);
  return createTokenService({
    ...(audit === undefined ? {} : { audit }),
    config: core.config,
    clock: core.clock,
    secretStore: core.secretStore,
    mailboxRegistry: core.mailboxRegistry,
    oauthClient: core.oauthClient,
    credentialAlarm: createRunReportCredentialAlarm(core.runReports, core.clock, logger),
    logger,
  });
}

let instanceTokenService: TokenService | undefined;

/** The instance's TokenService, built on first use. */
export function getTokenService(): TokenService {
  instanceTokenService ??= createTokenServiceFor(getCore(), getAuditTrail());
  return instanceTokenService;
}
