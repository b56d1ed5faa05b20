// The invariants of infra/ (issue 8) checked on the Bicep text: what must hold for keyrelay to run with
// no shared keys and no secret outside Key Vault, and for its app settings to be exactly the settings the
// config schema knows. Structural only: CI elsewhere can run `az bicep build` for syntax and types.
import { posix } from 'node:path';
import {
  blankComments,
  callArguments,
  findResources,
  objectProperties,
  propertyAt,
  stringVariables,
  type BicepResource,
} from './bicepText.js';

/** Built-in Azure role definition ids keyrelay's identity needs, with their role names. */
export const REQUIRED_ROLES: Readonly<Record<string, { name: string; scopeType: string }>> = {
  'b86a8fe4-44ce-4948-aee5-eccb2c155cd7': { name: 'Key Vault Secrets Officer', scopeType: 'Microsoft.KeyVault/vaults' },
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': {
    name: 'Storage Blob Data Owner',
    scopeType: 'Microsoft.Storage/storageAccounts',
  },
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88': {
    name: 'Storage Queue Data Contributor',
    scopeType: 'Microsoft.Storage/storageAccounts',
  },
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': {
    name: 'Storage Table Data Contributor',
    scopeType: 'Microsoft.Storage/storageAccounts',
  },
  '3913510d-42f4-4e42-8a64-420c390055eb': {
    name: 'Monitoring Metrics Publisher',
    scopeType: 'Microsoft.Insights/components',
  },
};

/** rbac.bicep parameter names that say who an assignment is for. */
export const MANAGED_IDENTITY_PRINCIPAL = 'managedIdentityPrincipalId';
export const DEPLOYER_PRINCIPAL = 'deployerPrincipalId';

/**
 * Settings the Functions platform reads rather than keyrelay's config: identity-based host storage,
 * Application Insights, and the client id that makes DefaultAzureCredential use the user-assigned identity.
 */
export function isPlatformSetting(name: string): boolean {
  return (
    name === 'AzureWebJobsStorage' ||
    name.startsWith('AzureWebJobsStorage__') ||
    name.startsWith('APPLICATIONINSIGHTS_') ||
    name === 'AZURE_CLIENT_ID'
  );
}

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const GRAPH_EXTENSION = /^br:mcr\.microsoft\.com\/bicep\/extensions\/microsoftgraph\/v1\.0:\d+\.\d+\.\d+$/;

/**
 * Problems found in `files` (repository-relative path -> text; every infra/** file plus azure.yaml).
 * `settingNames` is the config schema's list (SETTING_NAMES). An empty result means every invariant holds.
 */
export function checkInfra(files: Readonly<Record<string, string>>, settingNames: readonly string[]): string[] {
  const bicepFiles = Object.entries(files).filter(([path]) => path.endsWith('.bicep'));
  const resources = bicepFiles.flatMap(([path, text]) => findResources(path, text));
  return [
    ...checkModules(bicepFiles),
    ...checkGuidComments(bicepFiles),
    ...checkRoleAssignments(bicepFiles, resources),
    ...checkAppSettings(resources, settingNames),
    ...checkStorage(resources),
    ...checkKeyVault(resources),
    ...checkMonitoring(resources),
    ...checkFunctionApp(resources),
    ...checkStatusAuthentication(resources),
    ...checkAppRegistration(files, resources),
    ...checkAzureYaml(files['azure.yaml']),
  ];
}

