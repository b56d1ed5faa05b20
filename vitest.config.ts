import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // FACTS.md: NODE_EXTRA_CA_CERTS is read at process start; forks (not threads) see the bundle
    // written by globalSetup.
    pool: 'forks',
    globalSetup: ['tests/setup/global-setup.ts'],
    setupFiles: ['tests/setup/network-guard.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});
