// Pure evaluation of `npm run doctor`: what the probes saw in, findings out. No I/O here, so every
// broken setup can be tested as plain data.
import type { SettingProblem } from '#src/shared/errors.js';
import type { SmtpAuthCheck } from '#src/shared/domain/connect/smtpAuth.js';
import { reconnectUrl } from '#src/shared/domain/connect/reconnectUrl.js';
import type { MailboxRecord } from '#src/shared/ports/index.js';
import { adminConsentUrl } from '../setup/appRegistrationPlan.js';

export type Severity = 'ok' | 'info' | 'warning' | 'problem';

export type FindingCode =
  | 'azure_login_missing'
  | 'settings_invalid'
  | 'settings_ok'
  | 'key_vault_ok'
  | 'key_vault_access_denied'
  | 'key_vault_unavailable'
  | 'client_secret_missing'
  | 'graph_ok'
  | 'graph_permission_missing'
  | 'app_not_owned'
  | 'app_registration_not_found'
  | 'graph_unavailable'
  | 'secret_ok'
  | 'secret_expiring'
  | 'secret_expired'
  | 'secret_unknown_to_app'
  | 'secret_rejected'
  | 'secret_check_unavailable'
  | 'redirect_uri_ok'
  | 'redirect_uri_mismatch'
  | 'redirect_uri_unchecked'
  | 'consent_ok'
  | 'consent_missing'
  | 'mailbox_ok'
  | 'mailbox_reconnect_required'
  | 'mailbox_consent_missing'
  | 'mailboxes_unavailable'
  | 'alarm_channel_needs_secret'
  | 'mailbox_smtp_auth'
  | 'graph_role_cached'
  | 'posture_secret'
  | 'posture_federated'
  | 'federated_ok'
  | 'federated_missing'
  | 'federated_mismatch'
  | 'federated_refused'
  | 'federated_unchecked'
  | 'federated_leftover_password'
  | 'federated_leftover_secret';

export interface Finding {
  code: FindingCode;
  severity: Severity;
  params: Readonly<Record<string, string | number>>;
}

/** Graph app roles that let keyrelay's identity add and remove the app's passwords (DESIGN §6). */
export const OWNED_BY_ROLE = 'Application.ReadWrite.OwnedBy';
export const WRITE_ALL_ROLE = 'Application.ReadWrite.All';

export interface DoctorContext {
  appId: string;
  tenantId: string;
  identity: string;
  keyVaultUrl: string;
  secretName: string;
  redirectUri: string;
  publicBaseUrl: string;
  authorityHost: string;
  rotationLeadDays: number;
  /** Alert channels that work when the client secret is refused (alarmChannels.ts). */
  alarmChannelsWithoutSecret: readonly string[];
}

export type KeyVaultObservation =
  | { kind: 'ok'; secret: { expiresOn?: Date; keyId?: string; hint: string } }
  | { kind: 'missing' }
  | { kind: 'denied'; status: number }
  /** No Azure sign-in at all (DefaultAzureCredential); `tried`: the sources it tried, comma-separated. */
  | { kind: 'no_login'; tried: string }
  | { kind: 'unavailable'; detail: string };

export type GraphObservation =
  | {
      kind: 'ok';
      callerRoles: string[];
      /** Whether the app's owners include the caller (OwnedBy only reaches owned apps). */
      callerOwnsApp: boolean;
      webRedirectUris: string[];
      passwordCredentials: { keyId: string; hint: string | null; endDateTime: string }[];
    }
  | { kind: 'denied'; callerRoles: string[] }
  | { kind: 'not_found' }
  | { kind: 'no_login'; tried: string }
  | { kind: 'unavailable'; detail: string };

/** Graph app roles granted to keyrelay's identity (appRoleAssignments), read when its token lacks them. */
export interface RoleGrantObservation {
  role: string;
  grantedAt: Date;
}

/** FACTS.md: managed-identity tokens keep their app roles for about 24 hours after a new grant. */
export const ROLE_CACHE_MS = 24 * 60 * 60 * 1000;

export type SecretCheckObservation =
  { kind: 'ok' } | { kind: 'rejected'; errorCode: string } | { kind: 'unavailable' } | { kind: 'not_run' };

