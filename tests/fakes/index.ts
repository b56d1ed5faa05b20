// In-memory fakes of every storage port (src/shared/ports.ts); tests/contract proves they behave like
// the real adapters.
export { EtagTable } from './etagTable.js';
export { InMemoryAlertLedger } from './inMemoryAlertLedger.js';
export { InMemoryMailboxRegistry } from './inMemoryMailboxRegistry.js';
export { InMemoryRotationStore } from './inMemoryRotationStore.js';
export { InMemoryRunReportStore } from './inMemoryRunReportStore.js';
export { InMemorySecretStore } from './inMemorySecretStore.js';
export { InMemoryUsedFlows } from './inMemoryUsedFlows.js';
export { InMemoryAttemptLimiter } from './inMemoryAttemptLimiter.js';
