// Ports: what the services need from the outside world, in the domain's words, one file per concern.
// Adapters in src/shared/adapters implement them with the SDKs; tests/fakes implement them in memory with
// the same semantics, and tests/contract holds one suite per port that both must pass. Services and the
// domain import these, never an adapter (tests/unit/import-direction.test.ts).
//
// Failures: "not found" is `undefined`; everything else throws one of ./storeErrors.ts:
// StoreUnavailableError (429/5xx/no answer; retryAfterSeconds; maps to 503), StoreConflictError
// (409/412: someone else wrote first) or StoreRequestError (any other refusal, e.g. 403).
export type { Clock } from '../domain/clock.js';
export * from './alertLedger.js';
export * from './azureLogin.js';
export * from './federatedCredentials.js';
export * from './graph.js';
export * from './graphApplications.js';
export * from './mailboxRegistry.js';
export * from './mailer.js';
export * from './monitor.js';
export * from './oauthClient.js';
export * from './rotationStore.js';
export * from './runReports.js';
export * from './secretStore.js';
export * from './signInLimits.js';
export * from './smtpAuthProbe.js';
export * from './storeErrors.js';
