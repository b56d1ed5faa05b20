// Issue 18: every message catalogue an admin reads (mails, webhook cards, the credential alarm, the .ics,
// the connect result pages) has each key in both languages, and what Italian renders holds no English.
import { describe, expect, it } from 'vitest';
import {
  AADSTS_MESSAGES,
  ACTION_LABELS,
  CONNECT_FAILURE_MESSAGES,
  ENTRA_ERROR_MESSAGES,
  UNKNOWN_SIGN_IN_ERROR,
  USER_CANCELLED,
  adminConsentAnsweredText,
  adminConsentText,
  connectedText,
} from '#src/shared/domain/connect/messages.js';
import { smtpAuthAdvice, type SmtpAuthCheck } from '#src/shared/domain/connect/smtpAuth.js';
import { CREDENTIAL_ALARM_TEXT, renderCredentialAlarm } from '#src/shared/domain/monitor/credentialAlarmMessage.js';
import { credentialIds, type MonitoredCredential } from '#src/shared/domain/monitor/credentials.js';
import {
  digestMessages,
  renderDigest,
  type DigestInput,
  type DigestItem,
  type RotationFailureReason,
} from '#src/shared/domain/monitor/digest.js';
import { CALENDAR_TEXT, digestCalendarEvents } from '#src/shared/domain/monitor/digestCalendar.js';
import { FEDERATED_MESSAGES } from '#src/shared/domain/monitor/federatedPosture.js';
import { ROTATION_FIXES, rotationErrorFix } from '#src/shared/domain/monitor/rotationErrorFix.js';
import { RUN_GAPS_TEXT, describeRunGaps } from '#src/shared/domain/monitor/runGaps.js';
import { buildWebhookPayload } from '#src/shared/domain/monitor/webhookPayload.js';
import type { Locale } from '#src/shared/presentation/locale.js';
import { englishWordsIn, missingKeys } from '../../../../support/catalogues.js';

const APP_ID = '11111111-2222-3333-4444-555555555555';
const NOW = new Date('2026-11-24T05:00:00Z');
const ZONE = 'Europe/Rome';
const days = (n: number) => new Date(NOW.getTime() + n * 86_400_000);

const inUse: MonitoredCredential = {
  id: credentialIds.appPassword(APP_ID, 'k1'),
  kind: 'client-secret',
  label: 'ActNow',
  appId: APP_ID,
  keyId: 'k1',
  expiresAt: days(20),
  inUse: true,
};
const old: MonitoredCredential = {
  ...inUse,
  id: credentialIds.appPassword(APP_ID, 'k0'),
  keyId: 'k0',
  inUse: false,
  expiresAt: days(16),
};

function item(credential: MonitoredCredential, action: DigestItem['action'], daysLeft = 20): DigestItem {
  return {
    credential,
    daysLeft,
    state: daysLeft < 0 ? 'expired' : 'expiring',
    expiresAt: credential.expiresAt,
    action,
  };
}

function input(overrides: Partial<DigestInput>): DigestInput {
  return {
    app: { appId: APP_ID, tenantId: 'contoso-tenant', displayName: 'ActNow' },
    timeZone: ZONE,
    items: [],
    reconnects: [],
    rotationHistory: [],
    ...overrides,
  };
}

const FAILURES: readonly RotationFailureReason[] = [
  'permission_denied',
  'policy_lifetime',
  'policy_forbidden',
  'verification_failed',
  'upstream_unavailable',
  'step_failed',
];
const STEP_CODES = [
  'graph_403',
  'keyvault_403',
  'graph_429',
  'table_500',
  'verify_AADSTS7000215',
  'remove_refused_in_use',
  'staged_secret_missing',
  'stuck_switched',
  'stuck_stored',
  'odd',
];
const renewal = {
  renewedAt: NOW,
  newExpiresAt: days(730),
  oldRemovalAfter: days(7),
  oldExpiresAt: old.expiresAt,
  oldKeyId: 'k0',
};

