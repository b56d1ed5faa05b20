// The doctor's evaluation as plain data: each broken setup yields the finding that names it.
import { describe, expect, it } from 'vitest';
import type { MailboxRecord } from '#src/shared/ports/index.js';
import { renderFinding } from '#src/shared/services/doctor/doctorMessages.js';
import {
  evaluateFindings,
  hasProblems,
  settingsFindings,
  type DoctorContext,
  type DoctorObservations,
  type Finding,
} from '#src/shared/services/doctor/findings.js';

import { alarmChannelsWithoutSecret } from '#src/shared/domain/monitor/alarmChannels.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const DAY = 86_400_000;
const context: DoctorContext = {
  appId: 'app-1',
  tenantId: 'tenant-1',
  identity: 'identity-1',
  keyVaultUrl: 'https://kv.example',
  secretName: 'oauth-client-secret',
  redirectUri: 'https://func.example/api/oauth/callback',
  publicBaseUrl: 'https://func.example',
  authorityHost: 'https://login.microsoftonline.com',
  rotationLeadDays: 30,
  alarmChannelsWithoutSecret: ['webhook'],
};
const mailbox = (overrides: Partial<MailboxRecord> = {}): MailboxRecord => ({
  upn: 'mario@contoso.example',
  tenantId: 'tenant-2',
  objectId: 'oid',
  cacheSecretName: 'mbx-1',
  connectedAt: new Date(NOW.getTime() - 10 * DAY),
  lastRefreshAt: new Date(NOW.getTime() - 2 * DAY),
  status: 'ok',
  ...overrides,
});
const healthy = (): DoctorObservations => ({
  keyVault: { kind: 'ok', secret: { keyId: 'key-1', hint: 'abc', expiresOn: new Date(NOW.getTime() + 400 * DAY) } },
  graph: {
    kind: 'ok',
    callerRoles: ['Application.ReadWrite.OwnedBy'],
    callerOwnsApp: true,
    webRedirectUris: [context.redirectUri],
    passwordCredentials: [
      { keyId: 'key-1', hint: 'abc', endDateTime: new Date(NOW.getTime() + 300 * DAY).toISOString() },
    ],
  },
  secretCheck: { kind: 'ok' },
  mailboxes: { kind: 'ok', mailboxes: [mailbox()], smtpAuth: { [mailbox().upn]: { state: 'ok' } } },
});

const problems = (findings: Finding[]) =>
  findings.filter((item) => item.severity === 'problem').map((item) => item.code);

describe('evaluateFindings in federated mode', () => {
  const federated = (
    state: 'matching' | 'missing' | 'mismatch' | 'refused' | 'unknown',
    keyVault: DoctorObservations['keyVault'] = { kind: 'missing' },
  ): DoctorObservations => ({
    ...healthy(),
    keyVault,
    secretCheck: { kind: 'not_run' },
    posture: 'federated',
    federated: { state, ...(state === 'refused' ? { errorCode: 'AADSTS70021' } : {}) },
  });

  it('expects no client secret, states the posture, and calls passwords left on the app and in Key Vault no longer needed', () => {
    const findings = evaluateFindings(context, federated('matching', healthy().keyVault), NOW);
    expect(hasProblems(findings)).toBe(false);
    expect(findings[0]).toMatchObject({ code: 'posture_federated', severity: 'info' });
    expect(findings.filter((item) => item.severity === 'warning').map((item) => item.code)).toEqual([
      'federated_leftover_password',
      'federated_leftover_secret',
    ]);
    expect(findings.map((item) => item.code)).not.toContain('secret_ok');
    expect(problems(evaluateFindings(context, federated('matching'), NOW))).toEqual([]);
  });

  it('makes a missing, changed or refused federated credential a problem whose fix names the setup command', () => {
    for (const state of ['missing', 'mismatch', 'refused'] as const) {
      const findings = evaluateFindings(context, federated(state), NOW);
      const [problem] = findings.filter((item) => item.severity === 'problem');
      expect(problem?.code).toBe(`federated_${state}`);
      expect(renderFinding('en', problem!).fix).toContain('npm run setup -- --federated');
    }
    expect(
      evaluateFindings(context, federated('unknown'), NOW).find((item) => item.code === 'federated_unchecked')
        ?.severity,
    ).toBe('warning');
  });
});

