import { describe, expect, it } from 'vitest';
import { loadConfig, SETTING_NAMES, type SettingsSource } from '#src/shared/config.js';
import { ConfigError } from '#src/shared/errors.js';

const requiredOnly: SettingsSource = {
  KEY_VAULT_URL: 'https://contoso-vault.vault.azure.net/',
  OAUTH_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
  AZURE_TENANT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  PUBLIC_BASE_URL: 'https://keyrelay.example.com/',
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
};

function configError(source: SettingsSource): ConfigError {
  try {
    loadConfig(source);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected loadConfig to throw a ConfigError');
}

describe('loadConfig', () => {
  it('applies the DESIGN §4 defaults when only the required settings are given', () => {
    expect(loadConfig(requiredOnly)).toEqual({
      keyVaultUrl: 'https://contoso-vault.vault.azure.net',
      oauthClientId: '11111111-2222-3333-4444-555555555555',
      oauthTenant: 'organizations',
      azureTenantId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      oauthClientCredential: 'secret',
      federatedTokenAudience: 'api://AzureADTokenExchange',
      oauthClientSecretName: 'oauth-client-secret',
      allowedTenants: ['aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'],
      connectAttemptsPerClientPerHour: 30,
      connectAttemptsPerTenantPerHour: 200,
      maxMailboxesPerTenant: 100,
      publicBaseUrl: 'https://keyrelay.example.com',
      redirectUri: 'https://keyrelay.example.com/api/oauth/callback',
      allowedReturnUrls: [],
      authorityHost: 'https://login.microsoftonline.com',
      graphEndpoint: 'https://graph.microsoft.com',
      monitorSchedule: '0 0 6 * * *',
      alertThresholdsDays: [60, 30, 14, 7, 3, 1, 0],
      alertRecipients: [],
      alertMailAuth: 'connected-mailbox',
      alertLocale: 'it',
      alertTimeZone: 'Europe/Rome',
      smtpEndpoint: { host: 'smtp.office365.com', port: 587 },
      rotationMode: 'auto',
      rotationLeadDays: 30,
      rotationOverlapDays: 7,
      storage: { kind: 'connectionString', connectionString: 'UseDevelopmentStorage=true' },
    });
  });

  describe('ALLOWED_TENANTS', () => {
    it('takes a comma list of tenant ids, lower-cased', () => {
      expect(
        loadConfig({
          ...requiredOnly,
          ALLOWED_TENANTS: 'AAAAAAAA-bbbb-cccc-dddd-eeeeeeeeeeee, 9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d',
        }).allowedTenants,
      ).toEqual(['aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d']);
    });

    it('takes * for any work or school tenant', () => {
      expect(loadConfig({ ...requiredOnly, ALLOWED_TENANTS: '*' }).allowedTenants).toBe('*');
    });

    it('refuses a domain name or a mixture with *', () => {
      expect(configError({ ...requiredOnly, ALLOWED_TENANTS: 'contoso.com' }).problems[0]?.setting).toBe(
        'ALLOWED_TENANTS',
      );
      expect(
        configError({ ...requiredOnly, ALLOWED_TENANTS: '*,aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' }).problems[0]
          ?.setting,
      ).toBe('ALLOWED_TENANTS');
    });

    it('abuse limits take whole numbers from 1', () => {
      expect(loadConfig({ ...requiredOnly, MAX_MAILBOXES_PER_TENANT: '5' }).maxMailboxesPerTenant).toBe(5);
      expect(configError({ ...requiredOnly, CONNECT_ATTEMPTS_PER_CLIENT_PER_HOUR: '0' }).problems[0]?.setting).toBe(
        'CONNECT_ATTEMPTS_PER_CLIENT_PER_HOUR',
      );
    });

    it('is required when AZURE_TENANT_ID is a domain name (no tenant id to default to)', () => {
      const error = configError({ ...requiredOnly, AZURE_TENANT_ID: 'contoso.onmicrosoft.com' });
      expect(error.problems).toEqual([
        {
          setting: 'ALLOWED_TENANTS',
          problem: expect.stringContaining('required when AZURE_TENANT_ID is a domain') as string,
        },
      ]);
    });
  });

  it('derives FEDERATED_TOKEN_AUDIENCE from the cloud of AZURE_AUTHORITY_HOST unless it is set', () => {
    const federated = { ...requiredOnly, OAUTH_CLIENT_CREDENTIAL: 'federated' };
    expect(loadConfig(federated)).toMatchObject({
      oauthClientCredential: 'federated',
      federatedTokenAudience: 'api://AzureADTokenExchange',
    });
    expect(
      loadConfig({ ...federated, AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.us' }).federatedTokenAudience,
    ).toBe('api://AzureADTokenExchangeUSGov');
    expect(
      loadConfig({ ...federated, AZURE_AUTHORITY_HOST: 'https://login.chinacloudapi.cn' }).federatedTokenAudience,
    ).toBe('api://AzureADTokenExchangeChina');
    expect(loadConfig({ ...federated, AZURE_AUTHORITY_HOST: 'https://127.0.0.1:8443' }).federatedTokenAudience).toBe(
      'api://AzureADTokenExchange',
    );
    expect(
      loadConfig({ ...federated, FEDERATED_TOKEN_AUDIENCE: 'api://contoso-exchange' }).federatedTokenAudience,
    ).toBe('api://contoso-exchange');
  });

  it('reports a wrong OAUTH_CLIENT_CREDENTIAL and FEDERATED_TOKEN_AUDIENCE together, naming each', () => {
    const error = configError({
      ...requiredOnly,
      OAUTH_CLIENT_CREDENTIAL: 'certificate',
      FEDERATED_TOKEN_AUDIENCE: 'api://AzureADTokenExchange/.default',
    });
    expect(error.problems.map((problem) => problem.setting)).toEqual([
      'OAUTH_CLIENT_CREDENTIAL',
      'FEDERATED_TOKEN_AUDIENCE',
    ]);
    expect(error.problems[0]?.problem).toBe('expected one of: secret, federated');
    expect(error.problems[1]?.problem).toContain('without /.default');
    expect(
      configError({ ...requiredOnly, FEDERATED_TOKEN_AUDIENCE: 'AzureADTokenExchange' }).problems[0]?.setting,
    ).toBe('FEDERATED_TOKEN_AUDIENCE');
  });

  it('takes ALERT_TIME_ZONE as an IANA zone and names it when it is not one', () => {
    expect(loadConfig({ ...requiredOnly, ALERT_TIME_ZONE: 'UTC' }).alertTimeZone).toBe('UTC');
    const error = configError({ ...requiredOnly, ALERT_TIME_ZONE: 'Rome' });
    expect(error.problems).toEqual([
      { setting: 'ALERT_TIME_ZONE', problem: 'expected an IANA time zone name, e.g. Europe/Rome or UTC' },
    ]);
  });

  it('names all three wrong settings in one ConfigError message', () => {
    const error = configError({
      ...requiredOnly,
      KEY_VAULT_URL: 'ftp://vault',
      OAUTH_CLIENT_ID: undefined,
      ALERT_LOCALE: 'de',
    });
    expect(error.problems.map((problem) => problem.setting)).toEqual([
      'KEY_VAULT_URL',
      'OAUTH_CLIENT_ID',
      'ALERT_LOCALE',
    ]);
    expect(error.message).toContain('3 settings are missing or invalid');
    expect(error.message).toContain('KEY_VAULT_URL: expected an absolute https:// URL');
    expect(error.message).toContain('OAUTH_CLIENT_ID: missing');
    expect(error.message).toContain('ALERT_LOCALE: expected one of: it, en');
  });

  it('reports every required setting when nothing is set', () => {
    const error = configError({});
    expect(error.problems.map((problem) => problem.setting)).toEqual([
      'KEY_VAULT_URL',
      'OAUTH_CLIENT_ID',
      'AZURE_TENANT_ID',
      'PUBLIC_BASE_URL',
      'AzureWebJobsStorage',
    ]);
  });

  it('treats blank values as unset', () => {
    expect(loadConfig({ ...requiredOnly, ALERT_WEBHOOK_URL: '  ', ROTATION_MODE: '' }).rotationMode).toBe('auto');
    expect(configError({ ...requiredOnly, KEY_VAULT_URL: ' ' }).problems[0]?.problem).toMatch(/^missing/);
  });

  it('splits comma lists, trims items and drops empty ones', () => {
    const config = loadConfig({
      ...requiredOnly,
      ALLOWED_RETURN_URLS: ' https://crm.example.com/a , http://localhost:3000/b,,',
      ALERT_RECIPIENTS: 'ops@example.com, it@example.com ',
      ALERT_SENDER: 'alerts@example.com',
    });
    expect(config.allowedReturnUrls).toEqual(['https://crm.example.com/a', 'http://localhost:3000/b']);
    expect(config.alertRecipients).toEqual(['ops@example.com', 'it@example.com']);
    expect(config.alertSender).toBe('alerts@example.com');
  });

  it.each([
    ['a query', 'https://app.example.com/?tab=mail'],
    ['a fragment', 'https://app.example.com/settings#mail'],
    ['user info', 'https://user@app.example.com'],
  ])('rejects an allowed return URL with %s, which could never match', (_what, entry) => {
    const error = configError({ ...requiredOnly, ALLOWED_RETURN_URLS: `https://crm.example.com, ${entry}` });
    expect(error.problems).toEqual([
      { setting: 'ALLOWED_RETURN_URLS', problem: expect.stringMatching(/origins or path prefixes only/) as unknown },
    ]);
  });

  it('sorts alert thresholds descending without duplicates', () => {
    expect(loadConfig({ ...requiredOnly, ALERT_THRESHOLDS_DAYS: '7, 30,7,0' }).alertThresholdsDays).toEqual([30, 7, 0]);
  });

  it('rejects malformed lists, naming the setting', () => {
    const error = configError({
      ...requiredOnly,
      ALERT_THRESHOLDS_DAYS: '30,soon',
      ALERT_RECIPIENTS: 'not-an-address',
    });
    expect(error.problems.map((problem) => problem.setting)).toEqual([
      'ALERT_THRESHOLDS_DAYS',
      'ALERT_RECIPIENTS',
      'ALERT_SENDER',
    ]);
  });

  it('requires ALERT_SENDER once ALERT_RECIPIENTS is set', () => {
    const error = configError({ ...requiredOnly, ALERT_RECIPIENTS: 'ops@example.com' });
    expect(error.problems).toEqual([
      { setting: 'ALERT_SENDER', problem: expect.stringMatching(/required when ALERT_RECIPIENTS is set/) as unknown },
    ]);
  });

  it('allows plain http only for loopback hosts', () => {
    expect(loadConfig({ ...requiredOnly, KEY_VAULT_URL: 'http://127.0.0.1:8443' }).keyVaultUrl).toBe(
      'http://127.0.0.1:8443',
    );
    expect(configError({ ...requiredOnly, PUBLIC_BASE_URL: 'http://keyrelay.example.com' }).problems[0]?.setting).toBe(
      'PUBLIC_BASE_URL',
    );
  });

  it("parses ROTATION_OVERLAP_DAYS as days or 'never'", () => {
    expect(loadConfig({ ...requiredOnly, ROTATION_OVERLAP_DAYS: 'never' }).rotationOverlapDays).toBe('never');
    expect(loadConfig({ ...requiredOnly, ROTATION_OVERLAP_DAYS: '0' }).rotationOverlapDays).toBe(0);
    expect(configError({ ...requiredOnly, ROTATION_OVERLAP_DAYS: '-1' }).problems[0]?.setting).toBe(
      'ROTATION_OVERLAP_DAYS',
    );
  });

  it('accepts identity-based storage by account name or table service URI', () => {
    const { AzureWebJobsStorage: _connectionString, ...withoutStorage } = requiredOnly;
    expect(loadConfig({ ...withoutStorage, AzureWebJobsStorage__accountName: 'keyrelaydata' }).storage).toEqual({
      kind: 'identity',
      tableServiceUri: 'https://keyrelaydata.table.core.windows.net',
    });
    expect(
      loadConfig({ ...withoutStorage, AzureWebJobsStorage__tableServiceUri: 'https://x.table.core.windows.net/' })
        .storage,
    ).toEqual({
      kind: 'identity',
      tableServiceUri: 'https://x.table.core.windows.net',
    });
    expect(configError({ ...withoutStorage, AzureWebJobsStorage__accountName: 'Bad_Name' }).problems[0]?.setting).toBe(
      'AzureWebJobsStorage__accountName',
    );
  });

  it('exports exactly the DESIGN §4 setting names', () => {
    expect([...SETTING_NAMES]).toEqual([
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
    ]);
  });
});
