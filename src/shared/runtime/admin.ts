// Composition of the two admin command-line tools (`npm run setup`, `npm run doctor`). Setup runs before
// keyrelay is fully configured (no OAUTH_CLIENT_ID yet, no storage in azd's hook environment), so it
// builds only the adapters it needs; doctor checks the complete app and takes the Core as it is.
import type { TokenCredential } from '@azure/identity';
import { createAzureCredential } from '../adapters/azureCredential.js';
import { graphAppScope } from '../adapters/cloudEndpoints.js';
import { createGraphApplicationDirectory, createGraphAppRegistrationAdmin } from '../adapters/graphApplications.js';
import { createGraphClient } from '../adapters/graphClient.js';
import { createKeyVaultSecretStore } from '../adapters/keyVaultSecretStore.js';
import { createSmtpAuthProbe } from '../adapters/smtpAuthProbe.js';
import { createFederatedClientCredential, describeFederatedIdentity } from '../adapters/federatedClientCredential.js';
import { createGraphFederatedCredentialDirectory } from '../adapters/graphFederatedCredentials.js';
import { createKeyVaultSecretRemover } from '../adapters/keyVaultSecretRemoval.js';
import { MsalOAuthClient } from '../adapters/oauth/msalOAuthClient.js';
import type { FederatedSetupDependencies } from '../services/setup/federatedSetup.js';
import { systemClock } from '../domain/clock.js';
import type { AzureCaller, DoctorDependencies } from '../services/doctor/doctorService.js';
import type { SetupDependencies } from '../services/setup/setupService.js';
import type { SetupSettings } from '../services/setup/setupSettings.js';
import type { Core } from './core.js';
import type { TokenService } from '../services/token/tokenService.js';
import { federatedCheckFor } from './monitor.js';

async function graphToken(credential: TokenCredential, graphEndpoint: string): Promise<string> {
  const token = await credential.getToken(graphAppScope(graphEndpoint));
  if (!token) throw new Error('no Graph token for the Azure login');
  return token.token;
}

/** With the admin's Azure login (DefaultAzureCredential: `az login`, azd's login, or the environment). */
export function createSetupDependencies(settings: SetupSettings): SetupDependencies {
  const credential = createAzureCredential(settings);
  const graph = createGraphClient(settings.graphEndpoint, () => graphToken(credential, settings.graphEndpoint));
  return {
    apps: createGraphAppRegistrationAdmin(graph, settings.graphEndpoint),
    passwords: createGraphApplicationDirectory(graph),
    secretStore: createKeyVaultSecretStore(settings, credential),
    clock: systemClock,
  };
}

/** `npm run setup -- --federated`, with the Azure login (keyrelay's identity where it runs, else the admin's). */
export function createFederatedSetupDependencies(settings: SetupSettings): FederatedSetupDependencies {
  const credential = createAzureCredential(settings);
  const graph = createGraphClient(settings.graphEndpoint, () => graphToken(credential, settings.graphEndpoint));
  const audience = settings.federatedTokenAudience;
  return {
    apps: createGraphAppRegistrationAdmin(graph, settings.graphEndpoint),
    federatedCredentials: createGraphFederatedCredentialDirectory(graph),
    // A login without an exchange token (a user's `az login`) is simply not keyrelay's identity.
    loginSubject: () =>
      describeFederatedIdentity(credential, audience).then(
        (claims) => claims.subject,
        () => undefined,
      ),
    verifyAssertion: (appId) =>
      new MsalOAuthClient(
        { clientId: appId, authorityHost: settings.authorityHost, homeTenantId: settings.azureTenantId },
        createFederatedClientCredential(credential, audience),
      ).verifyClientCredential(),
    passwords: createGraphApplicationDirectory(graph),
    secretStore: createKeyVaultSecretStore(settings, credential),
    deleteSecret: createKeyVaultSecretRemover(settings, credential),
    wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}

/**
 * Reads who the login is and its Graph app roles from the claims of its own Graph token. The token is not
 * verified here (Graph does that on every call); the claims only explain a 403 Graph already gave.
 */
async function describeCaller(credential: TokenCredential, graphEndpoint: string): Promise<AzureCaller> {
  const token = await graphToken(credential, graphEndpoint);
  const payload = token.split('.')[1] ?? '';
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
    appid?: unknown;
    azp?: unknown;
    oid?: unknown;
    roles?: unknown;
  };
  const clientId =
    typeof claims.appid === 'string' ? claims.appid : typeof claims.azp === 'string' ? claims.azp : 'unknown';
  const objectId = typeof claims.oid === 'string' ? claims.oid : 'unknown';
  const graphRoles = Array.isArray(claims.roles)
    ? claims.roles.filter((role): role is string => typeof role === 'string')
    : [];
  return { clientId, objectId, graphRoles };
}

/** With keyrelay's own identity, as the Function App would run (managed identity, or its environment). */
export function createDoctorDependencies(core: Core, tokens: TokenService): DoctorDependencies {
  const federatedCheck = federatedCheckFor(core);
  return {
    secretStore: core.secretStore,
    apps: createGraphAppRegistrationAdmin(core.graphAppOnly, core.config.graphEndpoint),
    describeCaller: () => describeCaller(core.azureCredential, core.config.graphEndpoint),
    verifyClientSecret: (clientSecret) => core.oauthClient.verifyClientSecret(clientSecret),
    mailboxRegistry: core.mailboxRegistry,
    checkSmtpAuth: async (upn) => {
      const grant = await tokens.getToken({ mailbox: upn, resource: 'smtp' });
      return createSmtpAuthProbe(core.config.smtpEndpoint).check(upn, grant.accessToken);
    },
    clock: core.clock,
    ...(federatedCheck ? { federatedCheck } : {}),
  };
}
