// The product's view of its mailboxes (DESIGN §3): list them, check one (e.g. the `ref` of a connection
// it started, since anyone can forge a `?keyrelay=connected` landing) and disconnect one. Disconnecting
// deletes the token cache first (Key Vault soft delete), then the registry row and the mailbox's alert
// ledger entries: a failure half-way leaves a row without a cache (answered reconnect_required), never a
// cache without a row, and repeating the DELETE finishes the job.
import { credentialIds } from '#src/shared/domain/monitor/credentials.js';
import { canonicalMailboxAddress } from '#src/shared/domain/connect/loginHint.js';
import { InvalidRequestError, MailboxNotConnectedError } from '#src/shared/errors.js';
import type { Logger } from '#src/shared/logger.js';
import type { AuditTrail } from '../audit/auditTrail.js';
import type {
  AlertLedger,
  DeletableSecretStore,
  MailboxRecord,
  MailboxRegistry,
  MailboxStatus,
} from '#src/shared/ports/index.js';

/** One mailbox as the product sees it: no secret, no cache name, no object id. */
export interface MailboxView {
  mailbox: string;
  tenantId: string;
  status: MailboxStatus;
  /** ISO 8601. */
  connectedAt: string;
  lastRefreshAt: string;
  ref?: string;
}

export interface MailboxList {
  mailboxes: MailboxView[];
  /** Registry rows that could not be read (written by hand or by a newer version), skipped. */
  unreadableRows?: number;
}

export type MailboxesRequest =
  { kind: 'list' } | { kind: 'get'; mailbox: string } | { kind: 'disconnect'; mailbox: string };

export type MailboxesAnswer =
  { kind: 'list'; body: MailboxList } | { kind: 'one'; body: MailboxView } | { kind: 'disconnected' };

export interface MailboxesDependencies {
  mailboxRegistry: MailboxRegistry;
  secretStore: DeletableSecretStore;
  alertLedger: AlertLedger;
  /** The instance's token service: forgets the tokens it holds for a disconnected mailbox. */
  tokens: { forget(mailbox: string): void };
  audit?: AuditTrail;
  logger: Logger;
}

const MAILBOX_EXPECTED = 'Name the mailbox by its address, e.g. /api/mailboxes/user@contoso.com.';

/** Only this parser turns the route's method and `{mailbox}` into a request. */
export function parseMailboxesRequest(method: string, mailboxParameter: string | undefined): MailboxesRequest {
  const verb = method.toUpperCase();
  if (mailboxParameter === undefined || mailboxParameter === '') {
    if (verb === 'GET') return { kind: 'list' };
    throw new InvalidRequestError('Name the mailbox to disconnect, e.g. DELETE /api/mailboxes/user@contoso.com.');
  }
  const address = canonicalMailboxAddress(mailboxParameter);
  if (!address.ok) throw new InvalidRequestError(MAILBOX_EXPECTED);
  return verb === 'DELETE'
    ? { kind: 'disconnect', mailbox: address.address }
    : { kind: 'get', mailbox: address.address };
}

export function toMailboxView(record: MailboxRecord): MailboxView {
  return {
    mailbox: record.upn,
    tenantId: record.tenantId,
    status: record.status,
    connectedAt: record.connectedAt.toISOString(),
    lastRefreshAt: record.lastRefreshAt.toISOString(),
    ...(record.ref === undefined ? {} : { ref: record.ref }),
  };
}

export interface MailboxesService {
  execute(request: MailboxesRequest): Promise<MailboxesAnswer>;
}

export function createMailboxesService(deps: MailboxesDependencies): MailboxesService {
  const { mailboxRegistry, secretStore, alertLedger, tokens, logger } = deps;

  async function find(mailbox: string): Promise<MailboxRecord> {
    const record = await mailboxRegistry.get(mailbox);
    if (record === undefined) throw new MailboxNotConnectedError();
    return record;
  }

  async function disconnect(mailbox: string): Promise<void> {
    const record = await find(mailbox);
    const cacheDeleted = await secretStore.deleteSecret(record.cacheSecretName);
    await mailboxRegistry.remove(mailbox);
    const alertsForgotten = await alertLedger.forget(
      credentialIds.mailboxGrant(`${record.tenantId}.${record.objectId}`),
    );
    tokens.forget(mailbox);
    logger.info('mailbox.disconnected', { tid: record.tenantId, cacheDeleted, alertsForgotten });
    deps.audit?.record({ action: 'disconnect', mailbox, tenantId: record.tenantId, outcome: 'disconnected' });
  }

  return {
    async execute(request) {
      switch (request.kind) {
        case 'list': {
          const { records, unreadableRows } = await mailboxRegistry.scan();
          const mailboxes = records.map(toMailboxView).sort((a, b) => a.mailbox.localeCompare(b.mailbox));
          return { kind: 'list', body: { mailboxes, ...(unreadableRows > 0 ? { unreadableRows } : {}) } };
        }
        case 'get':
          return { kind: 'one', body: toMailboxView(await find(request.mailbox)) };
        case 'disconnect':
          await disconnect(request.mailbox);
          return { kind: 'disconnected' };
      }
    },
  };
}
