// `npm run doctor`: probes every dependency keyrelay has (Key Vault, Graph, Entra ID, the mailbox
// registry) with keyrelay's own Azure identity, then hands what it saw to the pure evaluation.
import { alarmChannelsWithoutSecret, type AlarmChannelSettings } from '#src/shared/domain/monitor/alarmChannels.js';
import {
  type AppRegistrationAdmin,
  azureLoginMissing,
  GraphRequestError,
  type MailboxRecord,
  type MailboxRegistry,
  type OAuthFailure,
  type SecretStore,
  StoreRequestError,
  StoreUnavailableError,
} from '#src/shared/ports/index.js';
import type { Config } from '#src/shared/config.js';
import type { Clock } from '#src/shared/domain/clock.js';
import type { SmtpAuthCheck } from '#src/shared/domain/connect/smtpAuth.js';
import { MICROSOFT_GRAPH_APP_ID } from '../setup/appRegistrationPlan.js';
import type { FederatedCheck } from '../monitor/federatedCheck.js';
import {
  evaluateFindings,
  type FederatedObservation,
  type DoctorContext,
  type Finding,
  type GraphObservation,
  type KeyVaultObservation,
  type MailboxObservation,
  OWNED_BY_ROLE,
  type RoleGrantObservation,
  WRITE_ALL_ROLE,
  type SecretCheckObservation,
} from './findings.js';

/** Who the Azure login is and which Graph app roles its token carries. */
export interface AzureCaller {
  clientId: string;
  /** Directory object id of the caller's service principal (the id the app's owners list). */
  objectId: string;
  graphRoles: string[];
}

export interface DoctorDependencies {
  secretStore: SecretStore;
  apps: Pick<
    AppRegistrationAdmin,
    'findApplicationByAppId' | 'listOwners' | 'listAppRoleGrants' | 'findServicePrincipal'
  >;
  describeCaller(): Promise<AzureCaller>;
  verifyClientSecret(clientSecret: string): Promise<{ ok: true } | { ok: false; failure: OAuthFailure }>;
  mailboxRegistry: Pick<MailboxRegistry, 'list'>;
  /** The connect-time SMTP AUTH check again, with a fresh SMTP token of the mailbox. */
  checkSmtpAuth(upn: string): Promise<SmtpAuthCheck>;
  clock: Clock;
  /** OAUTH_CLIENT_CREDENTIAL=federated: the monitor's check of the federated credential. */
  federatedCheck?: FederatedCheck;
}

export type DoctorConfig = Pick<
  Config,
  | 'oauthClientId'
  | 'azureTenantId'
  | 'keyVaultUrl'
  | 'oauthClientSecretName'
  | 'redirectUri'
  | 'publicBaseUrl'
  | 'authorityHost'
  | 'rotationLeadDays'
> &
  AlarmChannelSettings &
  Partial<Pick<Config, 'oauthClientCredential'>>;

export async function runDoctor(deps: DoctorDependencies, config: DoctorConfig): Promise<Finding[]> {
  const [caller, secret, mailboxes] = await Promise.all([
    settle(deps.describeCaller()),
    settle(deps.secretStore.getSecret(config.oauthClientSecretName)),
    probeMailboxes(deps),
  ]);
  const keyVault = keyVaultObservation(secret);
  const federatedCheck = config.oauthClientCredential === 'federated' ? deps.federatedCheck : undefined;
  const [graph, secretCheck, roleGrants, federated] = await Promise.all([
    probeGraph(deps, config, caller),
    secret.ok && secret.value?.value && !federatedCheck
      ? probeSecret(deps, secret.value.value)
      : Promise.resolve<SecretCheckObservation>({ kind: 'not_run' }),
    caller.ok && !caller.value.graphRoles.some((role) => role === OWNED_BY_ROLE || role === WRITE_ALL_ROLE)
      ? probeRoleGrants(deps, caller.value.objectId)
      : Promise.resolve([]),
    federatedCheck ? probeFederated(deps, config, federatedCheck) : Promise.resolve(undefined),
  ]);
  const context: DoctorContext = {
    appId: config.oauthClientId,
    tenantId: config.azureTenantId,
    identity: caller.ok ? caller.value.clientId : 'DefaultAzureCredential',
    keyVaultUrl: config.keyVaultUrl,
    secretName: config.oauthClientSecretName,
    redirectUri: config.redirectUri,
    publicBaseUrl: config.publicBaseUrl,
    authorityHost: config.authorityHost,
    rotationLeadDays: config.rotationLeadDays,
    alarmChannelsWithoutSecret: alarmChannelsWithoutSecret(config),
  };
  const posture = config.oauthClientCredential ?? 'secret';
  return evaluateFindings(
    context,
    { keyVault, graph, secretCheck, mailboxes, roleGrants, posture, ...(federated ? { federated } : {}) },
    deps.clock.now(),
  );
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

function settle<T>(pending: Promise<T>): Promise<Settled<T>> {
  return pending.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );
}

