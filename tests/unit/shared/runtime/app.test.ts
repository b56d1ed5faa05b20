// The composition root: one App per Config object on an instance, each service made once on first use,
// and overrides that give a test or a measurement an App of its own. Building touches no network.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '#src/shared/config.js';
import type { Clock } from '#src/shared/domain/clock.js';
import { createApp } from '#src/shared/runtime/app.js';
import { sampleSettings } from '../../../integration/host/settings.js';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('createApp', () => {
  it('is memoised per Config object: every caller on the instance shares one App and its services', () => {
    const config = loadConfig(sampleSettings());
    const app = createApp(config);
    expect(createApp(config)).toBe(app);
    expect(app.tokens()).toBe(app.tokens());
    expect(app.monitor()).toBe(createApp(config).monitor());
    expect(app.rotation()).toBe(app.rotation());
    expect(app.keyring()).toBe(app.keyring());
    expect(app.audit()).toBe(app.audit());
    // Another Config object (other settings) is another App.
    expect(createApp(loadConfig(sampleSettings()))).not.toBe(app);
  });

  it('builds an App of its own for overrides, with the given clock and Core adapters in place', () => {
    const config = loadConfig(sampleSettings());
    const clock: Clock = { now: () => new Date('2026-03-01T06:00:00Z') };
    const app = createApp(config, { clock, logger: silent });
    expect(app).not.toBe(createApp(config));
    expect(app).not.toBe(createApp(config, { clock, logger: silent }));
    expect(app.core.clock).toBe(clock);
    const secretStore = app.core.secretStore;
    const replaced = createApp(config, { logger: silent, core: (built) => ({ ...built, secretStore }) });
    expect(replaced.core.secretStore).toBe(secretStore);
  });
});