export type MailboxObservation =
  /** `smtpAuth`: the SMTP AUTH check per connected mailbox (by upn). */
  | { kind: 'ok'; mailboxes: MailboxRecord[]; smtpAuth: Readonly<Record<string, SmtpAuthCheck>> }
  | { kind: 'unavailable'; detail: string };

/** OAUTH_CLIENT_CREDENTIAL=federated: the federated credential's check (services/monitor/federatedCheck.ts). */
export interface FederatedObservation {
  state: 'matching' | 'missing' | 'mismatch' | 'refused' | 'unknown';
  errorCode?: string;
}

export interface DoctorObservations {
  keyVault: KeyVaultObservation;
  graph: GraphObservation;
  secretCheck: SecretCheckObservation;
  mailboxes: MailboxObservation;
  /** Rotation roles granted to the identity but missing from its token (read only then). */
  roleGrants?: RoleGrantObservation[];
  /** Which credential kind keyrelay runs with (DESIGN §2); absent: not reported. */
  posture?: 'secret' | 'federated';
  /** Present in federated mode: then the client secret is neither expected nor checked. */
  federated?: FederatedObservation;
}

const DAY_MS = 86_400_000;
/** AADSTS65001: the user or admin has not consented to use the application. */
const CONSENT_ERROR = '65001';

export function settingsFindings(problems: readonly SettingProblem[]): Finding[] {
  if (problems.length === 0) return [{ code: 'settings_ok', severity: 'ok', params: {} }];
  return problems.map(({ setting, problem }) => ({
    code: 'settings_invalid',
    severity: 'problem',
    params: { setting, problem },
  }));
}

export function evaluateFindings(context: DoctorContext, observations: DoctorObservations, now: Date): Finding[] {
  const { federated, posture } = observations;
  return onceEach('azure_login_missing', [
    ...(posture === undefined
      ? []
      : [finding(posture === 'federated' ? 'posture_federated' : 'posture_secret', 'info', { appId: context.appId })]),
    ...keyVaultFindings(context, observations.keyVault, federated !== undefined),
    ...cachedRole(graphFindings(context, observations.graph), observations.roleGrants ?? [], context, now),
    ...(federated ? federatedFindings(context, federated, observations) : secretFindings(context, observations, now)),
    ...redirectUriFindings(context, observations.graph),
    ...mailboxFindings(context, observations.mailboxes, now),
    // Federated: the alarm channels need no secret, so none of them depends on what broke.
    ...(federated ? [] : alarmChannelFindings(context)),
  ]);
}

/** Key Vault and Graph both fail without an Azure sign-in: say it once. */
function onceEach(code: FindingCode, findings: Finding[]): Finding[] {
  return findings.filter(
    (item, index) => item.code !== code || findings.findIndex((other) => other.code === code) === index,
  );
}

/** DESIGN §6: the alarm for a refused secret must not depend on that secret. */
function alarmChannelFindings(context: DoctorContext): Finding[] {
  return context.alarmChannelsWithoutSecret.length === 0 ? [finding('alarm_channel_needs_secret', 'warning')] : [];
}

const finding = (code: FindingCode, severity: Severity, params: Finding['params'] = {}): Finding => ({
  code,
  severity,
  params,
});

function keyVaultFindings(context: DoctorContext, observation: KeyVaultObservation, federated: boolean): Finding[] {
  const params = { vault: context.keyVaultUrl, identity: context.identity, secretName: context.secretName };
  switch (observation.kind) {
    case 'ok':
      return [finding('key_vault_ok', 'ok', params)];
    case 'missing':
      // Federated: no client secret exists, and none is needed.
      return federated
        ? [finding('key_vault_ok', 'ok', params)]
        : [finding('key_vault_ok', 'ok', params), finding('client_secret_missing', 'problem', params)];
    case 'denied':
      return [finding('key_vault_access_denied', 'problem', { ...params, status: observation.status })];
    case 'no_login':
      return [finding('azure_login_missing', 'problem', { tried: observation.tried })];
    case 'unavailable':
      return [finding('key_vault_unavailable', 'problem', { ...params, detail: observation.detail })];
  }
}

/**
 * A missing rotation role that was granted less than a day ago is the managed identity's token cache, not
 * a missing grant: say when it will work instead of asking for a grant that exists.
 */
