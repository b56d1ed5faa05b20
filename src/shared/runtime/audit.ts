// The instance's audit trail: its key comes from the instance's cookie keyring (Key Vault `cookie-key`).
import { loggerFor } from '../logger.js';
import { createAuditTrail, type AuditTrail } from '../services/audit/auditTrail.js';
import { getCookieKeyring } from './keyring.js';

let instanceAudit: AuditTrail | undefined;

export function getAuditTrail(): AuditTrail {
  instanceAudit ??= createAuditTrail(async () => (await getCookieKeyring().currentKey()).key, loggerFor(console));
  return instanceAudit;
}
