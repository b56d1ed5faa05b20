// The monitor's step for OAUTH_CLIENT_CREDENTIAL=federated (issue 15): no rotation; instead check that the
// app's federated credential still names keyrelay's identity and that Entra accepts the assertion (an
// urgent notice once a day while it does not), and name every password left on the app or the client
// secret left in Key Vault as no longer needed (once each). The monitor sends what this returns.
import {
  type FederatedIdentityClaims,
  type FederatedIdentityCredential,
  OAuthClientError,
  type VerifyResult,
} from '#src/shared/ports/index.js';

import type { MonitoredCredential } from '#src/shared/domain/monitor/credentials.js';
import {
  matchFederatedCredential,
  type FederatedPostureNotice,
  type FederatedProblem,
  type LeftoverSecret,
} from '#src/shared/domain/monitor/federatedPosture.js';

export interface FederatedCheckDependencies {
  appId: string;
  clientSecretName: string;
  listCredentials(appObjectId: string): Promise<FederatedIdentityCredential[]>;
  /** The identity's assertion claims (throws an OAuthClientError when the identity has no token). */
  identity(): Promise<FederatedIdentityClaims>;
  /** A client-credentials token with the assertion: Entra's own verdict. */
  verify(): Promise<VerifyResult>;
}

/** A ledger key and what the digest says: the monitor claims, sends and records it like any alert. */
export interface FederatedNotice {
  credentialId: string;
  threshold: string;
  federated: FederatedPostureNotice;
}

export interface FederatedCheckResult {
  notices: FederatedNotice[];
  errors: string[];
  /** For the status page and doctor. */
  state: 'matching' | FederatedProblem['state'] | 'unknown';
  /** Entra's (or keyrelay's) code when the state is `refused`. */
  errorCode?: string;
}

export interface FederatedCheck {
  /** `appObjectId`: undefined when Graph could not read the app this run. */
  check(input: {
    appObjectId?: string;
    credentials: readonly MonitoredCredential[];
    now: Date;
  }): Promise<FederatedCheckResult>;
}

export function createFederatedCheck(deps: FederatedCheckDependencies): FederatedCheck {
  async function problemOf(
    appObjectId: string | undefined,
    errors: string[],
  ): Promise<FederatedProblem | 'unknown' | undefined> {
    let identity: FederatedIdentityClaims;
    try {
      identity = await deps.identity();
    } catch (error) {
      if (error instanceof OAuthClientError && error.failure.kind === 'invalid_client')
        return { state: 'refused', errorCode: error.failure.errorCode };
      throw error;
    }
    if (appObjectId === undefined) {
      errors.push('federated_credential_unreadable');
      return 'unknown';
    }
    try {
      const match = matchFederatedCredential(await deps.listCredentials(appObjectId), identity);
      if (match !== 'matching') return { state: match };
    } catch {
      // Graph may still let Entra decide below: a missing read permission must not hide a working credential.
      errors.push('federated_credential_unreadable');
    }
    const verdict = await deps.verify();
    if (verdict.ok) return undefined;
    if (verdict.failure.kind === 'invalid_client') return { state: 'refused', errorCode: verdict.failure.errorCode };
    errors.push(`federated_verify_failed:${verdict.failure.kind}`);
    return 'unknown';
  }

  return {
    async check({ appObjectId, credentials, now }) {
      const errors: string[] = [];
      const problem = await problemOf(appObjectId, errors);
      const notices: FederatedNotice[] = [];
      if (problem !== undefined && problem !== 'unknown') {
        notices.push({
          credentialId: `federated:${deps.appId}`,
          // Urgent: repeated once a day until it is fixed.
          threshold: `${problem.state}@${now.toISOString().slice(0, 10)}`,
          federated: { problem, leftovers: [] },
        });
      }
      for (const credential of credentials) {
        const leftover = leftoverOf(credential, deps.clientSecretName);
        if (leftover === undefined) continue;
        notices.push({
          credentialId: credential.id,
          threshold: `leftover@${credential.expiresAt.toISOString().slice(0, 10)}`,
          federated: { leftovers: [leftover] },
        });
      }
      if (problem === undefined || problem === 'unknown')
        return { notices, errors, state: problem === undefined ? 'matching' : 'unknown' };
      return {
        notices,
        errors,
        state: problem.state,
        ...(problem.errorCode !== undefined ? { errorCode: problem.errorCode } : {}),
      };
    },
  };
}

function leftoverOf(credential: MonitoredCredential, clientSecretName: string): LeftoverSecret | undefined {
  if (credential.kind === 'client-secret')
    return { label: credential.label, where: 'app', expiresAt: credential.expiresAt };
  if (credential.kind === 'key-vault-secret' && credential.label === clientSecretName) {
    return { label: credential.label, where: 'key-vault', expiresAt: credential.expiresAt };
  }
  return undefined;
}
