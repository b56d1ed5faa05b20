import { describe, expect, it } from 'vitest';
import { describeRunGaps } from '#src/shared/domain/monitor/runGaps.js';

describe('describeRunGaps', () => {
  it('names each kind of gap once, in Italian and English, and ignores codes reported elsewhere', () => {
    const codes = [
      'key_vault_listing_incomplete:429',
      'keep_alive_failed:503:ServiceUnavailable',
      'keep_alive_failed:NetworkError',
      'mail_send_failed:503',
      'rotation_step_failed:keyvault_403',
    ];
    expect(describeRunGaps(codes, 'en')).toEqual([
      'the Key Vault secret listing broke off (throttling or an outage): the secrets read until then were checked, the rest will be on the next run.',
      'some mailbox keep-alive refreshes failed (503:ServiceUnavailable, NetworkError): retried on the next run.',
    ]);
    expect(describeRunGaps(codes, 'it')).toHaveLength(2);
    expect(describeRunGaps(['ledger_row_skipped:kv:x|7@2026-03-07:Error'], 'it')[0]).toContain(
      'kv:x|7@2026-03-07:Error',
    );
    expect(describeRunGaps([], 'en')).toEqual([]);
  });

  it('names mailbox caches that could not be rebuilt into the registry, and a failed rebuild as an unreadable registry; a rebuild itself is no gap', () => {
    expect(describeRunGaps(['registry_rebuilt:2', 'mailbox_caches_unparsable:1'], 'en')).toEqual([
      '1 mailbox token caches in Key Vault name no account: their mailboxes could not be rebuilt into the registry.',
    ]);
    expect(describeRunGaps(['registry_rebuild_failed:StoreUnavailableError'], 'en')[0]).toContain(
      'the mailbox registry (Table storage) could not be read',
    );
    expect(describeRunGaps(['mailbox_caches_unparsable:3'], 'it')[0]).toContain('3 cache di token');
  });
});