/** Every module path resolves, and every Bicep file but main.bicep is deployed through some module. */
function checkModules(bicepFiles: [string, string][]): string[] {
  const problems: string[] = [];
  const paths = new Set(bicepFiles.map(([path]) => path));
  const referenced = new Set<string>();
  for (const [file, text] of bicepFiles) {
    for (const [, modulePath] of blankComments(text).matchAll(/^\s*module\s+\w+\s+'([^']+)'/gm)) {
      const target = posix.normalize(posix.join(posix.dirname(file), modulePath ?? ''));
      if (!paths.has(target)) problems.push(`${file}: module ${modulePath ?? ''} does not exist`);
      referenced.add(target);
    }
  }
  for (const path of paths) {
    if (path !== 'infra/main.bicep' && !referenced.has(path))
      problems.push(`${path} is not deployed: no module references it`);
  }
  const main = blankComments(bicepFiles.find(([path]) => path === 'infra/main.bicep')?.[1] ?? '');
  if (!/module\s+\w+\s+'app\/appRegistration\.bicep'\s*=\s*if\s*\(createAppRegistration\)/.test(main)) {
    problems.push('infra/main.bicep: the app registration module must be deployed only if (createAppRegistration)');
  }
  return problems;
}

function checkGuidComments(bicepFiles: [string, string][]): string[] {
  const problems: string[] = [];
  for (const [path, text] of bicepFiles) {
    text.split('\n').forEach((line, index) => {
      const commentAt = line.indexOf('//');
      const code = commentAt === -1 ? line : line.slice(0, commentAt);
      const comment = commentAt === -1 ? '' : line.slice(commentAt + 2).trim();
      for (const [guid] of code.matchAll(GUID)) {
        const role = REQUIRED_ROLES[guid.toLowerCase()];
        const where = `${path}:${index + 1}`;
        if (comment === '') problems.push(`${where}: GUID ${guid} has no comment naming it`);
        else if (role !== undefined && !comment.toLowerCase().includes(role.name.toLowerCase())) {
          problems.push(`${where}: role GUID ${guid} must be commented with its role name "${role.name}"`);
        }
      }
    });
  }
  return problems;
}