describe('evaluateFindings', () => {
  it('finds no problem in a healthy setup, and takes the secret expiry from Graph', () => {
    const findings = evaluateFindings(context, healthy(), NOW);

    expect(hasProblems(findings)).toBe(false);
    expect(findings.find((item) => item.code === 'secret_ok')?.params).toMatchObject({ daysLeft: 300 });
    expect(findings.find((item) => item.code === 'mailbox_smtp_auth')).toMatchObject({
      severity: 'ok',
      params: { state: 'ok' },
    });
  });

  it('names a mailbox whose SMTP AUTH is disabled (535 5.7.139) as a problem, with the Exchange fix', () => {
    const findings = evaluateFindings(
      context,
      {
        ...healthy(),
        mailboxes: {
          kind: 'ok',
          mailboxes: [mailbox()],
          smtpAuth: { [mailbox().upn]: { state: 'disabled', code: '5.7.139' } },
        },
      },
      NOW,
    );
    const smtp = findings.find((item) => item.code === 'mailbox_smtp_auth')!;
    expect(smtp.severity).toBe('problem');
    expect(renderFinding('en', smtp).fix).toContain(
      `Set-CASMailbox -Identity ${mailbox().upn} -SmtpClientAuthenticationDisabled $false`,
    );
  });

  it('names the 24-hour role cache when the rotation role was granted less than a day ago, and says from when it works', () => {
    const observations = healthy();
    observations.graph = { kind: 'denied', callerRoles: [] };
    const grantedAt = new Date(NOW.getTime() - 3 * 60 * 60 * 1000);

    const recent = evaluateFindings(
      context,
      { ...observations, roleGrants: [{ role: 'Application.ReadWrite.OwnedBy', grantedAt }] },
      NOW,
    );
    const cached = recent.find((item) => item.code === 'graph_role_cached');
    expect(cached).toMatchObject({
      severity: 'info',
      params: { usableFrom: new Date(grantedAt.getTime() + DAY).toISOString() },
    });
    expect(problems(recent)).not.toContain('graph_permission_missing');
    expect(renderFinding('en', cached!).title).toContain('less than 24 hours ago');

    const old = evaluateFindings(
      context,
      {
        ...observations,
        roleGrants: [{ role: 'Application.ReadWrite.OwnedBy', grantedAt: new Date(NOW.getTime() - 2 * DAY) }],
      },
      NOW,
    );
    expect(problems(old)).toContain('graph_permission_missing');
  });

  it('names missing consent when no mailbox has connected', () => {
    const findings = evaluateFindings(
      context,
      { ...healthy(), mailboxes: { kind: 'ok', mailboxes: [], smtpAuth: {} } },
      NOW,
    );
    expect(problems(findings)).toEqual(['consent_missing']);
    expect(findings[findings.length - 1]?.params.consentUrl).toBe(
      'https://login.microsoftonline.com/tenant-1/adminconsent?client_id=app-1',
    );
  });

  it('names missing ownership when Graph refuses an identity that holds OwnedBy', () => {
    const findings = evaluateFindings(
      context,
      { ...healthy(), graph: { kind: 'denied', callerRoles: ['Application.ReadWrite.OwnedBy'] } },
      NOW,
    );
    expect(problems(findings)).toEqual(['app_not_owned']);
    expect(findings.map((item) => item.code)).toContain('redirect_uri_unchecked');
  });

  it('names missing ownership when a read-only role let the identity read an app it does not own', () => {
    const observations = healthy();
    if (observations.graph.kind !== 'ok') throw new Error('fixture');
    observations.graph.callerRoles = ['Application.Read.All', 'Application.ReadWrite.OwnedBy'];
    observations.graph.callerOwnsApp = false;

    expect(problems(evaluateFindings(context, observations, NOW))).toEqual(['app_not_owned']);
  });

  it('names the missing Graph permission when the identity holds no application role', () => {
    expect(
      problems(evaluateFindings(context, { ...healthy(), graph: { kind: 'denied', callerRoles: [] } }, NOW)),
    ).toEqual(['graph_permission_missing']);
  });

  it('names an expired secret once, not also as a rejected one', () => {
    const observations = healthy();
    if (observations.graph.kind !== 'ok') throw new Error('fixture');
    observations.graph.passwordCredentials[0]!.endDateTime = new Date(NOW.getTime() - 2 * DAY).toISOString();
    observations.secretCheck = { kind: 'rejected', errorCode: 'AADSTS7000222' };

    expect(problems(evaluateFindings(context, observations, NOW))).toEqual(['secret_expired']);
  });

  it('warns, without failing, about a secret inside the rotation lead time', () => {
    const observations = healthy();
    if (observations.graph.kind !== 'ok') throw new Error('fixture');
    observations.graph.passwordCredentials[0]!.endDateTime = new Date(NOW.getTime() + 10 * DAY).toISOString();

    const findings = evaluateFindings(context, observations, NOW);
    expect(findings.find((item) => item.code === 'secret_expiring')).toMatchObject({
      severity: 'warning',
      params: { daysLeft: 10 },
    });
    expect(hasProblems(findings)).toBe(false);
  });

  it('names a redirect URI the app does not list, with the ones it does', () => {
    const observations = healthy();
    if (observations.graph.kind !== 'ok') throw new Error('fixture');
    observations.graph.webRedirectUris = ['https://old.example/api/oauth/callback'];

    const findings = evaluateFindings(context, observations, NOW);
    expect(problems(findings)).toEqual(['redirect_uri_mismatch']);
    expect(findings.find((item) => item.code === 'redirect_uri_mismatch')?.params.registered).toBe(
      'https://old.example/api/oauth/callback',
    );
  });

  it('names Key Vault access denied and skips the secret checks that need it', () => {
    const findings = evaluateFindings(
      context,
      { ...healthy(), keyVault: { kind: 'denied', status: 403 }, secretCheck: { kind: 'not_run' } },
      NOW,
    );
    expect(problems(findings)).toEqual(['key_vault_access_denied']);
    expect(findings.some((item) => item.code.startsWith('secret_'))).toBe(false);
  });

  it('gives a mailbox that must reconnect its reconnect link, and one that lost consent the consent link', () => {
    const observations = healthy();
    observations.mailboxes = {
      kind: 'ok',
      mailboxes: [
        mailbox({ status: 'reconnect_required', lastErrorCode: 'invalid_grant:50173' }),
        mailbox({ upn: 'anna@fabrikam.example', status: 'reconnect_required', lastErrorCode: 'invalid_grant:65001' }),
      ],
      smtpAuth: {},
    };

    const findings = evaluateFindings(context, observations, NOW);
    expect(problems(findings)).toEqual(['mailbox_consent_missing', 'mailbox_reconnect_required']);
    expect(findings.find((item) => item.code === 'mailbox_reconnect_required')?.params.reconnectUrl).toBe(
      'https://func.example/api/connect?loginHint=mario%40contoso.example',
    );
  });
});