function cachedRole(
  findings: Finding[],
  grants: readonly RoleGrantObservation[],
  context: DoctorContext,
  now: Date,
): Finding[] {
  const recent = grants.find(
    (grant) =>
      (grant.role === OWNED_BY_ROLE || grant.role === WRITE_ALL_ROLE) &&
      now.getTime() - grant.grantedAt.getTime() < ROLE_CACHE_MS,
  );
  if (!recent) return findings;
  return findings.map((item) =>
    item.code === 'graph_permission_missing'
      ? finding('graph_role_cached', 'info', {
          identity: context.identity,
          role: recent.role,
          grantedAt: recent.grantedAt.toISOString(),
          usableFrom: new Date(recent.grantedAt.getTime() + ROLE_CACHE_MS).toISOString(),
        })
      : item,
  );
}

function graphFindings(context: DoctorContext, observation: GraphObservation): Finding[] {
  const params = { appId: context.appId, identity: context.identity, tenantId: context.tenantId };
  switch (observation.kind) {
    case 'ok': {
      const roles = new Set(observation.callerRoles);
      // A read may succeed through a read-only role (Application.Read.All): rotating needs ReadWrite.All, or OwnedBy + ownership.
      if (roles.has(WRITE_ALL_ROLE) || (roles.has(OWNED_BY_ROLE) && observation.callerOwnsApp))
        return [finding('graph_ok', 'ok', params)];
      return roles.has(OWNED_BY_ROLE)
        ? [finding('app_not_owned', 'problem', params)]
        : [finding('graph_permission_missing', 'problem', params)];
    }
    case 'denied': {
      const roles = new Set(observation.callerRoles);
      return roles.has(OWNED_BY_ROLE) || roles.has(WRITE_ALL_ROLE)
        ? [finding('app_not_owned', 'problem', params)]
        : [finding('graph_permission_missing', 'problem', params)];
    }
    case 'not_found':
      return [finding('app_registration_not_found', 'problem', params)];
    case 'no_login':
      return [finding('azure_login_missing', 'problem', { tried: observation.tried })];
    case 'unavailable':
      return [finding('graph_unavailable', 'problem', { ...params, detail: observation.detail })];
  }
}

function secretFindings(context: DoctorContext, observations: DoctorObservations, now: Date): Finding[] {
  const { keyVault, graph, secretCheck } = observations;
  if (keyVault.kind !== 'ok') return [];
  const params = { secretName: context.secretName, appId: context.appId };
  const findings: Finding[] = [];
  let expiresOn = keyVault.secret.expiresOn;
  if (graph.kind === 'ok') {
    const { keyId, hint } = keyVault.secret;
    const credential =
      keyId !== undefined
        ? graph.passwordCredentials.find((candidate) => candidate.keyId.toLowerCase() === keyId.toLowerCase())
        : onlyOne(graph.passwordCredentials.filter((candidate) => candidate.hint === hint));
    // Graph's end date is the truth; Key Vault's expiresOn is a copy that a hand-stored secret may lack.
    if (credential) expiresOn = new Date(credential.endDateTime);
    else findings.push(finding('secret_unknown_to_app', 'problem', params));
  }
  let expired = false;
  if (expiresOn !== undefined) {
    const daysLeft = Math.floor((expiresOn.getTime() - now.getTime()) / DAY_MS);
    const expiry = { ...params, expiresOn: expiresOn.toISOString(), daysLeft };
    expired = expiresOn.getTime() <= now.getTime();
    if (expired) findings.push(finding('secret_expired', 'problem', { ...expiry, daysAgo: Math.max(0, -daysLeft) }));
    else if (daysLeft < context.rotationLeadDays) findings.push(finding('secret_expiring', 'warning', expiry));
    else findings.push(finding('secret_ok', 'ok', expiry));
  }
  if (secretCheck.kind === 'rejected' && !expired)
    findings.push(finding('secret_rejected', 'problem', { ...params, errorCode: secretCheck.errorCode }));
  if (secretCheck.kind === 'unavailable') findings.push(finding('secret_check_unavailable', 'warning', params));
  return findings;
}