/** Every mail kind an admin receives, as the monitor renders it. */
const DIGESTS: Record<string, DigestInput> = {
  expiring: input({
    items: [
      item(inUse, { kind: 'alert-only' }, 20),
      item(
        { ...inUse, id: 'kv:smtp-relay', kind: 'key-vault-secret', label: 'smtp-relay' },
        { kind: 'alert-only' },
        -2,
      ),
      item({ ...inUse, id: 'app:x:key:c1', kind: 'certificate', label: 'cert' }, { kind: 'alert-only' }, 0),
      item({ ...inUse, id: 'grant:m1', kind: 'mailbox-grant', label: 'info@contoso.com' }, { kind: 'alert-only' }, 1),
      item({ ...inUse, inUse: undefined } as unknown as MonitoredCredential, { kind: 'in-use-unknown' }, 7),
    ],
    missingPermission: 'Application.Read.All',
  }),
  planned: input({ items: [item(inUse, { kind: 'rotation-planned', on: days(1) })] }),
  renewed: input({
    items: [item(old, { kind: 'not-in-use' }, 16)],
    renewal,
    rotationHistory: [renewal, { renewedAt: days(-700) }],
  }),
  rotated: input({ items: [item(inUse, { kind: 'rotated', on: NOW, newExpiresAt: days(730) })] }),
  keptOld: input({
    items: [item(old, { kind: 'not-in-use' }, 16)],
    rotationHistory: [{ renewedAt: days(-3), oldKeyId: 'k0' }],
  }),
  unusedOther: input({ items: [item({ ...old, keyId: 'other' }, { kind: 'not-in-use' }, 16)] }),
  ...Object.fromEntries(
    FAILURES.map((reason) => [
      `failing rotation (${reason})`,
      input({ items: [item(inUse, { kind: 'rotation-failed', reason, errorCode: 'stuck_switched' })] }),
    ]),
  ),
  ...Object.fromEntries(
    STEP_CODES.map((code) => [
      `failing step ${code}`,
      input({ items: [item(inUse, { kind: 'rotation-failed', reason: 'step_failed', errorCode: code })] }),
    ]),
  ),
  'reconnect needed': input({
    reconnects: [
      {
        upn: 'info@contoso.com',
        reconnectUrl: 'https://keyrelay.example/api/connect?loginHint=info%40contoso.com',
        errorCode: 'invalid_grant:50173',
      },
    ],
  }),
  'run gaps': input({
    items: [item(inUse, { kind: 'alert-only' })],
    runErrors: [
      'key_vault_listing_incomplete',
      'key_vault_unavailable',
      'mailbox_registry_unavailable',
      'mailbox_rows_unreadable:2',
      'graph_unavailable',
      'ledger_row_skipped:x',
      'keep_alive_failed:429',
      'rotation_deferred:budget',
      'client_secret_unreadable',
      'mailbox_caches_unparsable:1',
    ],
  }),
  'federated leftovers': input({
    clientCredential: 'federated',
    items: [item(old, { kind: 'not-in-use' }, 16)],
    federated: {
      leftovers: [
        { label: 'ActNow', where: 'app', expiresAt: old.expiresAt },
        { label: 'oauth-client-secret', where: 'key-vault', expiresAt: old.expiresAt },
      ],
    },
  }),
  ...Object.fromEntries(
    (['missing', 'mismatch', 'refused'] as const).map((state) => [
      `federated ${state}`,
      input({
        clientCredential: 'federated',
        federated: { problem: { state, errorCode: 'AADSTS70021' }, leftovers: [] },
      }),
    ]),
  ),
  nothing: input({}),
};

const SMTP_CHECKS: readonly SmtpAuthCheck[] = [
  { state: 'ok' },
  { state: 'disabled', code: '5.7.139' },
  { state: 'unknown', code: '5.7.3' },
  { state: 'unknown', code: 'smtp_unreachable' },
  { state: 'unknown' },
];

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

