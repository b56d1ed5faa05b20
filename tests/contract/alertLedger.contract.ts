// AlertLedger contract (issue 6): one alert per credential × threshold, a crash between send and
// record re-sends at most once, a failed send is retried. Run against the fake and the Table adapter.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALERT_CLAIM_LEASE_MS, type AlertLedger } from '#src/shared/ports/index.js';
import { at, minutesAfter, type MakeStore, type StoreUnderTest } from './storeHarness.js';

const SECRET = 'app:6e1f4a52-0d0b-4a57-9a0e-1f3c0a4b7d21:password:9b1c';
const NOW = at('2026-05-01T06:00:00.000Z');
const LEASE_MINUTES = ALERT_CLAIM_LEASE_MS / 60_000;

export function describeAlertLedgerContract(name: string, makeStore: MakeStore<AlertLedger>): void {
  describe(`AlertLedger contract: ${name}`, () => {
    let subject: StoreUnderTest<AlertLedger>;
    let ledger: AlertLedger;

    beforeEach(async () => {
      subject = await makeStore();
      ledger = subject.store;
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    it('grants the first claim and refuses another run while the claim is pending', async () => {
      expect(await ledger.claim(SECRET, '30', 'run-a', NOW)).toBe('claimed');
      expect(await ledger.claim(SECRET, '30', 'run-b', minutesAfter(NOW, 1))).toBe('pending-by-other');
    });

    it('answers claimed again to the run that holds the claim', async () => {
      expect(await ledger.claim(SECRET, '30', 'run-a', NOW)).toBe('claimed');
      expect(await ledger.claim(SECRET, '30', 'run-a', minutesAfter(NOW, 1))).toBe('claimed');
    });

    it('never grants a claim again once the alert is recorded as sent', async () => {
      await ledger.claim(SECRET, '30', 'run-a', NOW);
      await ledger.markSent(SECRET, '30', 'run-a', minutesAfter(NOW, 1));
      expect(await ledger.claim(SECRET, '30', 'run-a', minutesAfter(NOW, 2))).toBe('already-sent');
      expect(await ledger.claim(SECRET, '30', 'run-b', minutesAfter(NOW, 24 * 60))).toBe('already-sent');
      expect(await ledger.list()).toEqual([
        {
          credentialId: SECRET,
          threshold: '30',
          state: 'sent',
          runId: 'run-a',
          claimedAt: NOW,
          sentAt: minutesAfter(NOW, 1),
          attempts: 1,
        },
      ]);
    });

    it('keeps thresholds and credentials apart, whatever characters their ids hold', async () => {
      const odd = 'kv:mbx/#?\\é';
      expect(await ledger.claim(SECRET, '30', 'run-a', NOW)).toBe('claimed');
      expect(await ledger.claim(SECRET, '14', 'run-b', NOW)).toBe('claimed');
      expect(await ledger.claim(odd, '30', 'run-c', NOW)).toBe('claimed');
      expect(await ledger.claim(odd, 'expired', 'run-d', NOW)).toBe('claimed');
      const entries = await ledger.list();
      expect(entries.map((entry) => [entry.credentialId, entry.threshold, entry.runId]).sort()).toEqual(
        [
          [SECRET, '14', 'run-b'],
          [SECRET, '30', 'run-a'],
          [odd, '30', 'run-c'],
          [odd, 'expired', 'run-d'],
        ].sort(),
      );
    });

    it('lets another run take over a pending claim once the lease has expired', async () => {
      await ledger.claim(SECRET, '7', 'run-a', NOW);
      expect(await ledger.claim(SECRET, '7', 'run-b', minutesAfter(NOW, LEASE_MINUTES - 1))).toBe('pending-by-other');
      expect(await ledger.claim(SECRET, '7', 'run-b', minutesAfter(NOW, LEASE_MINUTES + 1))).toBe('claimed');
      expect(await ledger.list()).toEqual([
        expect.objectContaining({
          state: 'pending',
          runId: 'run-b',
          claimedAt: minutesAfter(NOW, LEASE_MINUTES + 1),
          attempts: 2,
        }),
      ]);
    });

    it('re-sends at most once after a crash between send and record', async () => {
      // run-a claims and sends, then dies before markSent; run-b (after the lease) sends once more.
      const grants: string[] = [];
      if ((await ledger.claim(SECRET, '1', 'run-a', NOW)) === 'claimed') grants.push('run-a');
      for (let minute = 1; minute <= 3 * LEASE_MINUTES; minute += 5) {
        const runId = `run-${minute}`;
        const time = minutesAfter(NOW, minute);
        if ((await ledger.claim(SECRET, '1', runId, time)) === 'claimed') {
          grants.push(runId);
          await ledger.markSent(SECRET, '1', runId, time);
        }
      }
      expect(grants).toHaveLength(2);
      expect(grants[0]).toBe('run-a');
    });

    it('makes a released claim (failed send) claimable by the next run at once', async () => {
      await ledger.claim(SECRET, '3', 'run-a', NOW);
      await ledger.release(SECRET, '3', 'run-a');
      expect((await ledger.list())[0]?.state).toBe('released');
      expect(await ledger.claim(SECRET, '3', 'run-b', minutesAfter(NOW, 1))).toBe('claimed');
    });

    it('ignores a release by a run that does not hold the claim', async () => {
      await ledger.claim(SECRET, '3', 'run-a', NOW);
      await ledger.release(SECRET, '3', 'run-b');
      expect(await ledger.claim(SECRET, '3', 'run-c', minutesAfter(NOW, 1))).toBe('pending-by-other');
    });

    it('ignores a release after the alert was recorded as sent', async () => {
      await ledger.claim(SECRET, '3', 'run-a', NOW);
      await ledger.markSent(SECRET, '3', 'run-a', NOW);
      await ledger.release(SECRET, '3', 'run-a');
      expect(await ledger.claim(SECRET, '3', 'run-b', minutesAfter(NOW, 1))).toBe('already-sent');
    });

    it('records a send that had no claim on record', async () => {
      await ledger.markSent(SECRET, '0', 'run-a', NOW);
      expect(await ledger.claim(SECRET, '0', 'run-b', minutesAfter(NOW, 1))).toBe('already-sent');
    });

    it('grants exactly one of many concurrent claims (two monitor runs at once)', async () => {
      const runs = Array.from({ length: 12 }, (_, index) => `run-${index}`);
      const answers = await Promise.all(runs.map((runId) => ledger.claim(SECRET, '60', runId, NOW)));
      expect(answers.filter((answer) => answer === 'claimed')).toHaveLength(1);
      expect(answers.filter((answer) => answer === 'pending-by-other')).toHaveLength(runs.length - 1);
    });

    it('grants exactly one of many concurrent take-overs of an expired claim', async () => {
      await ledger.claim(SECRET, '60', 'run-crashed', NOW);
      const later = minutesAfter(NOW, LEASE_MINUTES + 1);
      const runs = Array.from({ length: 8 }, (_, index) => `run-${index}`);
      const answers = await Promise.all(runs.map((runId) => ledger.claim(SECRET, '60', runId, later)));
      expect(answers.filter((answer) => answer === 'claimed')).toHaveLength(1);
    });

    it("forgets every entry of one credential and leaves the others'", async () => {
      const grant = 'grant:11111111-1111-4111-8111-111111111111.22222222-2222-4222-8222-222222222222';
      await ledger.claim(grant, '7', 'run-a', NOW);
      await ledger.markSent(grant, '7', 'run-a', NOW);
      await ledger.claim(grant, 'expired', 'run-a', NOW);
      await ledger.claim(SECRET, '30', 'run-a', NOW);
      expect(await ledger.forget(grant)).toBe(2);
      expect((await ledger.list()).map((entry) => entry.credentialId)).toEqual([SECRET]);
      expect(await ledger.forget(grant)).toBe(0);
    });
  });
}