function federatedFindings(
  context: DoctorContext,
  federated: FederatedObservation,
  observations: DoctorObservations,
): Finding[] {
  const params = { appId: context.appId, identity: context.identity, secretName: context.secretName };
  const findings: Finding[] = [];
  switch (federated.state) {
    case 'matching':
      findings.push(finding('federated_ok', 'ok', params));
      break;
    case 'missing':
    case 'mismatch':
      findings.push(
        finding(federated.state === 'missing' ? 'federated_missing' : 'federated_mismatch', 'problem', params),
      );
      break;
    case 'refused':
      findings.push(
        finding('federated_refused', 'problem', { ...params, errorCode: federated.errorCode ?? 'unknown' }),
      );
      break;
    case 'unknown':
      findings.push(finding('federated_unchecked', 'warning', params));
      break;
  }
  const { graph, keyVault } = observations;
  // Passwords no longer needed: warnings, not problems (they do no harm until someone leaks one).
  for (const password of graph.kind === 'ok' ? graph.passwordCredentials : []) {
    findings.push(
      finding('federated_leftover_password', 'warning', {
        ...params,
        keyId: password.keyId,
        expiresOn: password.endDateTime,
      }),
    );
  }
  if (keyVault.kind === 'ok') findings.push(finding('federated_leftover_secret', 'warning', params));
  return findings;
}

function onlyOne<T>(items: T[]): T | undefined {
  return items.length === 1 ? items[0] : undefined;
}

function redirectUriFindings(context: DoctorContext, graph: GraphObservation): Finding[] {
  const params = { redirectUri: context.redirectUri, appId: context.appId };
  if (graph.kind !== 'ok') return [finding('redirect_uri_unchecked', 'info', params)];
  if (graph.webRedirectUris.includes(context.redirectUri)) return [finding('redirect_uri_ok', 'ok', params)];
  return [
    finding('redirect_uri_mismatch', 'problem', { ...params, registered: graph.webRedirectUris.join(', ') || '-' }),
  ];
}

function mailboxFindings(context: DoctorContext, observation: MailboxObservation, now: Date): Finding[] {
  if (observation.kind === 'unavailable')
    return [finding('mailboxes_unavailable', 'problem', { detail: observation.detail })];
  const consentParams = {
    consentUrl: adminConsentUrl(context.authorityHost, context.tenantId, context.appId),
    connectUrl: `${context.publicBaseUrl}/api/connect`,
  };
  const { mailboxes } = observation;
  // Consent cannot be tested headless: a connected mailbox is the proof that someone consented.
  if (mailboxes.length === 0) return [finding('consent_missing', 'problem', consentParams)];
  const findings: Finding[] = [finding('consent_ok', 'ok', { count: mailboxes.length })];
  for (const mailbox of [...mailboxes].sort((a, b) => a.upn.localeCompare(b.upn))) {
    const params = { upn: mailbox.upn, reconnectUrl: reconnectUrl(context.publicBaseUrl, mailbox.upn) };
    if (mailbox.status === 'ok') {
      findings.push(
        finding('mailbox_ok', 'ok', {
          ...params,
          daysSinceRefresh: Math.max(0, Math.floor((now.getTime() - mailbox.lastRefreshAt.getTime()) / DAY_MS)),
        }),
      );
    } else if (mailbox.lastErrorCode?.includes(CONSENT_ERROR)) {
      findings.push(
        finding('mailbox_consent_missing', 'problem', {
          ...params,
          ...consentParams,
          errorCode: mailbox.lastErrorCode,
        }),
      );
    } else {
      findings.push(
        finding('mailbox_reconnect_required', 'problem', { ...params, errorCode: mailbox.lastErrorCode ?? '-' }),
      );
    }
  }
  for (const [upn, check] of Object.entries(observation.smtpAuth).sort(([a], [b]) => a.localeCompare(b))) {
    const severity = check.state === 'ok' ? 'ok' : check.state === 'disabled' ? 'problem' : 'info';
    findings.push(
      finding('mailbox_smtp_auth', severity, {
        upn,
        state: check.state,
        ...(check.code !== undefined && { code: check.code }),
      }),
    );
  }
  return findings;
}

export function hasProblems(findings: readonly Finding[]): boolean {
  return findings.some((item) => item.severity === 'problem');
}
