// Composition of client-secret rotation from the Core's adapters; the App (app.ts) keeps one per instance.
// The monitor run (src/shared/runtime/monitor.ts) calls it once per run.
import { loggerFor, type Logger } from '../logger.js';
import { createRotationService, type RotationService } from '../services/rotation/rotationService.js';
import type { Core } from './core.js';

export function createRotationServiceFor(core: Core, logger: Logger = loggerFor(console)): RotationService {
  return createRotationService({
    config: core.config,
    secretStore: core.secretStore,
    rotationStore: core.rotationStore,
    appDirectory: core.appDirectory,
    secretVerifier: core.oauthClient,
    logger,
  });
}
