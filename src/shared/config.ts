// The only module that reads process.env (STYLE.md habit 4): every setting of DESIGN.md §4 is
// parsed and validated at once, and all problems are reported together in one ConfigError.
import { z } from 'zod';
import { isUsableAllowedReturnUrl } from './domain/connect/returnUrl.js';
import type { AllowedTenants } from './domain/tenants.js';
import { ConfigError, type SettingProblem } from './errors.js';
import { LOCALES, type Locale } from './presentation/locale.js';
import { DEFAULT_TIME_ZONE, isTimeZone } from './presentation/time.js';
import { settingProblem, type SettingProblemKind } from './settingProblems.js';

/** Every app setting keyrelay reads (DESIGN.md §4); infra and docs take this list as the source of truth. */
export const SETTING_NAMES = [
  'KEY_VAULT_URL',
  'OAUTH_CLIENT_ID',
  'OAUTH_TENANT',
  'AZURE_TENANT_ID',
  'OAUTH_CLIENT_CREDENTIAL',
  'FEDERATED_TOKEN_AUDIENCE',
  'OAUTH_CLIENT_SECRET_NAME',
  'ALLOWED_TENANTS',
  'CONNECT_ATTEMPTS_PER_CLIENT_PER_HOUR',
  'CONNECT_ATTEMPTS_PER_TENANT_PER_HOUR',
  'MAX_MAILBOXES_PER_TENANT',
  'PUBLIC_BASE_URL',
  'ALLOWED_RETURN_URLS',
  'AZURE_AUTHORITY_HOST',
  'GRAPH_ENDPOINT',
  'MONITOR_SCHEDULE',
  'ALERT_THRESHOLDS_DAYS',
  'ALERT_RECIPIENTS',
  'ALERT_SENDER',
  'ALERT_MAIL_AUTH',
  'ALERT_WEBHOOK_URL',
  'ALERT_LOCALE',
  'ALERT_TIME_ZONE',
  'SMTP_ENDPOINT',
  'ROTATION_MODE',
  'ROTATION_LEAD_DAYS',
  'ROTATION_OVERLAP_DAYS',
  'AzureWebJobsStorage',
] as const;
export type SettingName = (typeof SETTING_NAMES)[number];

/** Identity-based Functions storage (no connection string): the host's own `__` sub-settings. */
const STORAGE_ACCOUNT_NAME = 'AzureWebJobsStorage__accountName';
const STORAGE_TABLE_SERVICE_URI = 'AzureWebJobsStorage__tableServiceUri';

export type StorageConfig =
  { kind: 'connectionString'; connectionString: string } | { kind: 'identity'; tableServiceUri: string };

export interface Config {
  keyVaultUrl: string;
  oauthClientId: string;
  oauthTenant: string;
  azureTenantId: string;
  /** DESIGN §2: `federated` (keyrelay's managed identity is the app's federated credential) or `secret`. */
  oauthClientCredential: OAuthClientCredentialKind;
  /** Audience of the identity's token used as the client assertion (`federated` only). */
  federatedTokenAudience: string;
  oauthClientSecretName: string;
  /** Tenant ids (lower case) whose users may connect mailboxes, or `*` for any work or school tenant. */
  allowedTenants: AllowedTenants;
  /** Abuse limits (DESIGN §3): sign-ins started per client address, and completed per tenant, per hour. */
  connectAttemptsPerClientPerHour: number;
  connectAttemptsPerTenantPerHour: number;
  /** Mailboxes one tenant may have connected at once. */
  maxMailboxesPerTenant: number;
  publicBaseUrl: string;
  redirectUri: string;
  allowedReturnUrls: string[];
  authorityHost: string;
  graphEndpoint: string;
  monitorSchedule: string;
  alertThresholdsDays: number[];
  alertRecipients: string[];
  alertSender?: string;
  alertMailAuth: 'connected-mailbox' | 'managed-identity';
  alertWebhookUrl?: string;
  alertLocale: Locale;
  /** IANA zone of every date and time shown to people (mails, pages, CLI), printed with the zone. */
  alertTimeZone: string;
  /** Where SMTP clients submit mail and the SMTP AUTH probe connects (STARTTLS). */
  smtpEndpoint: { host: string; port: number };
  rotationMode: 'auto' | 'alert-only';
  rotationLeadDays: number;
  rotationOverlapDays: number | 'never';
  storage: StorageConfig;
}

export const OAUTH_CLIENT_CREDENTIAL_KINDS = ['secret', 'federated'] as const;
export type OAuthClientCredentialKind = (typeof OAUTH_CLIENT_CREDENTIAL_KINDS)[number];

/**
 * The token-exchange audience of the cloud the authority host belongs to (Microsoft: public, US Gov,
 * China); a host trusted as given (an emulator, a proxy) stands for the public cloud.
 */
