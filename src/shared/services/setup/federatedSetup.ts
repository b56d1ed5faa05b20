// `npm run setup -- --federated`: the migration from `secret` to `federated` (issue 15). Each step reads
// first and changes only what differs, so a second run changes nothing:
//   1. add the federated credential for keyrelay's user-assigned identity to the app registration
//      (issuer = the tenant's v2.0 issuer, subject = the identity's object id, audience of the cloud);
//   2. verify a token with the identity's assertion — possible only where that identity runs (the Azure
//      login is keyrelay's identity); elsewhere the step says so and nothing further happens;
//   3. the switch: OAUTH_CLIENT_CREDENTIAL=federated (setup names the command; it cannot set app settings);
//   4. only after a verified switch, remove the old client secret from Graph and Key Vault (--remove-secret).
import type {
  AppRegistrationAdmin,
  AppRegistrationDirectory,
  FederatedCredentialDirectory,
  SecretStore,
  VerifyResult,
} from '#src/shared/ports/index.js';

import { matchFederatedCredential } from '#src/shared/domain/monitor/federatedPosture.js';
import { SetupFailure } from './setupFailure.js';
import type { MessageParams, SetupMessage, SetupMessageCode } from './setupMessages.js';
import { findApplication, step, type SetupOutcome, type SetupStep, type StepStatus } from './setupService.js';
import type { SetupSettings } from './setupSettings.js';

export const FEDERATED_CREDENTIAL_NAME = 'keyrelay-managed-identity';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A new federated credential can take a little while to be honoured by Entra (like a new secret). */
const VERIFY_ATTEMPTS = 6;
const VERIFY_WAIT_MS = 10_000;

export interface FederatedSetupDependencies {
  apps: Pick<AppRegistrationAdmin, 'findApplicationByAppId' | 'findApplicationsByDisplayName'>;
  federatedCredentials: FederatedCredentialDirectory;
  /** The subject of the Azure login's own exchange token: keyrelay's identity only where it runs; undefined when it has none. */
  loginSubject(): Promise<string | undefined>;
  /** A client-credentials token for `appId` with the login's assertion: Entra's verdict on the credential. */
  verifyAssertion(appId: string): Promise<VerifyResult>;
  passwords: Pick<AppRegistrationDirectory, 'removePassword'>;
  secretStore: Pick<SecretStore, 'getSecret'>;
  deleteSecret(name: string): Promise<'deleted' | 'not_found'>;
  wait(ms: number): Promise<void>;
}

export interface FederatedSetupOptions {
  settings: SetupSettings;
  appName: string;
  dryRun: boolean;
  removeSecret: boolean;
}

export async function runFederatedSetup(
  deps: FederatedSetupDependencies,
  options: FederatedSetupOptions,
  onStep: (step: SetupStep) => void = () => undefined,
): Promise<SetupOutcome> {
  const { settings, dryRun } = options;
  const steps: SetupStep[] = [];
  const nextSteps: SetupMessage[] = [];
  const record = (status: StepStatus, code: SetupMessageCode, params: MessageParams = {}): void => {
    const step = { status, code, params };
    steps.push(step);
    onStep(step);
  };

  const app = await step('find app registration', () => findApplication(deps.apps, settings, options.appName));
  if (!app) throw new SetupFailure('federated_app_missing', { displayName: options.appName });
  record('unchanged', 'app_found', { displayName: app.displayName, appId: app.appId });
  const subject = settings.identityObjectId;
  if (subject === undefined) throw new SetupFailure('federated_identity_missing', {});
  if (!GUID.test(settings.azureTenantId))
    throw new SetupFailure('federated_tenant_id', { tenant: settings.azureTenantId });
  const issuer = `${settings.authorityHost}/${settings.azureTenantId}/v2.0`;
  const audience = settings.federatedTokenAudience;

  // 1. The federated credential.
  const existing = await step('read federated credentials', () => deps.federatedCredentials.list(app.id));
  const match = matchFederatedCredential(existing, { issuer, subject, audience });
  const params = { name: FEDERATED_CREDENTIAL_NAME, subject, audience };
  if (match === 'matching') {
    record('unchanged', 'fic_ok', params);
  } else {
    const taken = existing.find(
      (c) => c.name === FEDERATED_CREDENTIAL_NAME || (c.issuer === issuer && c.subject === subject),
    );
    if (taken) throw new SetupFailure('federated_credential_conflict', { name: taken.name });
    if (!dryRun) {
      await step('add federated credential', () =>
        deps.federatedCredentials.add(app.id, {
          name: FEDERATED_CREDENTIAL_NAME,
          issuer,
          subject,
          audiences: [audience],
          description: "keyrelay's managed identity signs in as this app (no client secret).",
        }),
      );
    }
    record(dryRun ? 'planned' : 'done', 'fic_add', params);
  }

  // 2. Verification, where keyrelay's identity is the login.
  if (dryRun) {
    record('planned', 'fic_verify', {});
    return { appId: app.appId, steps, nextSteps: [{ code: 'next_switch', params: {} }] };
  }
  if ((await deps.loginSubject()) !== subject) {
    record('skipped', 'fic_verify_elsewhere', { subject });
    nextSteps.push({ code: 'next_switch', params: {} }, { code: 'next_doctor', params: {} });
    return { appId: app.appId, steps, nextSteps };
  }
  let verdict = await deps.verifyAssertion(app.appId);
  for (let attempt = 1; !verdict.ok && attempt < VERIFY_ATTEMPTS; attempt++) {
    await deps.wait(VERIFY_WAIT_MS);
    verdict = await deps.verifyAssertion(app.appId);
  }
  if (!verdict.ok) {
    const code =
      verdict.failure.kind === 'invalid_client' || verdict.failure.kind === 'rejected'
        ? verdict.failure.errorCode
        : verdict.failure.kind;
    throw new SetupFailure('federated_verify_failed', { code });
  }
  record('done', 'fic_verified', {});

  // 3. The switch.
  if (settings.oauthClientCredential !== 'federated') {
    nextSteps.push({ code: 'next_switch', params: {} }, { code: 'next_remove_after_switch', params: {} });
    return { appId: app.appId, steps, nextSteps };
  }
  record('unchanged', 'setting_ok', {});

  // 4. The old secret, only now that the running app authenticates without it.
  const secretName = settings.oauthClientSecretName;
  const stored = await step('read client secret from Key Vault', () => deps.secretStore.getSecret(secretName));
  if (stored === undefined) {
    record('unchanged', 'secret_none', { secretName });
  } else if (!options.removeSecret) {
    nextSteps.push({ code: 'next_remove_secret', params: { secretName } });
  } else {
    const keyId = stored.tags.keyId;
    const removed =
      keyId !== undefined && stored.tags.appId === app.appId
        ? await step('remove client secret', () => deps.passwords.removePassword(app.id, keyId))
        : 'not_found';
    await step('delete client secret from Key Vault', () => deps.deleteSecret(secretName));
    record('done', 'secret_removed', { secretName, keyId: removed === 'removed' && keyId !== undefined ? keyId : '-' });
  }
  nextSteps.push({ code: 'next_doctor', params: {} });
  return { appId: app.appId, steps, nextSteps };
}
