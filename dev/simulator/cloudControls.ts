// The simulator's hold on the local Microsoft cloud: the keyrelay app's client secrets as Graph lists
// them, "time passing" for the secret in use, and the alert outbox. Moving the expiry changes both
// places a real renewal changes: the password credential's endDateTime (emulator control API) and the
// Key Vault secret's expiresOn (the real Key Vault SDK, signed in as the demo tenant's admin).
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { ADMIN_CLIENT_ID, KEYRELAY_APP_ID, type StartedLocalCloud } from '../cloud/index.js';
import type { OutboxMessage } from '../cloud/context.js';
import { statusCodeOf } from '#src/shared/adapters/storeErrors.js';
import { daysUntilExpiry } from '#src/shared/domain/monitor/expiryPolicy.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface ClientSecretRow {
  keyId: string;
  displayName: string | null;
  endDateTime: string;
  daysLeft: number;
  inUse: boolean;
}

export interface CloudControls {
  /** Origin of the local Entra ID (the browser signs in there). */
  readonly entraOrigin: string;
  clientSecrets(): Promise<ClientSecretRow[]>;
  /** Moves the secret in use (Key Vault `keyId` tag) to expire `days` from now; returns the new end. */
  expireClientSecretIn(days: number): Promise<Date>;
  /** Sent mail, newest first. */
  outbox(): OutboxMessage[];
  /** A failure to watch keyrelay handle: Graph refuses the app's next new secrets (addPassword 403, as without Application.ReadWrite.OwnedBy). */
  refuseNewSecrets(): void;
}

export class CloudControlError extends Error {}

/** The app has no client secret in Key Vault (federated posture): there is no secret to move. */
export class NoClientSecretError extends CloudControlError {}

export function createCloudControls(local: StartedLocalCloud): CloudControls {
  const { settings } = local;
  const admin = local.ctx.servicePrincipals.find((principal) => principal.clientId === ADMIN_CLIENT_ID);
  if (!admin) throw new CloudControlError('the local cloud has no admin identity');
  // This process started before the local CA existed, so the CA is handed to the SDK clients directly.
  const tlsOptions = { ca: [local.ca.certPem] };
  const credential = new ClientSecretCredential(admin.tenantId, admin.clientId, admin.secret, {
    authorityHost: settings.AZURE_AUTHORITY_HOST,
    disableInstanceDiscovery: true,
    tlsOptions,
  });
  const secrets = new SecretClient(settings.KEY_VAULT_URL, credential, {
    disableChallengeResourceVerification: true,
    tlsOptions,
  });

  const secretInUse = async () => {
    const secret = await secrets.getSecret(settings.OAUTH_CLIENT_SECRET_NAME).catch((error: unknown) => {
      // After "Go secretless" the Key Vault secret is gone: nothing is in use, nothing can expire.
      if (statusCodeOf(error) === 404) throw new NoClientSecretError('keyrelay uses no client secret');
      throw error;
    });
    const { version, tags } = secret.properties;
    const keyId = tags?.keyId;
    if (!version || !keyId)
      throw new CloudControlError(`Key Vault secret ${settings.OAUTH_CLIENT_SECRET_NAME} has no keyId tag`);
    return { version, keyId, tags };
  };

  return {
    entraOrigin: new URL(settings.AZURE_AUTHORITY_HOST).origin,
    async clientSecrets() {
      const inUseKeyId = await secretInUse().then(
        (secret) => secret.keyId,
        (error: unknown) => {
          if (error instanceof NoClientSecretError) return undefined;
          throw error;
        },
      );
      const { now, applications } = local.cloud.state();
      const app = applications.find((a) => a.appId === KEYRELAY_APP_ID);
      return (app?.passwordCredentials ?? []).map((password) => ({
        keyId: password.keyId,
        displayName: password.displayName,
        endDateTime: password.endDateTime,
        daysLeft: daysUntilExpiry(new Date(password.endDateTime), new Date(now)),
        inUse: password.keyId === inUseKeyId,
      }));
    },
    async expireClientSecretIn(days) {
      const { version, keyId, tags } = await secretInUse();
      const end = new Date(Date.parse(local.cloud.state().now) + days * DAY_MS);
      local.cloud.setCredentialEndDateTime(KEYRELAY_APP_ID, keyId, end);
      await secrets.updateSecretProperties(settings.OAUTH_CLIENT_SECRET_NAME, version, { expiresOn: end, tags });
      return end;
    },
    outbox() {
      return local.cloud.outbox().reverse();
    },
    refuseNewSecrets() {
      // Several tries: the rotation retries within a run; the demo is stopped, not healed, afterwards.
      local.cloud.injectFault({
        service: 'graph',
        route: 'applications.addPassword',
        kind: 'status',
        status: 403,
        remaining: 10,
      });
    },
  };
}