function checkRoleAssignments(bicepFiles: [string, string][], resources: BicepResource[]): string[] {
  const problems: string[] = [];
  const granted = { [MANAGED_IDENTITY_PRINCIPAL]: new Set<string>(), [DEPLOYER_PRINCIPAL]: new Set<string>() };
  for (const assignment of resources.filter((r) => r.type.startsWith('Microsoft.Authorization/roleAssignments@'))) {
    const label = `${assignment.file}: role assignment ${assignment.symbol}`;
    const variables = stringVariables(bicepFiles.find(([path]) => path === assignment.file)?.[1] ?? '');
    const properties = objectProperties(assignment.body);
    const scope = properties.get('scope');
    const principalId = propertyAt(assignment.body, ['properties', 'principalId']);
    const roleDefinitionId = propertyAt(assignment.body, ['properties', 'roleDefinitionId']) ?? '';
    const guidArguments = callArguments(properties.get('name') ?? '', 'guid');
    if (guidArguments?.length !== 3) {
      problems.push(`${label}: name must be guid(scope, principal, role)`);
      continue;
    }
    const [scopeArgument, principalArgument, roleArgument] = guidArguments as [string, string, string];
    if (scope === undefined || scopeArgument !== `${scope}.id`) {
      problems.push(`${label}: name must start with the id of its scope (${scope ?? 'no scope'}.id)`);
    }
    if (principalArgument !== principalId)
      problems.push(`${label}: name must use its principalId (${principalId ?? 'none'})`);
    if (!roleDefinitionId.includes(roleArgument)) problems.push(`${label}: name must use its roleDefinitionId's role`);
    const roleGuid = (variables.get(roleArgument) ?? roleArgument.replace(/'/g, '')).toLowerCase();
    const role = REQUIRED_ROLES[roleGuid];
    if (role === undefined) {
      problems.push(`${label}: role ${roleArgument} is not one of the roles keyrelay needs`);
      continue;
    }
    const scopeResource = resources.find((r) => r.file === assignment.file && r.symbol === scope);
    if (scopeResource === undefined || !scopeResource.type.startsWith(`${role.scopeType}@`)) {
      problems.push(`${label}: ${role.name} must be scoped to a ${role.scopeType}`);
    }
    if (principalId === MANAGED_IDENTITY_PRINCIPAL) granted[MANAGED_IDENTITY_PRINCIPAL].add(roleGuid);
    else if (principalId === DEPLOYER_PRINCIPAL) {
      if (assignment.condition === undefined || !assignment.condition.includes(`!empty(${DEPLOYER_PRINCIPAL})`)) {
        problems.push(
          `${label}: the deploying principal's assignment must be conditional on !empty(${DEPLOYER_PRINCIPAL})`,
        );
      }
      granted[DEPLOYER_PRINCIPAL].add(roleGuid);
    } else problems.push(`${label}: principalId must be ${MANAGED_IDENTITY_PRINCIPAL} or ${DEPLOYER_PRINCIPAL}`);
  }
  for (const [guid, role] of Object.entries(REQUIRED_ROLES)) {
    if (!granted[MANAGED_IDENTITY_PRINCIPAL].has(guid))
      problems.push(`missing role assignment: ${role.name} for the managed identity`);
    if (!granted[DEPLOYER_PRINCIPAL].has(guid))
      problems.push(`missing role assignment: ${role.name} for the deploying principal`);
  }
  return problems;
}

function appSettingsResource(resources: BicepResource[]): BicepResource | undefined {
  return resources.find(
    (r) => r.type.startsWith('Microsoft.Web/sites/config@') && objectProperties(r.body).get('name') === "'appsettings'",
  );
}

function checkAppSettings(resources: BicepResource[], settingNames: readonly string[]): string[] {
  const settingsResource = appSettingsResource(resources);
  const settings = settingsResource === undefined ? undefined : propertyAt(settingsResource.body, ['properties']);
  if (settings === undefined || !settings.startsWith('{')) {
    return ["app settings: no Microsoft.Web/sites/config 'appsettings' resource with an object literal"];
  }
  const values = objectProperties(settings.slice(1, -1));
  const problems: string[] = [];
  const expected = settingNames.filter((name) => !isPlatformSetting(name));
  const setByBicep = [...values.keys()].filter((name) => !isPlatformSetting(name));
  for (const name of expected) {
    if (!values.has(name)) problems.push(`app settings: keyrelay setting ${name} is not set`);
  }
  for (const name of setByBicep) {
    if (!expected.includes(name)) problems.push(`app settings: ${name} is not a setting the config schema knows`);
  }
  const platform: [string, RegExp][] = [
    ['AzureWebJobsStorage__accountName', /\S/],
    ['AzureWebJobsStorage__credential', /^'managedidentity'$/],
    ['AzureWebJobsStorage__clientId', /\S/],
    ['APPLICATIONINSIGHTS_CONNECTION_STRING', /\S/],
    ['APPLICATIONINSIGHTS_AUTHENTICATION_STRING', /^'ClientId=\$\{\w+\};Authorization=AAD'$/],
    ['AZURE_CLIENT_ID', /\S/],
  ];
  for (const [name, valuePattern] of platform) {
    const value = values.get(name);
    if (value === undefined || !valuePattern.test(value))
      problems.push(`app settings: ${name} must match ${String(valuePattern)}`);
  }
  if (values.has('AzureWebJobsStorage'))
    problems.push('app settings: AzureWebJobsStorage (a connection string) must not be set');
  if (values.get('AZURE_TENANT_ID') !== 'tenant().tenantId')
    problems.push('app settings: AZURE_TENANT_ID must be tenant().tenantId');
  return problems;
}

function resourcesOfType(resources: BicepResource[], type: string): BicepResource[] {
  return resources.filter((r) => r.type.startsWith(`${type}@`) && !r.existing);
}

function requireValue(
  resources: BicepResource[],
  type: string,
  path: readonly string[],
  expected: string,
  what: string,
): string[] {
  const matching = resourcesOfType(resources, type);
  if (matching.length === 0) return [`${what}: no ${type} resource`];
  return matching
    .filter((r) => propertyAt(r.body, path) !== expected)
    .map(
      (r) =>
        `${what}: ${r.file} ${r.symbol} must set ${path.join('.')}: ${expected} (has ${propertyAt(r.body, path) ?? 'nothing'})`,
    );
}

function checkStorage(resources: BicepResource[]): string[] {
  return requireValue(
    resources,
    'Microsoft.Storage/storageAccounts',
    ['properties', 'allowSharedKeyAccess'],
    'false',
    'storage',
  );
}

function checkKeyVault(resources: BicepResource[]): string[] {
  const vault = 'Microsoft.KeyVault/vaults';
  return [
    ...requireValue(resources, vault, ['properties', 'enableRbacAuthorization'], 'true', 'key vault'),
    ...requireValue(resources, vault, ['properties', 'enableSoftDelete'], 'true', 'key vault'),
    ...requireValue(resources, vault, ['properties', 'enablePurgeProtection'], 'true', 'key vault'),
  ];
}

function checkMonitoring(resources: BicepResource[]): string[] {
  return [
    ...(resourcesOfType(resources, 'Microsoft.OperationalInsights/workspaces').length === 0
      ? ['monitoring: no Log Analytics workspace']
      : []),
    ...requireValue(
      resources,
      'Microsoft.Insights/components',
      ['properties', 'DisableLocalAuth'],
      'true',
      'application insights',
    ),
  ];
}

function checkFunctionApp(resources: BicepResource[]): string[] {
  const site = 'Microsoft.Web/sites';
  const config = ['properties', 'functionAppConfig'];
  const problems = [
    ...requireValue(resources, 'Microsoft.Web/serverfarms', ['sku', 'name'], "'FC1'", 'plan'),
    ...requireValue(resources, 'Microsoft.Web/serverfarms', ['sku', 'tier'], "'FlexConsumption'", 'plan'),
    ...requireValue(resources, site, [...config, 'runtime', 'name'], "'node'", 'function app'),
    ...requireValue(resources, site, [...config, 'runtime', 'version'], "'22'", 'function app (Node 22)'),
    ...requireValue(resources, site, ['identity', 'type'], "'UserAssigned'", 'function app'),
    ...requireValue(resources, site, [...config, 'deployment', 'storage', 'type'], "'blobContainer'", 'function app'),
    ...requireValue(
      resources,
      site,
      [...config, 'deployment', 'storage', 'authentication', 'type'],
      "'UserAssignedIdentity'",
      'function app deployment storage',
    ),
  ];
  for (const app of resourcesOfType(resources, site)) {
    if (!/'azd-service-name'\s*:\s*'api'/.test(objectProperties(app.body).get('tags') ?? '')) {
      problems.push(`function app: ${app.symbol} must be tagged azd-service-name: 'api'`);
    }
  }
  return problems;
}

/** Routes that keep their own protection (function key) or must stay anonymous (sign-in, liveness). */
export const ROUTES_OUTSIDE_APP_SERVICE_AUTH = [
  '/api/token',
  '/api/mailboxes',
  '/api/mailboxes/*',
  '/api/connect',
  '/api/oauth/callback',
  '/api/health',
];

/** Issue 16: the status dashboard sits behind App Service Authentication (Entra, admin group only). */
function checkStatusAuthentication(resources: BicepResource[]): string[] {
  const auth = resources.find(
    (r) =>
      r.type.startsWith('Microsoft.Web/sites/config@') && objectProperties(r.body).get('name') === "'authsettingsV2'",
  );
  if (auth === undefined)
    return ['status dashboard: no Microsoft.Web/sites/config authsettingsV2 resource (App Service Authentication)'];
  const problems: string[] = [];
  const expect = (path: readonly string[], value: string) => {
    const actual = propertyAt(auth.body, ['properties', ...path]);
    if (actual !== value)
      problems.push(
        `status dashboard: authsettingsV2 must set ${path.join('.')}: ${value} (has ${actual ?? 'nothing'})`,
      );
  };
  expect(['platform', 'enabled'], 'true');
  expect(['globalValidation', 'requireAuthentication'], 'true');
  expect(['globalValidation', 'unauthenticatedClientAction'], "'RedirectToLoginPage'");
  expect(['identityProviders', 'azureActiveDirectory', 'enabled'], 'true');
  expect(['httpSettings', 'requireHttps'], 'true');
  const excluded = [
    ...(propertyAt(auth.body, ['properties', 'globalValidation', 'excludedPaths']) ?? '').matchAll(/'([^']*)'/g),
  ].map((match) => match[1] ?? '');
  for (const route of ROUTES_OUTSIDE_APP_SERVICE_AUTH) {
    if (!excluded.includes(route))
      problems.push(`status dashboard: authsettingsV2 must exclude ${route} (function key or anonymous)`);
  }
  for (const path of excluded.filter((candidate) => !ROUTES_OUTSIDE_APP_SERVICE_AUTH.includes(candidate))) {
    problems.push(`status dashboard: authsettingsV2 must not exclude ${path}`);
  }
  const groups = propertyAt(auth.body, [
    'properties',
    'identityProviders',
    'azureActiveDirectory',
    'validation',
    'defaultAuthorizationPolicy',
    'allowedPrincipals',
    'groups',
  ]);
  if (groups === undefined || !/\w/.test(groups.replace(/[[\]\s]/g, ''))) {
    problems.push('status dashboard: authsettingsV2 must allow only the admin group (allowedPrincipals.groups)');
  }
  return problems;
}

function checkAppRegistration(files: Readonly<Record<string, string>>, resources: BicepResource[]): string[] {
  const problems: string[] = [];
  const graphResources = resources.filter((r) => r.type.startsWith('Microsoft.Graph/'));
  const graphFiles = new Set(graphResources.map((r) => r.file));
  for (const file of graphFiles) {
    if (!/^\s*extension\s+microsoftGraphV1\s*$/m.test(blankComments(files[file] ?? ''))) {
      problems.push(`${file}: uses Microsoft.Graph resources without \`extension microsoftGraphV1\``);
    }
  }
  const config = files['infra/bicepconfig.json'];
  let extension: unknown;
  try {
    extension = (JSON.parse(config ?? '{}') as { extensions?: Record<string, unknown> }).extensions?.microsoftGraphV1;
  } catch {
    problems.push('infra/bicepconfig.json is not valid JSON');
  }
  if (typeof extension !== 'string' || !GRAPH_EXTENSION.test(extension)) {
    problems.push('infra/bicepconfig.json: extensions.microsoftGraphV1 must be a pinned microsoftgraph/v1.0 version');
  }
  const applications = graphResources.filter((r) => r.type.startsWith('Microsoft.Graph/applications@') && !r.existing);
  if (applications.length !== 1)
    return [...problems, 'app registration: expected exactly one Microsoft.Graph/applications resource'];
  const app = applications[0] as BicepResource;
  if (objectProperties(app.body).get('signInAudience') !== "'AzureADMultipleOrgs'") {
    problems.push('app registration: signInAudience must be AzureADMultipleOrgs');
  }
  if (
    !/\/api\/oauth\/callback'$/.test(
      blankComments(files['infra/main.bicep'] ?? '')
        .match(/redirectUri:\s*(.+)/)?.[1]
        ?.trim() ?? '',
    )
  ) {
    problems.push('app registration: main.bicep must pass redirectUri ending in /api/oauth/callback');
  }
  const requiredAccess = objectProperties(app.body).get('requiredResourceAccess') ?? '';
  if (/'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'/i.test(requiredAccess)) {
    problems.push('app registration: permission ids must be looked up by value, not typed');
  }
  for (const scope of ["'SMTP.Send'", "'Mail.Send'", "'offline_access'", "'openid'", "'profile'"]) {
    if (!blankComments(files[app.file] ?? '').includes(scope))
      problems.push(`app registration: delegated scope ${scope} is not requested`);
  }
  if (/passwordCredentials|secretText/.test(blankComments(files[app.file] ?? ''))) {
    problems.push('app registration: client secrets must not be created in Bicep (setup writes them to Key Vault)');
  }
  const grants = graphResources.filter((r) => r.type.startsWith('Microsoft.Graph/appRoleAssignedTo@'));
  for (const role of ['Application.ReadWrite.OwnedBy', 'Policy.Read.All']) {
    const lookedUp = new RegExp(`filter\\(\\w+\\.appRoles,.*'${role.replaceAll('.', '\\.')}'\\)`);
    if (!grants.some((g) => lookedUp.test(objectProperties(g.body).get('appRoleId') ?? ''))) {
      problems.push(`app registration: ${role} must be granted with its id looked up by value`);
    }
  }
  if (
    !/relationships\s*:\s*\[\s*managedIdentityPrincipalId\s*\]/.test(objectProperties(app.body).get('owners') ?? '')
  ) {
    problems.push('app registration: the managed identity must be the owner');
  }
  return [...problems, ...checkFederatedCredential(files, graphResources)];
}