describe('the alarm channel for a refused secret', () => {
  it('warns when the only alert channel is mail from a connected mailbox (which needs the refused secret)', () => {
    const observations = healthy();
    const codes = (channels: string[]) =>
      evaluateFindings({ ...context, alarmChannelsWithoutSecret: channels }, observations, NOW).map(
        (item) => item.code,
      );
    expect(codes([])).toContain('alarm_channel_needs_secret');
    expect(codes(['managed-identity-mail'])).not.toContain('alarm_channel_needs_secret');
    expect(
      alarmChannelsWithoutSecret({
        alertMailAuth: 'connected-mailbox',
        alertRecipients: ['a@b.example'],
        alertSender: 's@b.example',
      }),
    ).toEqual([]);
    expect(
      alarmChannelsWithoutSecret({
        alertMailAuth: 'managed-identity',
        alertRecipients: ['a@b.example'],
        alertSender: 's@b.example',
      }),
    ).toEqual(['managed-identity-mail']);
    expect(
      alarmChannelsWithoutSecret({
        alertMailAuth: 'connected-mailbox',
        alertRecipients: [],
        alertWebhookUrl: 'https://hook.example',
      }),
    ).toEqual(['webhook']);
  });
});

describe('settingsFindings and renderFinding', () => {
  it('makes one problem per invalid setting', () => {
    expect(
      problems(
        settingsFindings([
          { setting: 'KEY_VAULT_URL', problem: 'missing' },
          { setting: 'PUBLIC_BASE_URL', problem: 'missing' },
        ]),
      ),
    ).toEqual(['settings_invalid', 'settings_invalid']);
  });

  it('renders a finding with its fix in Italian and in English, and an ok finding without one', () => {
    const finding: Finding = {
      code: 'key_vault_access_denied',
      severity: 'problem',
      params: { identity: 'id-1', vault: 'https://kv.example', status: 403 },
    };
    expect(renderFinding('it', finding).fix).toContain('Key Vault Secrets Officer');
    expect(renderFinding('en', finding).title).toBe(
      'Key Vault denies access to the identity id-1 (https://kv.example, HTTP 403)',
    );
    expect(renderFinding('en', { code: 'settings_ok', severity: 'ok', params: {} })).toEqual({
      severity: 'ok',
      code: 'settings_ok',
      title: 'settings valid',
    });
  });
});
