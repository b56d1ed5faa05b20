// Composition of client-secret rotation: one RotationService per instance, built from the Core's adapters.
// The monitor run (src/shared/runtime/monitor.ts) calls it once per run.
import { loggerFor, type Logger } from '../logger.js';
import { createRotationService, type RotationService } from '../services/rotation/rotationService.js';
import { getCore, type Core } from './core.js';

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

let instanceRotationService: RotationService | undefined;

/** The instance's RotationService, built on first use. */
export function getRotationService(): RotationService {
  instanceRotationService ??= createRotationServiceFor(getCore());
  return instanceRotationService;
}