/** A short, secret-free description of a failure: status codes and class names only. */
function describeFailure(error: unknown): string {
  if (error instanceof GraphRequestError)
    return error.failure.status === 0 ? 'no answer' : `HTTP ${error.failure.status} ${error.failure.code}`;
  if (error instanceof StoreUnavailableError || error instanceof StoreRequestError) {
    return error.statusCode === undefined ? 'no answer' : `HTTP ${error.statusCode}`;
  }
  return error instanceof Error ? error.name : 'unknown error';
}

function keyVaultObservation(secret: Settled<Awaited<ReturnType<SecretStore['getSecret']>>>): KeyVaultObservation {
  if (!secret.ok) {
    const { error } = secret;
    const noLogin = azureLoginMissing(error);
    if (noLogin) return { kind: 'no_login', tried: noLogin.tried.join(',') };
    if (error instanceof StoreRequestError && (error.statusCode === 401 || error.statusCode === 403))
      return { kind: 'denied', status: error.statusCode };
    return { kind: 'unavailable', detail: describeFailure(error) };
  }
  const value = secret.value;
  if (!value?.value) return { kind: 'missing' };
  return {
    kind: 'ok',
    secret: {
      ...(value.expiresOn !== undefined && { expiresOn: value.expiresOn }),
      ...(value.tags.keyId !== undefined && { keyId: value.tags.keyId }),
      hint: value.value.slice(0, 3),
    },
  };
}

async function probeGraph(
  deps: DoctorDependencies,
  config: DoctorConfig,
  caller: Settled<AzureCaller>,
): Promise<GraphObservation> {
  if (!caller.ok) {
    const noLogin = azureLoginMissing(caller.error);
    return noLogin
      ? { kind: 'no_login', tried: noLogin.tried.join(',') }
      : { kind: 'unavailable', detail: describeFailure(caller.error) };
  }
  const callerRoles = caller.value.graphRoles;
  try {
    const app = await deps.apps.findApplicationByAppId(config.oauthClientId);
    if (!app) return { kind: 'not_found' };
    const { clientId, objectId } = caller.value;
    const owners = await deps.apps.listOwners(app.id);
    return {
      kind: 'ok',
      callerRoles,
      callerOwnsApp: owners.some((owner) => owner.id === objectId || owner.appId === clientId),
      webRedirectUris: app.webRedirectUris,
      passwordCredentials: app.passwordCredentials.map(({ keyId, hint, endDateTime }) => ({
        keyId,
        hint,
        endDateTime,
      })),
    };
  } catch (error) {
    if (error instanceof GraphRequestError && error.failure.status === 403) return { kind: 'denied', callerRoles };
    return { kind: 'unavailable', detail: describeFailure(error) };
  }
}

/** The Graph app roles granted to the identity, with their dates; none when Graph will not say. */
async function probeRoleGrants(deps: DoctorDependencies, principalId: string): Promise<RoleGrantObservation[]> {
  try {
    const [graphPrincipal, grants] = await Promise.all([
      deps.apps.findServicePrincipal(MICROSOFT_GRAPH_APP_ID),
      deps.apps.listAppRoleGrants(principalId),
    ]);
    return grants.flatMap((grant) => {
      const role = graphPrincipal?.appRoles.find((candidate) => candidate.id === grant.appRoleId)?.value;
      return role !== undefined && grant.resourceId === graphPrincipal?.id && grant.createdDateTime !== null
        ? [{ role, grantedAt: new Date(grant.createdDateTime) }]
        : [];
    });
  } catch {
    // Reading assignments may itself be denied: the missing-role finding then stands as it is.
    return [];
  }
}

async function probeSecret(deps: DoctorDependencies, clientSecret: string): Promise<SecretCheckObservation> {
  const result = await deps.verifyClientSecret(clientSecret);
  if (result.ok) return { kind: 'ok' };
  const { failure } = result;
  if (failure.kind === 'unavailable') return { kind: 'unavailable' };
  return { kind: 'rejected', errorCode: failure.errorCode };
}

async function probeFederated(
  deps: DoctorDependencies,
  config: DoctorConfig,
  check: FederatedCheck,
): Promise<FederatedObservation> {
  try {
    const app = await deps.apps.findApplicationByAppId(config.oauthClientId);
    const result = await check.check({
      ...(app ? { appObjectId: app.id } : {}),
      credentials: [],
      now: deps.clock.now(),
    });
    return { state: result.state, ...(result.errorCode !== undefined ? { errorCode: result.errorCode } : {}) };
  } catch {
    return { state: 'unknown' };
  }
}

async function probeMailboxes(deps: DoctorDependencies): Promise<MailboxObservation> {
  let mailboxes: MailboxRecord[];
  try {
    mailboxes = await deps.mailboxRegistry.list();
  } catch (error) {
    return { kind: 'unavailable', detail: describeFailure(error) };
  }
  const smtpAuth: Record<string, SmtpAuthCheck> = {};
  // One at a time: a handful of SMTP sessions, and no burst of token refreshes.
  for (const mailbox of mailboxes.filter((candidate) => candidate.status === 'ok')) {
    const checked = await settle(deps.checkSmtpAuth(mailbox.upn));
    smtpAuth[mailbox.upn] = checked.ok ? checked.value : { state: 'unknown', code: 'no_smtp_token' };
  }
  return { kind: 'ok', mailboxes, smtpAuth };
}