describe('message catalogues: each key in both languages', () => {
  const zone = (locale: Locale) => ({ locale, timeZone: ZONE });
  const catalogues: Record<string, Record<Locale, unknown>> = {
    digest: { it: digestMessages(zone('it')), en: digestMessages(zone('en')) },
    'digest .ics': CALENDAR_TEXT,
    'federated notice': FEDERATED_MESSAGES,
    'credential alarm': CREDENTIAL_ALARM_TEXT,
    'rotation error fixes': ROTATION_FIXES,
    'run gaps': RUN_GAPS_TEXT,
    'connect: unknown sign-in error': UNKNOWN_SIGN_IN_ERROR,
    'connect: user cancelled': USER_CANCELLED,
    ...Object.fromEntries(Object.entries(ACTION_LABELS).map(([key, text]) => [`connect action ${key}`, text])),
    ...Object.fromEntries(Object.entries(ENTRA_ERROR_MESSAGES).map(([key, text]) => [`connect error ${key}`, text])),
    ...Object.fromEntries(Object.entries(AADSTS_MESSAGES).map(([key, text]) => [`connect AADSTS${key}`, text])),
    ...Object.fromEntries(
      Object.entries(CONNECT_FAILURE_MESSAGES).map(([key, text]) => [`connect failure ${key}`, text]),
    ),
  };
  it.each(Object.entries(catalogues))('%s', (_name, catalogue) => {
    expect(missingKeys(catalogue)).toEqual({ it: [], en: [] });
  });
});

describe('Italian output holds no English words', () => {
  it.each(Object.entries(DIGESTS))('digest mail and webhook card: %s', (_name, digestInput) => {
    const digest = renderDigest(digestInput, 'it');
    const webhook = buildWebhookPayload(digestInput, 'it');
    // The webhook's `keyrelay` member is data for programs (wire names), not text for people.
    const { keyrelay: _data, ...card } = webhook;
    for (const text of [digest.subject, digest.html, digest.text, ...strings(card)])
      expect(englishWordsIn(text)).toEqual([]);
  });

  it.each(Object.entries(DIGESTS))('calendar events: %s', (_name, digestInput) => {
    const events = digestCalendarEvents(digestInput, 'it', {
      rotationLeadDays: 30,
      alarmsHoursBefore: [168, 24],
      maxEvents: 5,
    });
    for (const event of events) expect(englishWordsIn(`${event.summary}\n${event.description}`)).toEqual([]);
  });

  it('the credential alarm, mail and card', () => {
    const alarm = renderCredentialAlarm(
      { appId: APP_ID, code: 'AADSTS7000222', at: NOW },
      { locale: 'it', timeZone: ZONE },
    );
    const { keyrelay: _data, ...card } = alarm.webhook;
    for (const text of [alarm.subject, alarm.html, ...strings(card)]) expect(englishWordsIn(text)).toEqual([]);
  });

  it('every rotation error fix and run gap', () => {
    for (const code of STEP_CODES) expect(englishWordsIn(rotationErrorFix(code, 'it'))).toEqual([]);
    expect(
      englishWordsIn(
        describeRunGaps(['mailbox_rows_unreadable:2', 'keep_alive_failed:429', 'registry_rebuild_failed:x'], 'it').join(
          '\n',
        ),
      ),
    ).toEqual([]);
  });

  it('the connect result pages', () => {
    const texts = [
      ...strings(Object.values(ENTRA_ERROR_MESSAGES).map((text) => text.it)),
      ...strings(Object.values(AADSTS_MESSAGES).map((text) => text.it)),
      ...strings(Object.values(CONNECT_FAILURE_MESSAGES).map((text) => text.it)),
      ...strings(Object.values(ACTION_LABELS).map((text) => text.it)),
      ...strings([USER_CANCELLED.it, UNKNOWN_SIGN_IN_ERROR.it]),
      ...strings([
        connectedText('it', 'info@contoso.com'),
        adminConsentText('it', true),
        adminConsentText('it', false),
        adminConsentAnsweredText('it'),
      ]),
      ...SMTP_CHECKS.flatMap((check) => strings(smtpAuthAdvice('it', 'info@contoso.com', check))),
    ];
    const leaks = texts.flatMap((text) => englishWordsIn(text).map((word) => `${word}: ${text}`));
    expect(leaks).toEqual([]);
  });
});