export function federatedTokenAudienceFor(authorityHost: string): string {
  const host = URL.canParse(authorityHost) ? new URL(authorityHost).hostname.toLowerCase() : '';
  if (host === 'login.microsoftonline.us') return 'api://AzureADTokenExchangeUSGov';
  if (host === 'login.chinacloudapi.cn' || host === 'login.partner.microsoftonline.cn')
    return 'api://AzureADTokenExchangeChina';
  return 'api://AzureADTokenExchange';
}

export type SettingsSource = Readonly<Record<string, string | undefined>>;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const EMAIL = /^[^\s@,;<>"]+@[^\s@,;<>"]+\.[^\s@,;<>"]+$/;
const KEY_VAULT_SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;
const STORAGE_ACCOUNT = /^[a-z0-9]{3,24}$/;
const NCRONTAB_FIELD = /^[0-9A-Za-z*/,-]+$/;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const SMTP_ENDPOINT = /^[A-Za-z0-9.-]+:\d{1,5}$/;

function smtpEndpointOf(text: string): { host: string; port: number } {
  const colon = text.lastIndexOf(':');
  return { host: text.slice(0, colon), port: Number(text.slice(colon + 1)) };
}

/** Absolute https URL; plain http only on loopback, where Azurite and the local stand-ins listen. */
function isSecureAbsoluteUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
}

const withoutTrailingSlash = (text: string): string => text.replace(/\/+$/, '');

function splitList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

const required = (kind: SettingProblemKind, params: Readonly<Record<string, string>> = {}) => {
  const expected = settingProblem(kind, params);
  const missing = settingProblem(kind, params, { missing: true });
  return z.string({ error: (issue) => (issue.input === undefined ? missing : expected) });
};

const urlSetting = (example: string) =>
  required('url', { example })
    .refine(isSecureAbsoluteUrl, { error: settingProblem('url', { example }) })
    .transform(withoutTrailingSlash);

const baseUrlSetting = (example: string) =>
  urlSetting(example).refine((text) => !/[?#]/.test(text), {
    error: settingProblem('base_url', { example }),
  });

const optionalUrlSetting = (example: string) =>
  z
    .string()
    .refine(isSecureAbsoluteUrl, { error: settingProblem('url', { example }) })
    .optional();

const oneOf = <const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) =>
  z.enum(values, { error: settingProblem('one_of', { values: values.join(', ') }) }).default(fallback);

const wholeNumber = (min: number, max: number, fallback: number, unit: 'number' | 'days' = 'number') => {
  const expected = settingProblem(unit === 'days' ? 'whole_days' : 'whole_number', {
    min: String(min),
    max: String(max),
  });
  return z
    .string()
    .regex(/^\d+$/, { error: expected })
    .transform(Number)
    .refine((value) => value >= min && value <= max, { error: expected })
    .default(fallback);
};

const wholeDays = (min: number, max: number, fallback: number) => wholeNumber(min, max, fallback, 'days');

