import { describe, expect, it } from 'vitest';
import { ConfigError } from '#src/shared/errors.js';
import { loadSetupSettings } from '#src/shared/services/setup/setupSettings.js';

const TENANT = '6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
const IDENTITY = '0d5e6f7a-8b9c-4d0e-a1f2-3a4b5c6d7e8f';
const azdEnvironment = {
  KEY_VAULT_URL: 'https://kv-keyrelay.vault.azure.net/',
  AZURE_TENANT_ID: TENANT,
  PUBLIC_BASE_URL: 'https://func-keyrelay.azurewebsites.net',
  OAUTH_CLIENT_ID: '',
  AZURE_MANAGED_IDENTITY_CLIENT_ID: IDENTITY,
};

function problemsOf(source: Record<string, string>): string[] {
  try {
    loadSetupSettings(source);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((problem) => problem.setting);
    throw error;
  }
  return [];
}

describe('loadSetupSettings', () => {
  it('accepts azd’s environment: no OAUTH_CLIENT_ID yet, no storage setting, identity from the azd outputs', () => {
    expect(loadSetupSettings(azdEnvironment)).toEqual({
      keyVaultUrl: 'https://kv-keyrelay.vault.azure.net',
      azureTenantId: TENANT,
      oauthClientSecretName: 'oauth-client-secret',
      oauthClientCredential: 'secret',
      federatedTokenAudience: 'api://AzureADTokenExchange',
      publicBaseUrl: 'https://func-keyrelay.azurewebsites.net',
      redirectUri: 'https://func-keyrelay.azurewebsites.net/api/oauth/callback',
      authorityHost: 'https://login.microsoftonline.com',
      graphEndpoint: 'https://graph.microsoft.com',
      locale: 'it',
      identityClientId: IDENTITY,
      alertMailAuth: 'connected-mailbox',
    });
  });

  it('reads ALERT_MAIL_AUTH: managed-identity means the identity needs Mail.Send too', () => {
    expect(loadSetupSettings({ ...azdEnvironment, ALERT_MAIL_AUTH: 'managed-identity' }).alertMailAuth).toBe(
      'managed-identity',
    );
  });

  it('lets flags override the locale and the identity', () => {
    const other = '11111111-2222-4333-8444-555555555555';
    expect(loadSetupSettings(azdEnvironment, { locale: 'en', identityClientId: other })).toMatchObject({
      locale: 'en',
      identityClientId: other,
    });
  });

  it('lists every problem of the settings it needs in one error, and none of the settings it does not', () => {
    expect(
      problemsOf({
        OAUTH_CLIENT_ID: 'not-a-guid',
        ALERT_RECIPIENTS: 'not an address',
        AZURE_MANAGED_IDENTITY_CLIENT_ID: 'x',
      }),
    ).toEqual([
      'KEY_VAULT_URL',
      'OAUTH_CLIENT_ID',
      'AZURE_TENANT_ID',
      'PUBLIC_BASE_URL',
      '--identity-client-id / AZURE_MANAGED_IDENTITY_CLIENT_ID',
    ]);
  });
});
