// UsedFlows contract (DESIGN §3, a sign-in flow is single-use): run against the fake and the Table adapter.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UsedFlows } from '#src/shared/ports/index.js';
import { at, minutesAfter, type MakeStore, type StoreUnderTest } from './storeHarness.js';

const NOW = at('2026-05-01T06:00:00.000Z');
const EXPIRES = minutesAfter(NOW, 10);

export function describeUsedFlowsContract(name: string, makeStore: MakeStore<UsedFlows>): void {
  describe(`UsedFlows contract: ${name}`, () => {
    let subject: StoreUnderTest<UsedFlows>;
    let flows: UsedFlows;

    beforeEach(async () => {
      subject = await makeStore();
      flows = subject.store;
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    it('marks a flow once: the second mark answers false', async () => {
      expect(await flows.markUsed('flow-a', EXPIRES, NOW)).toBe(true);
      expect(await flows.markUsed('flow-a', EXPIRES, minutesAfter(NOW, 1))).toBe(false);
      expect(await flows.markUsed('flow-b', EXPIRES, minutesAfter(NOW, 1))).toBe(true);
    });

    it('lets exactly one of many concurrent marks of one flow win (two callbacks at once)', async () => {
      const answers = await Promise.all(Array.from({ length: 6 }, () => flows.markUsed('flow-race', EXPIRES, NOW)));
      expect(answers.filter(Boolean)).toHaveLength(1);
    });

    it('drops marks whose flow expired when later flows are marked', async () => {
      await flows.markUsed('flow-old', EXPIRES, NOW);
      await flows.markUsed('flow-new', minutesAfter(NOW, 30), minutesAfter(NOW, 20));
      expect(await flows.markUsed('flow-old', minutesAfter(NOW, 40), minutesAfter(NOW, 30))).toBe(true);
    });
  });
}