const settingsSchema = z
  .object({
    KEY_VAULT_URL: baseUrlSetting('https://my-vault.vault.azure.net'),
    OAUTH_CLIENT_ID: required('client_id').regex(GUID, { error: settingProblem('client_id') }),
    OAUTH_TENANT: z
      .string()
      .refine((text) => text === 'organizations' || text === 'common' || GUID.test(text) || DOMAIN.test(text), {
        error: settingProblem('oauth_tenant'),
      })
      .default('organizations'),
    AZURE_TENANT_ID: required('home_tenant').refine((text) => GUID.test(text) || DOMAIN.test(text), {
      error: settingProblem('home_tenant'),
    }),
    OAUTH_CLIENT_CREDENTIAL: oneOf(OAUTH_CLIENT_CREDENTIAL_KINDS, 'secret'),
    // An application ID URI: Entra compares it with the federated credential's audiences verbatim.
    FEDERATED_TOKEN_AUDIENCE: z
      .string()
      .refine((text) => /^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(text) && !text.endsWith('/.default'), {
        error: settingProblem('audience'),
      })
      .optional(),
    OAUTH_CLIENT_SECRET_NAME: z
      .string()
      .regex(KEY_VAULT_SECRET_NAME, { error: settingProblem('secret_name') })
      .default('oauth-client-secret'),
    // WARNING: `*` lets anyone with a work or school account connect a mailbox (DESIGN §4).
    ALLOWED_TENANTS: z
      .string()
      .optional()
      .transform((text) =>
        text === '*' ? ('*' as const) : text === undefined ? undefined : splitList(text).map((id) => id.toLowerCase()),
      )
      .refine(
        (tenants) =>
          tenants === undefined || tenants === '*' || (tenants.length > 0 && tenants.every((id) => GUID.test(id))),
        {
          error: settingProblem('tenant_list'),
        },
      ),
    CONNECT_ATTEMPTS_PER_CLIENT_PER_HOUR: wholeNumber(1, 100_000, 30),
    CONNECT_ATTEMPTS_PER_TENANT_PER_HOUR: wholeNumber(1, 100_000, 200),
    MAX_MAILBOXES_PER_TENANT: wholeNumber(1, 100_000, 100),
    PUBLIC_BASE_URL: baseUrlSetting('https://keyrelay.azurewebsites.net'),
    ALLOWED_RETURN_URLS: z
      .string()
      .optional()
      .transform(splitList)
      .refine((urls) => urls.every(isSecureAbsoluteUrl), {
        error: settingProblem('return_urls'),
      })
      // An entry with a query, fragment or user info could never match a return URL: say so at start-up.
      .refine((urls) => urls.every(isUsableAllowedReturnUrl), {
        error: settingProblem('return_url_parts'),
      }),
    AZURE_AUTHORITY_HOST: urlSetting('https://login.microsoftonline.com').default('https://login.microsoftonline.com'),
    GRAPH_ENDPOINT: urlSetting('https://graph.microsoft.com').default('https://graph.microsoft.com'),
    MONITOR_SCHEDULE: z
      .string()
      .refine(
        (text) => {
          const fields = text.split(/\s+/);
          return (fields.length === 5 || fields.length === 6) && fields.every((field) => NCRONTAB_FIELD.test(field));
        },
        { error: settingProblem('ncrontab') },
      )
      .default('0 0 6 * * *'),
    ALERT_THRESHOLDS_DAYS: z
      .string()
      .default('60,30,14,7,3,1,0')
      .transform(splitList)
      .refine((items) => items.length > 0 && items.every((item) => /^\d{1,4}$/.test(item)), {
        error: settingProblem('thresholds'),
      })
      .transform((items) => [...new Set(items.map(Number))].sort((a, b) => b - a)),
    ALERT_RECIPIENTS: z
      .string()
      .optional()
      .transform(splitList)
      .refine((addresses) => addresses.every((address) => EMAIL.test(address)), {
        error: settingProblem('emails'),
      }),
    ALERT_SENDER: z
      .string()
      .regex(EMAIL, { error: settingProblem('sender') })
      .optional(),
    ALERT_MAIL_AUTH: oneOf(['connected-mailbox', 'managed-identity'], 'connected-mailbox'),
    ALERT_WEBHOOK_URL: optionalUrlSetting('https://contoso.webhook.office.com/...'),
    ALERT_LOCALE: oneOf(LOCALES, 'it'),
    ALERT_TIME_ZONE: z
      .string()
      .refine(isTimeZone, { error: settingProblem('time_zone') })
      .default(DEFAULT_TIME_ZONE),
    SMTP_ENDPOINT: z
      .string()
      .regex(SMTP_ENDPOINT, { error: settingProblem('smtp_endpoint') })
      .default('smtp.office365.com:587'),
    ROTATION_MODE: oneOf(['auto', 'alert-only'], 'auto'),
    ROTATION_LEAD_DAYS: wholeDays(1, 365, 30),
    ROTATION_OVERLAP_DAYS: z
      .union(
        [
          z.literal('never'),
          z
            .string()
            .regex(/^\d{1,3}$/)
            .transform(Number),
        ],
        {
          error: settingProblem('overlap_days'),
        },
      )
      .default(7),
  })
  .superRefine((settings, context) => {
    if (settings.ALLOWED_TENANTS === undefined && !GUID.test(settings.AZURE_TENANT_ID)) {
      context.addIssue({
        code: 'custom',
        path: ['ALLOWED_TENANTS'],
        message: settingProblem('tenants_required', {}, { missing: true }),
      });
    }
    if (settings.ALERT_RECIPIENTS.length > 0 && settings.ALERT_SENDER === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['ALERT_SENDER'],
        message: settingProblem('sender_required', {}, { missing: true }),
      });
    }
  });

type StorageResult = { storage: StorageConfig } | { problem: SettingProblem };

