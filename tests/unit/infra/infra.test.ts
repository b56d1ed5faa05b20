// Structural test of infra/ (issue 8): the real Bicep satisfies every invariant, and each kind of
// regression, made in an in-memory copy, is reported by name. Not a compile: CI can run `az bicep build`.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SETTING_NAMES } from '#src/shared/config.js';
import { checkInfra, isPlatformSetting } from './infraInvariants.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function readInfraFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  const entries = readdirSync(path.join(repoRoot, 'infra'), { recursive: true, withFileTypes: true });
  for (const entry of entries.filter((e) => e.isFile())) {
    const relative = path.relative(repoRoot, path.join(entry.parentPath, entry.name)).split(path.sep).join('/');
    files[relative] = readFileSync(path.join(repoRoot, relative), 'utf8');
  }
  files['azure.yaml'] = readFileSync(path.join(repoRoot, 'azure.yaml'), 'utf8');
  return files;
}

const realFiles = readInfraFiles();

/** A copy of the real files with exactly one occurrence of `search` in `file` replaced. */
function withEdit(file: string, search: string | RegExp, replacement: string): Record<string, string> {
  const text = realFiles[file];
  if (text === undefined) throw new Error(`no file ${file}`);
  const matches =
    typeof search === 'string' ? text.split(search).length - 1 : (text.match(new RegExp(search, 'g')) ?? []).length;
  if (matches !== 1) throw new Error(`expected exactly one ${String(search)} in ${file}, found ${matches}`);
  return { ...realFiles, [file]: text.replace(search, replacement) };
}

