// keyrelay on Azure: `azd up` provisions this and deploys the code (docs/deploy.md).
// Layout follows Azure-Samples/functions-quickstart-typescript-azd: a resource group per azd environment,
// a user-assigned managed identity, a Flex Consumption Function App, identity-only storage, Key Vault,
// Log Analytics + Application Insights, and role assignments in app/rbac.bicep.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; seeds the unique resource names and the azd-env-name tag.')
param environmentName string

@minLength(1)
@description('Region of every resource; must offer Flex Consumption.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the deploying user (azd sets AZURE_PRINCIPAL_ID); it gets data access for setup and doctor. Empty grants nothing.')
param principalId string = ''
@allowed(['User', 'ServicePrincipal'])
param principalType string = 'User'

@description('Create the Entra ID app registration with the Microsoft Graph Bicep extension (needs directory rights); otherwise give oauthClientId or let `npm run setup` create it.')
param createAppRegistration bool = false
@description('Client id of an existing app registration; ignored when createAppRegistration is true.')
param oauthClientId string = ''
param appRegistrationDisplayName string = 'keyrelay'

// keyrelay settings (DESIGN §4); defaults equal the config schema's.
param oauthTenant string = 'organizations'
@description('federated: keyrelay\'s managed identity is the app registration\'s federated credential, no secret exists (DESIGN §2); secret: a client secret in Key Vault. An existing app registration (oauthClientId) gets its federated credential from `npm run setup -- --federated`.')
@allowed(['federated', 'secret'])
param oauthClientCredential string = 'federated'
@description('Audience of the identity\'s token used as client assertion; empty = the cloud\'s token-exchange audience.')
param federatedTokenAudience string = ''
param oauthClientSecretName string = 'oauth-client-secret'
@description('Comma list of tenant ids whose users may connect mailboxes; empty = this tenant only. WARNING: * lets any work or school account connect.')
param allowedTenants string = ''
@description('Object id of the Entra group whose members may open the status dashboard (App Service Authentication).')
@minLength(36)
param statusAdminGroupObjectId string
@description('Abuse limits: sign-ins started per client address per hour, completed per tenant per hour, mailboxes per tenant.')
param connectAttemptsPerClientPerHour string = '30'
param connectAttemptsPerTenantPerHour string = '200'
param maxMailboxesPerTenant string = '100'
@description('Comma list of the product\'s allowed return-URL origins/prefixes.')
param allowedReturnUrls string = ''
param authorityHost string = 'https://login.microsoftonline.com'
param graphEndpoint string = 'https://graph.microsoft.com'
param monitorSchedule string = '0 0 6 * * *'
param alertThresholdsDays string = '60,30,14,7,3,1,0'
@description('Comma list of admin e-mails that receive expiry alerts.')
param alertRecipients string = ''
param alertSender string = ''
@allowed(['connected-mailbox', 'managed-identity'])
param alertMailAuth string = 'connected-mailbox'
@secure()
param alertWebhookUrl string = ''
@allowed(['it', 'en'])
param alertLocale string = 'it'
@description('IANA zone of every date and time shown to people (mails, pages, CLI).')
param alertTimeZone string = 'Europe/Rome'
@description('host:port of the SMTP submission endpoint the SMTP AUTH check tries (STARTTLS).')
param smtpEndpoint string = 'smtp.office365.com:587'
@allowed(['auto', 'alert-only'])
param rotationMode string = 'auto'
param rotationLeadDays string = '30'
param rotationOverlapDays string = '7'

@description('Seed of the Key Vault name, set anew by the postdown hook: a purge-protected vault keeps its name for 90 days after azd down, so the next azd up needs another one. Empty keeps the first name.')
param keyVaultNameSeed string = ''

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var keyVaultName = empty(keyVaultNameSeed) ? 'kv-${resourceToken}' : 'kv-${take(toLower(uniqueString(subscription().id, environmentName, location, keyVaultNameSeed)), 13)}'
var tags = { 'azd-env-name': environmentName }
var functionAppName = 'func-keyrelay-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'core/security/managed-identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-keyrelay-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'core/storage/storage-account.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
  }
}

