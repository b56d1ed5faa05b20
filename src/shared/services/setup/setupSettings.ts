// What `npm run setup` needs from the settings. It runs before the app registration exists (no
// OAUTH_CLIENT_ID yet) and as an azd hook (no AzureWebJobsStorage in azd's environment), so it asks
// loadConfig to validate everything and keeps only the problems of the settings it uses.
import { ConfigError, type SettingProblem } from '#src/shared/errors.js';
import {
  federatedTokenAudienceFor,
  loadConfig,
  type OAuthClientCredentialKind,
  type SettingsSource,
} from '#src/shared/config.js';
import { LOCALES, type Locale } from '#src/shared/presentation/locale.js';
import { settingProblem } from '#src/shared/settingProblems.js';

/** azd outputs (infra/main.bicep) naming keyrelay's managed identity, the owner setup adds. */
export const IDENTITY_CLIENT_ID_SETTING = 'AZURE_MANAGED_IDENTITY_CLIENT_ID';
export const IDENTITY_OBJECT_ID_SETTING = 'AZURE_MANAGED_IDENTITY_PRINCIPAL_ID';

const SETUP_SETTINGS = new Set([
  'KEY_VAULT_URL',
  'OAUTH_CLIENT_ID',
  'AZURE_TENANT_ID',
  'OAUTH_CLIENT_SECRET_NAME',
  'OAUTH_CLIENT_CREDENTIAL',
  'FEDERATED_TOKEN_AUDIENCE',
  'PUBLIC_BASE_URL',
  'AZURE_AUTHORITY_HOST',
  'GRAPH_ENDPOINT',
  'ALERT_LOCALE',
  'ALERT_MAIL_AUTH',
]);

// DESIGN §4 defaults of the optional settings setup reads (loadConfig applies the same ones).
const DEFAULTS = {
  OAUTH_CLIENT_SECRET_NAME: 'oauth-client-secret',
  AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.com',
  GRAPH_ENDPOINT: 'https://graph.microsoft.com',
  ALERT_LOCALE: 'it',
} as const;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface SetupSettings {
  keyVaultUrl: string;
  /** Absent on a first run: setup then finds the app by display name or creates it. */
  oauthClientId?: string;
  azureTenantId: string;
  oauthClientSecretName: string;
  /** The kind the app runs with now (`--federated` removes the old secret only once it is `federated`). */
  oauthClientCredential: OAuthClientCredentialKind;
  federatedTokenAudience: string;
  publicBaseUrl: string;
  redirectUri: string;
  authorityHost: string;
  graphEndpoint: string;
  locale: Locale;
  identityClientId?: string;
  identityObjectId?: string;
  /** `managed-identity`: keyrelay's identity also needs the Graph app role Mail.Send (DESIGN §4). */
  alertMailAuth: 'connected-mailbox' | 'managed-identity';
}

export interface SetupFlags {
  locale?: Locale;
  identityClientId?: string;
  identityObjectId?: string;
}

function valueOf(source: SettingsSource, name: string): string | undefined {
  const value = source[name]?.trim();
  return value ? value : undefined;
}

const withoutTrailingSlash = (text: string): string => text.replace(/\/+$/, '');

/** Throws one ConfigError listing every problem of the settings setup uses. */
export function loadSetupSettings(source: SettingsSource, flags: SetupFlags = {}): SetupSettings {
  const problems: SettingProblem[] = [];
  try {
    loadConfig(source);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(
      ...error.problems.filter(
        ({ setting }) =>
          SETUP_SETTINGS.has(setting) && !(setting === 'OAUTH_CLIENT_ID' && valueOf(source, setting) === undefined),
      ),
    );
  }
  const identityClientId = flags.identityClientId ?? valueOf(source, IDENTITY_CLIENT_ID_SETTING);
  const identityObjectId = flags.identityObjectId ?? valueOf(source, IDENTITY_OBJECT_ID_SETTING);
  if (identityClientId !== undefined && !GUID.test(identityClientId)) {
    problems.push({
      setting: `--identity-client-id / ${IDENTITY_CLIENT_ID_SETTING}`,
      problem: settingProblem('identity_client_id'),
    });
  }
  if (identityObjectId !== undefined && !GUID.test(identityObjectId)) {
    problems.push({
      setting: `--identity-object-id / ${IDENTITY_OBJECT_ID_SETTING}`,
      problem: settingProblem('identity_object_id'),
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const required = (name: string): string => withoutTrailingSlash(valueOf(source, name) ?? '');
  const publicBaseUrl = required('PUBLIC_BASE_URL');
  const localeSetting = valueOf(source, 'ALERT_LOCALE') ?? DEFAULTS.ALERT_LOCALE;
  const oauthClientId = valueOf(source, 'OAUTH_CLIENT_ID');
  const authorityHost = withoutTrailingSlash(valueOf(source, 'AZURE_AUTHORITY_HOST') ?? DEFAULTS.AZURE_AUTHORITY_HOST);
  return {
    keyVaultUrl: required('KEY_VAULT_URL'),
    ...(oauthClientId !== undefined && { oauthClientId }),
    azureTenantId: required('AZURE_TENANT_ID'),
    oauthClientSecretName: valueOf(source, 'OAUTH_CLIENT_SECRET_NAME') ?? DEFAULTS.OAUTH_CLIENT_SECRET_NAME,
    oauthClientCredential: valueOf(source, 'OAUTH_CLIENT_CREDENTIAL') === 'federated' ? 'federated' : 'secret',
    federatedTokenAudience: valueOf(source, 'FEDERATED_TOKEN_AUDIENCE') ?? federatedTokenAudienceFor(authorityHost),
    publicBaseUrl,
    redirectUri: `${publicBaseUrl}/api/oauth/callback`,
    authorityHost,
    graphEndpoint: withoutTrailingSlash(valueOf(source, 'GRAPH_ENDPOINT') ?? DEFAULTS.GRAPH_ENDPOINT),
    locale:
      flags.locale ??
      ((LOCALES as readonly string[]).includes(localeSetting) ? (localeSetting as Locale) : DEFAULTS.ALERT_LOCALE),
    ...(identityClientId !== undefined && { identityClientId }),
    ...(identityObjectId !== undefined && { identityObjectId }),
    alertMailAuth: valueOf(source, 'ALERT_MAIL_AUTH') === 'managed-identity' ? 'managed-identity' : 'connected-mailbox',
  };
}