describe('infra structural invariants', () => {
  it('finds no problem in the real infra/ files and azure.yaml', () => {
    expect(checkInfra(realFiles, SETTING_NAMES)).toEqual([]);
  });

  it('checks every keyrelay setting of the config schema, with AzureWebJobsStorage treated as platform', () => {
    const keyrelaySettings = SETTING_NAMES.filter((name) => !isPlatformSetting(name));
    expect(keyrelaySettings).toContain('KEY_VAULT_URL');
    expect(keyrelaySettings).not.toContain('AzureWebJobsStorage');
    expect(keyrelaySettings).toHaveLength(SETTING_NAMES.length - 1);
  });

  it('checks that the status dashboard sits behind App Service Authentication, admin group only', () => {
    expect(
      checkInfra(
        withEdit('infra/app/apiAuth.bicep', 'requireAuthentication: true', 'requireAuthentication: false'),
        SETTING_NAMES,
      ),
    ).toEqual(['status dashboard: authsettingsV2 must set globalValidation.requireAuthentication: true (has false)']);
    expect(
      checkInfra(
        withEdit(
          'infra/app/apiAuth.bicep',
          "        '/api/health'\n",
          "        '/api/health'\n        '/api/status'\n",
        ),
        SETTING_NAMES,
      ),
    ).toEqual(['status dashboard: authsettingsV2 must not exclude /api/status']);
    expect(checkInfra(withEdit('infra/app/apiAuth.bicep', "        '/api/mailboxes/*'\n", ''), SETTING_NAMES)).toEqual([
      'status dashboard: authsettingsV2 must exclude /api/mailboxes/* (function key or anonymous)',
    ]);
    expect(checkInfra(withEdit('infra/app/apiAuth.bicep', /groups: \[[^\]]*\]/, 'groups: []'), SETTING_NAMES)).toEqual([
      'status dashboard: authsettingsV2 must allow only the admin group (allowedPrincipals.groups)',
    ]);
  });

  it('reports a removed role assignment by role and principal', () => {
    const files = withEdit(
      'infra/app/rbac.bicep',
      /\/\/ Managed identity: keyrelay's tables[^\n]*\nresource identityStorageTableDataContributor [\s\S]*?\n}\n/,
      '',
    );
    expect(checkInfra(files, SETTING_NAMES)).toEqual([
      'missing role assignment: Storage Table Data Contributor for the managed identity',
    ]);
  });

  it('reports a removed optional role assignment of the deploying principal', () => {
    const files = withEdit('infra/app/rbac.bicep', /resource deployerKeyVaultSecretsOfficer [\s\S]*?\n}\n/, '');
    expect(checkInfra(files, SETTING_NAMES)).toEqual([
      'missing role assignment: Key Vault Secrets Officer for the deploying principal',
    ]);
  });

  it('reports a role assignment whose name is not guid(scope, principal, role)', () => {
    const files = withEdit(
      'infra/app/rbac.bicep',
      'name: guid(vault.id, managedIdentityPrincipalId, keyVaultSecretsOfficerRoleId)',
      'name: guid(vault.id, keyVaultSecretsOfficerRoleId)',
    );
    expect(checkInfra(files, SETTING_NAMES)).toContainEqual(
      'infra/app/rbac.bicep: role assignment identityKeyVaultSecretsOfficer: name must be guid(scope, principal, role)',
    );
  });

  it('reports a role GUID whose comment does not name the role', () => {
    const files = withEdit('infra/app/rbac.bicep', ' // Storage Queue Data Contributor', '');
    const problems = checkInfra(files, SETTING_NAMES);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^infra\/app\/rbac\.bicep:\d+: GUID 974c5e8b-45b9-4653-ba55-5f855dd0fb88 has no comment naming it$/,
    );
  });

  it('reports a role GUID commented with the wrong role name', () => {
    const files = withEdit(
      'infra/app/rbac.bicep',
      "'3913510d-42f4-4e42-8a64-420c390055eb' // Monitoring Metrics Publisher",
      "'3913510d-42f4-4e42-8a64-420c390055eb' // Monitoring Reader",
    );
    expect(checkInfra(files, SETTING_NAMES)).toEqual([
      expect.stringMatching(
        /role GUID 3913510d-42f4-4e42-8a64-420c390055eb must be commented with its role name "Monitoring Metrics Publisher"$/,
      ),
    ]);
  });

  it('reports a keyrelay setting missing from the app settings', () => {
    const files = withEdit('infra/app/apiSettings.bicep', /\n\s+ALERT_LOCALE: alertLocale/, '');
    expect(checkInfra(files, SETTING_NAMES)).toEqual(['app settings: keyrelay setting ALERT_LOCALE is not set']);
  });

  it('reports an app setting the config schema does not know', () => {
    const files = withEdit(
      'infra/app/apiSettings.bicep',
      '    ROTATION_MODE: rotationMode\n',
      "    ROTATION_MODE: rotationMode\n    ROTATION_JITTER: '5'\n",
    );
    expect(checkInfra(files, SETTING_NAMES)).toEqual([
      'app settings: ROTATION_JITTER is not a setting the config schema knows',
    ]);
  });

  it('reports a federated credential whose subject is not the managed identity', () => {
    const files = withEdit(
      'infra/app/appRegistration.bicep',
      '  subject: managedIdentityPrincipalId\n',
      "  subject: 'someone-else'\n",
    );
    expect(checkInfra(files, SETTING_NAMES)).toEqual([
      "federated credential: subject must be the managed identity's object id (managedIdentityPrincipalId)",
    ]);
  });

  it('reports a missing federated credential and a deployment that defaults to secret', () => {
    const withoutCredential = withEdit(
      'infra/app/appRegistration.bicep',
      /\nresource managedIdentityCredential [\s\S]*?\n}\n/,
      '\n',
    );
    expect(checkInfra(withoutCredential, SETTING_NAMES)).toEqual([
      'federated credential: expected exactly one Microsoft.Graph/applications/federatedIdentityCredentials resource',
    ]);
    const secretByDefault = withEdit(
      'infra/main.bicep',
      "param oauthClientCredential string = 'federated'",
      "param oauthClientCredential string = 'secret'",
    );
    expect(checkInfra(secretByDefault, SETTING_NAMES)).toEqual([
      "infra/main.bicep: oauthClientCredential must default to 'federated'",
    ]);
  });

  it('reports a setting the schema gains but the Bicep does not set', () => {
    expect(checkInfra(realFiles, [...SETTING_NAMES, 'NEW_SETTING'])).toEqual([
      'app settings: keyrelay setting NEW_SETTING is not set',
    ]);
  });

  it('reports a connection-string credential for the host storage', () => {
    const files = withEdit(
      'infra/app/apiSettings.bicep',
      "AzureWebJobsStorage__credential: 'managedidentity'",
      "AzureWebJobsStorage__credential: 'connectionstring'",
    );
    expect(checkInfra(files, SETTING_NAMES)).toEqual([
      "app settings: AzureWebJobsStorage__credential must match /^'managedidentity'$/",
    ]);
  });

  it('reports shared key access enabled on the storage account', () => {
    const files = withEdit(
      'infra/core/storage/storage-account.bicep',
      'allowSharedKeyAccess: false',
      'allowSharedKeyAccess: true',
    );
    expect(checkInfra(files, SETTING_NAMES)).toEqual([
      'storage: infra/core/storage/storage-account.bicep storage must set properties.allowSharedKeyAccess: false (has true)',
    ]);
  });

  it('reports purge protection removed from the Key Vault', () => {
    const files = withEdit('infra/core/security/key-vault.bicep', /\n\s+enablePurgeProtection: true/, '');
    expect(checkInfra(files, SETTING_NAMES)).toEqual([
      'key vault: infra/core/security/key-vault.bicep vault must set properties.enablePurgeProtection: true (has nothing)',
    ]);
  });

  it('reports Key Vault access policies instead of RBAC authorization', () => {
    const files = withEdit(
      'infra/core/security/key-vault.bicep',
      'enableRbacAuthorization: true',
      'enableRbacAuthorization: false',
    );
    expect(checkInfra(files, SETTING_NAMES)).toEqual([
      'key vault: infra/core/security/key-vault.bicep vault must set properties.enableRbacAuthorization: true (has false)',
    ]);
  });

  it('reports local auth enabled on Application Insights', () => {
    const files = withEdit('infra/core/monitor/monitoring.bicep', 'DisableLocalAuth: true', 'DisableLocalAuth: false');
    expect(checkInfra(files, SETTING_NAMES)).toEqual([
      'application insights: infra/core/monitor/monitoring.bicep applicationInsights must set properties.DisableLocalAuth: true (has false)',
    ]);
  });

  it('reports a Node version other than 22', () => {
    const files = withEdit('infra/app/api.bicep', "version: '22'", "version: '20'");
    expect(checkInfra(files, SETTING_NAMES)).toEqual([
      "function app (Node 22): infra/app/api.bicep api must set properties.functionAppConfig.runtime.version: '22' (has '20')",
    ]);
  });

  it('reports a module that main.bicep no longer deploys', () => {
    const files = withEdit('infra/main.bicep', /module rbac 'app\/rbac\.bicep' = \{[\s\S]*?\n}\n/, '');
    expect(checkInfra(files, SETTING_NAMES)).toEqual(['infra/app/rbac.bicep is not deployed: no module references it']);
  });

  it('reports a Graph permission id typed into the app registration instead of looked up', () => {
    const files = withEdit(
      'infra/app/appRegistration.bicep',
      'id: filter(exchangeOnline.oauth2PermissionScopes, scope => scope.value == scopeValue)[0].id',
      "id: '258f6531-6087-4cc4-bb90-092c5fb3ed3f' // SMTP.Send",
    );
    expect(checkInfra(files, SETTING_NAMES)).toEqual([
      'app registration: permission ids must be looked up by value, not typed',
    ]);
  });

  it('reports a postprovision hook that does not run setup', () => {
    const files = {
      ...realFiles,
      'azure.yaml': realFiles['azure.yaml']?.replaceAll('run: npm run setup', 'run: echo done') ?? '',
    };
    expect(checkInfra(files, SETTING_NAMES)).toEqual(['azure.yaml: postprovision hook must run `npm run setup`']);
  });
});