/**
 * DESIGN §2: the deployed app is secretless. Its federated credential names the managed identity (subject =
 * its object id, issuer = the tenant's v2.0 issuer of this cloud) and the setting says `federated`.
 */
function checkFederatedCredential(files: Readonly<Record<string, string>>, graphResources: BicepResource[]): string[] {
  const problems: string[] = [];
  const credentials = graphResources.filter(
    (r) => r.type.startsWith('Microsoft.Graph/applications/federatedIdentityCredentials@') && !r.existing,
  );
  const credential = credentials[0];
  if (credentials.length !== 1 || credential === undefined) {
    return [
      'federated credential: expected exactly one Microsoft.Graph/applications/federatedIdentityCredentials resource',
    ];
  }
  const properties = objectProperties(credential.body);
  if (properties.get('subject') !== 'managedIdentityPrincipalId') {
    problems.push(
      "federated credential: subject must be the managed identity's object id (managedIdentityPrincipalId)",
    );
  }
  const issuer = properties.get('issuer') ?? '';
  if (
    !issuer.includes('environment().authentication.loginEndpoint') ||
    !issuer.includes('tenant().tenantId') ||
    !issuer.endsWith("/v2.0'")
  ) {
    problems.push(
      "federated credential: issuer must be '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'",
    );
  }
  if (!/^\[\s*federatedTokenAudience\s*\]$/.test(properties.get('audiences') ?? '')) {
    problems.push('federated credential: audiences must be [federatedTokenAudience]');
  }
  const main = blankComments(files['infra/main.bicep'] ?? '');
  if (!/param\s+oauthClientCredential\s+string\s*=\s*'federated'/.test(main)) {
    problems.push("infra/main.bicep: oauthClientCredential must default to 'federated'");
  }
  return problems;
}

function checkAzureYaml(text: string | undefined): string[] {
  if (text === undefined) return ['azure.yaml is missing'];
  const problems: string[] = [];
  const code = text.replace(/#.*$/gm, '');
  if (!/^name:\s*keyrelay\s*$/m.test(code)) problems.push('azure.yaml: name must be keyrelay');
  if (!/^ {2}api:\s*$(\n {4}.*)*\n {4}host:\s*function\s*$/m.test(code))
    problems.push('azure.yaml: service api must have host: function');
  if (!/^ {2}postprovision:[\s\S]*run:\s*npm run setup\s*$/m.test(code))
    problems.push('azure.yaml: postprovision hook must run `npm run setup`');
  return problems;
}
