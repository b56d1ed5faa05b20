// RotationStore contract (issue 7): one rotation per app at a time, ETag-guarded steps, a history that
// keeps every rotation. Run against the fake and the Table adapter.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RotationStore, StoreConflictError } from '#src/shared/ports/index.js';
import type { RotationRecord } from '#src/shared/domain/monitor/rotationPlan.js';
import { at, type MakeStore, type StoreUnderTest } from './storeHarness.js';

const APP = '6e1f4a52-0d0b-4a57-9a0e-1f3c0a4b7d21';
const OTHER_APP = '0a7c3f9e-5b2d-4e18-8c61-2f4d9b0e7a13';

function rotation(rotationId: string, startedAt: Date, overrides: Partial<RotationRecord> = {}): RotationRecord {
  return {
    rotationId,
    appId: APP,
    step: 'planned',
    oldKeyId: 'key-old',
    startedAt,
    stepTimestamps: { planned: startedAt },
    verifyAttempts: 0,
    ...overrides,
  };
}

export function describeRotationStoreContract(name: string, makeStore: MakeStore<RotationStore<RotationRecord>>): void {
  describe(`RotationStore contract: ${name}`, () => {
    let subject: StoreUnderTest<RotationStore<RotationRecord>>;
    let rotations: RotationStore<RotationRecord>;

    beforeEach(async () => {
      subject = await makeStore();
      rotations = subject.store;
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    it('answers undefined when the app has no rotation', async () => {
      expect(await rotations.get(APP)).toBeUndefined();
      expect(await rotations.listHistory(APP)).toEqual([]);
    });

    it('stores the whole record, nested Dates included', async () => {
      const record = rotation('rot-1', at('2026-04-01T06:00:00.000Z'), {
        step: 'added',
        newKeyId: 'key-new',
        newEndDateTime: at('2028-04-01T06:00:00.000Z'),
        stepTimestamps: { planned: at('2026-04-01T06:00:00.000Z'), added: at('2026-04-01T06:00:05.000Z') },
      });
      const created = await rotations.create(record);
      expect(created.etag).toEqual(expect.any(String));

      const stored = await rotations.get(APP);
      expect(stored?.record).toEqual(record);
      expect(stored?.record.stepTimestamps.added).toBeInstanceOf(Date);
      expect(stored?.etag).toBe(created.etag);
    });

    it('refuses a second rotation for the same app while one is current', async () => {
      await rotations.create(rotation('rot-1', at('2026-04-01T06:00:00.000Z')));
      await expect(rotations.create(rotation('rot-2', at('2026-04-01T06:00:01.000Z')))).rejects.toBeInstanceOf(
        StoreConflictError,
      );
      expect((await rotations.get(APP))?.record.rotationId).toBe('rot-1');
    });

    it('lets one of two writers holding the same etag win; the other gets a conflict', async () => {
      const created = await rotations.create(rotation('rot-1', at('2026-04-01T06:00:00.000Z')));
      const first = await rotations.update({ ...created.record, step: 'added', newKeyId: 'key-a' }, created.etag);
      await expect(
        rotations.update({ ...created.record, step: 'added', newKeyId: 'key-b' }, created.etag),
      ).rejects.toBeInstanceOf(StoreConflictError);

      const stored = await rotations.get(APP);
      expect(stored?.record.newKeyId).toBe('key-a');
      expect(stored?.etag).toBe(first.etag);
    });

    it('lets exactly one of two concurrent updates with the same etag through', async () => {
      const created = await rotations.create(rotation('rot-1', at('2026-04-01T06:00:00.000Z')));
      const results = await Promise.allSettled(
        ['key-a', 'key-b'].map((newKeyId) =>
          rotations.update({ ...created.record, step: 'added', newKeyId }, created.etag),
        ),
      );
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((result) => result.status === 'rejected');
      expect(rejected?.status === 'rejected' && rejected.reason instanceof StoreConflictError).toBe(true);
    });

    it('chains updates through the etag each write returns', async () => {
      let stored = await rotations.create(rotation('rot-1', at('2026-04-01T06:00:00.000Z')));
      for (const step of ['added', 'stored', 'verified', 'switched'] as const) {
        stored = await rotations.update({ ...stored.record, step }, stored.etag);
      }
      expect((await rotations.get(APP))?.record.step).toBe('switched');
      expect((await rotations.listHistory(APP)).map((record) => record.step)).toEqual(['switched']);
    });

    it('refuses to update a rotation that was closed meanwhile', async () => {
      const created = await rotations.create(rotation('rot-1', at('2026-04-01T06:00:00.000Z')));
      await rotations.close(APP, created.etag);
      await expect(rotations.update({ ...created.record, step: 'added' }, created.etag)).rejects.toBeInstanceOf(
        StoreConflictError,
      );
    });

    it('closes only with the current etag, then accepts a new rotation and keeps both in history, newest first', async () => {
      const first = await rotations.create(rotation('rot-1', at('2026-04-01T06:00:00.000Z')));
      const done = await rotations.update({ ...first.record, step: 'old_removed' }, first.etag);
      await expect(rotations.close(APP, first.etag)).rejects.toBeInstanceOf(StoreConflictError);
      await rotations.close(APP, done.etag);
      expect(await rotations.get(APP)).toBeUndefined();

      await rotations.create(rotation('rot-2', at('2028-03-01T06:00:00.000Z')));
      const history = await rotations.listHistory(APP);
      expect(history.map((record) => [record.rotationId, record.step])).toEqual([
        ['rot-2', 'planned'],
        ['rot-1', 'old_removed'],
      ]);
      expect(history[1]?.startedAt).toEqual(at('2026-04-01T06:00:00.000Z'));
    });

    it('keeps apps apart', async () => {
      await rotations.create(rotation('rot-1', at('2026-04-01T06:00:00.000Z')));
      await rotations.create({ ...rotation('rot-9', at('2026-04-02T06:00:00.000Z')), appId: OTHER_APP });
      expect((await rotations.get(OTHER_APP))?.record.rotationId).toBe('rot-9');
      expect((await rotations.listHistory(APP)).map((record) => record.rotationId)).toEqual(['rot-1']);
    });
  });
}