function parseStorage(settings: SettingsSource): StorageResult {
  const connectionString = settings.AzureWebJobsStorage;
  if (connectionString !== undefined) {
    const looksValid = connectionString === 'UseDevelopmentStorage=true' || /(^|;)\s*[A-Za-z]+=/.test(connectionString);
    return looksValid
      ? { storage: { kind: 'connectionString', connectionString } }
      : { problem: { setting: 'AzureWebJobsStorage', problem: settingProblem('storage_connection') } };
  }
  const tableServiceUri = settings[STORAGE_TABLE_SERVICE_URI];
  if (tableServiceUri !== undefined) {
    return isSecureAbsoluteUrl(tableServiceUri)
      ? { storage: { kind: 'identity', tableServiceUri: withoutTrailingSlash(tableServiceUri) } }
      : {
          problem: {
            setting: STORAGE_TABLE_SERVICE_URI,
            problem: settingProblem('url', { example: 'https://myaccount.table.core.windows.net' }),
          },
        };
  }
  const accountName = settings[STORAGE_ACCOUNT_NAME];
  if (accountName !== undefined) {
    return STORAGE_ACCOUNT.test(accountName)
      ? { storage: { kind: 'identity', tableServiceUri: `https://${accountName}.table.core.windows.net` } }
      : { problem: { setting: STORAGE_ACCOUNT_NAME, problem: settingProblem('storage_account') } };
  }
  return {
    problem: {
      setting: 'AzureWebJobsStorage',
      problem: settingProblem(
        'storage_missing',
        { accountName: STORAGE_ACCOUNT_NAME, tableServiceUri: STORAGE_TABLE_SERVICE_URI },
        { missing: true },
      ),
    },
  };
}

/** Blank values count as unset: app settings and shells often carry empty strings. */
function withoutBlanks(source: SettingsSource): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    const trimmed = value?.trim();
    if (trimmed) settings[name] = trimmed;
  }
  return settings;
}

/** Parses and validates every setting; throws one ConfigError naming every problem. */
export function loadConfig(source: SettingsSource): Config {
  const settings = withoutBlanks(source);
  const parsed = settingsSchema.safeParse(settings);
  const storage = parseStorage(settings);

  const problems: SettingProblem[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({ setting: String(issue.path[0] ?? 'settings'), problem: issue.message }));
  if ('problem' in storage) problems.push(storage.problem);
  if (!parsed.success || 'problem' in storage) {
    throw new ConfigError(problems.sort((a, b) => settingOrder(a.setting) - settingOrder(b.setting)));
  }

  const values = parsed.data;
  return {
    keyVaultUrl: values.KEY_VAULT_URL,
    oauthClientId: values.OAUTH_CLIENT_ID,
    oauthTenant: values.OAUTH_TENANT,
    azureTenantId: values.AZURE_TENANT_ID,
    oauthClientCredential: values.OAUTH_CLIENT_CREDENTIAL,
    federatedTokenAudience: values.FEDERATED_TOKEN_AUDIENCE ?? federatedTokenAudienceFor(values.AZURE_AUTHORITY_HOST),
    oauthClientSecretName: values.OAUTH_CLIENT_SECRET_NAME,
    allowedTenants: values.ALLOWED_TENANTS ?? [values.AZURE_TENANT_ID.toLowerCase()],
    connectAttemptsPerClientPerHour: values.CONNECT_ATTEMPTS_PER_CLIENT_PER_HOUR,
    connectAttemptsPerTenantPerHour: values.CONNECT_ATTEMPTS_PER_TENANT_PER_HOUR,
    maxMailboxesPerTenant: values.MAX_MAILBOXES_PER_TENANT,
    publicBaseUrl: values.PUBLIC_BASE_URL,
    redirectUri: `${values.PUBLIC_BASE_URL}/api/oauth/callback`,
    allowedReturnUrls: values.ALLOWED_RETURN_URLS,
    authorityHost: values.AZURE_AUTHORITY_HOST,
    graphEndpoint: values.GRAPH_ENDPOINT,
    monitorSchedule: values.MONITOR_SCHEDULE,
    alertThresholdsDays: values.ALERT_THRESHOLDS_DAYS,
    alertRecipients: values.ALERT_RECIPIENTS,
    ...(values.ALERT_SENDER === undefined ? {} : { alertSender: values.ALERT_SENDER }),
    alertMailAuth: values.ALERT_MAIL_AUTH,
    ...(values.ALERT_WEBHOOK_URL === undefined ? {} : { alertWebhookUrl: values.ALERT_WEBHOOK_URL }),
    alertLocale: values.ALERT_LOCALE,
    alertTimeZone: values.ALERT_TIME_ZONE,
    smtpEndpoint: smtpEndpointOf(values.SMTP_ENDPOINT),
    rotationMode: values.ROTATION_MODE,
    rotationLeadDays: values.ROTATION_LEAD_DAYS,
    rotationOverlapDays: values.ROTATION_OVERLAP_DAYS,
    storage: storage.storage,
  };
}

/** Problems are listed in the order of SETTING_NAMES (the order of the docs), storage sub-settings last. */
function settingOrder(setting: string): number {
  const index = (SETTING_NAMES as readonly string[]).indexOf(setting);
  return index === -1 ? SETTING_NAMES.length : index;
}

let processConfig: Config | undefined;

/** The app's settings from process.env, validated on first use and then memoized. */
export function getConfig(): Config {
  processConfig ??= loadConfig(process.env);
  return processConfig;
}

/** The raw settings of this process, for command-line tools that validate only what they need (`npm run setup`). */
export function processSettings(): SettingsSource {
  return process.env;
}