module keyVault 'core/security/key-vault.bicep' = {
  name: 'keyVault'
  scope: rg
  params: {
    name: keyVaultName
    location: location
    tags: tags
  }
}

module monitoring 'core/monitor/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module plan 'core/host/flex-consumption-plan.bicep' = {
  name: 'plan'
  scope: rg
  params: {
    name: 'plan-${resourceToken}'
    location: location
    tags: tags
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    location: location
    tags: tags
    planId: plan.outputs.id
    identityId: identity.outputs.id
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    managedIdentityPrincipalId: identity.outputs.principalId
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
  }
}

module appRegistration 'app/appRegistration.bicep' = if (createAppRegistration) {
  name: 'appRegistration'
  scope: rg
  params: {
    uniqueName: 'keyrelay-${resourceToken}'
    displayName: appRegistrationDisplayName
    redirectUri: 'https://${api.outputs.defaultHostName}/api/oauth/callback'
    managedIdentityPrincipalId: identity.outputs.principalId
    federatedTokenAudience: effectiveFederatedTokenAudience
  }
}

var effectiveOauthClientId = createAppRegistration ? appRegistration.outputs.appId : oauthClientId
// Microsoft's token-exchange audience per cloud (public, US Gov, China), as src/shared/config.ts derives it.
var cloudTokenExchangeAudience = environment().name == 'AzureUSGovernment'
  ? 'api://AzureADTokenExchangeUSGov'
  : environment().name == 'AzureChinaCloud' ? 'api://AzureADTokenExchangeChina' : 'api://AzureADTokenExchange'
var effectiveFederatedTokenAudience = empty(federatedTokenAudience) ? cloudTokenExchangeAudience : federatedTokenAudience

// The status dashboard behind Entra sign-in, restricted to the admin group; the JSON API keeps its function key.
module apiAuth 'app/apiAuth.bicep' = {
  name: 'apiAuth'
  scope: rg
  params: {
    functionAppName: api.outputs.name
    tenantId: tenant().tenantId
    clientId: effectiveOauthClientId
    adminGroupObjectId: statusAdminGroupObjectId
  }
}

module apiSettings 'app/apiSettings.bicep' = {
  name: 'apiSettings'
  scope: rg
  params: {
    functionAppName: api.outputs.name
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.blobEndpoint
    storageQueueEndpoint: storage.outputs.queueEndpoint
    storageTableEndpoint: storage.outputs.tableEndpoint
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    keyVaultUri: keyVault.outputs.uri
    publicBaseUrl: 'https://${api.outputs.defaultHostName}'
    oauthClientId: effectiveOauthClientId
    oauthTenant: oauthTenant
    oauthClientCredential: oauthClientCredential
    federatedTokenAudience: effectiveFederatedTokenAudience
    oauthClientSecretName: oauthClientSecretName
    allowedTenants: allowedTenants
    connectAttemptsPerClientPerHour: connectAttemptsPerClientPerHour
    connectAttemptsPerTenantPerHour: connectAttemptsPerTenantPerHour
    maxMailboxesPerTenant: maxMailboxesPerTenant
    allowedReturnUrls: allowedReturnUrls
    authorityHost: authorityHost
    graphEndpoint: graphEndpoint
    monitorSchedule: monitorSchedule
    alertThresholdsDays: alertThresholdsDays
    alertRecipients: alertRecipients
    alertSender: alertSender
    alertMailAuth: alertMailAuth
    alertWebhookUrl: alertWebhookUrl
    alertLocale: alertLocale
    alertTimeZone: alertTimeZone
    smtpEndpoint: smtpEndpoint
    rotationMode: rotationMode
    rotationLeadDays: rotationLeadDays
    rotationOverlapDays: rotationOverlapDays
  }
}

// azd stores these in the environment (.azure/<env>/.env); setup and doctor read them from there.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_MANAGED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output KEY_VAULT_URL string = keyVault.outputs.uri
output PUBLIC_BASE_URL string = 'https://${api.outputs.defaultHostName}'
output OAUTH_REDIRECT_URI string = 'https://${api.outputs.defaultHostName}/api/oauth/callback'
output OAUTH_CLIENT_ID string = effectiveOauthClientId
output STORAGE_TABLE_ENDPOINT string = storage.outputs.tableEndpoint
