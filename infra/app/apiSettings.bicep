// App settings of the keyrelay Function App: exactly the settings of DESIGN §4 (src/shared/config.ts
// SETTING_NAMES, checked by tests/unit/infra) plus the Functions platform connections, all identity-based.
// This resource replaces the whole settings collection on every deployment: change settings here, not in
// the portal.
param functionAppName string
param identityClientId string
param storageAccountName string
param storageBlobEndpoint string
param storageQueueEndpoint string
param storageTableEndpoint string
param applicationInsightsConnectionString string
param keyVaultUri string
param publicBaseUrl string
param oauthClientId string
param oauthTenant string
param oauthClientCredential string
param federatedTokenAudience string
param oauthClientSecretName string
param allowedTenants string
param connectAttemptsPerClientPerHour string
param connectAttemptsPerTenantPerHour string
param maxMailboxesPerTenant string
param allowedReturnUrls string
param authorityHost string
param graphEndpoint string
param monitorSchedule string
param alertThresholdsDays string
param alertRecipients string
param alertSender string
param alertMailAuth string
@secure()
param alertWebhookUrl string
param alertLocale string
param alertTimeZone string
param smtpEndpoint string
param rotationMode string
param rotationLeadDays string
param rotationOverlapDays string

resource api 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: api
  name: 'appsettings'
  properties: {
    // Functions platform: host storage through the managed identity (no shared key exists).
    AzureWebJobsStorage__accountName: storageAccountName
    AzureWebJobsStorage__blobServiceUri: storageBlobEndpoint
    AzureWebJobsStorage__queueServiceUri: storageQueueEndpoint
    AzureWebJobsStorage__tableServiceUri: storageTableEndpoint
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
    // DefaultAzureCredential picks the user-assigned identity only when told its client id.
    AZURE_CLIENT_ID: identityClientId

    // keyrelay (DESIGN §4)
    KEY_VAULT_URL: keyVaultUri
    OAUTH_CLIENT_ID: oauthClientId
    OAUTH_TENANT: oauthTenant
    AZURE_TENANT_ID: tenant().tenantId
    OAUTH_CLIENT_CREDENTIAL: oauthClientCredential
    FEDERATED_TOKEN_AUDIENCE: federatedTokenAudience
    OAUTH_CLIENT_SECRET_NAME: oauthClientSecretName
    ALLOWED_TENANTS: allowedTenants
    CONNECT_ATTEMPTS_PER_CLIENT_PER_HOUR: connectAttemptsPerClientPerHour
    CONNECT_ATTEMPTS_PER_TENANT_PER_HOUR: connectAttemptsPerTenantPerHour
    MAX_MAILBOXES_PER_TENANT: maxMailboxesPerTenant
    PUBLIC_BASE_URL: publicBaseUrl
    ALLOWED_RETURN_URLS: allowedReturnUrls
    AZURE_AUTHORITY_HOST: authorityHost
    GRAPH_ENDPOINT: graphEndpoint
    MONITOR_SCHEDULE: monitorSchedule
    ALERT_THRESHOLDS_DAYS: alertThresholdsDays
    ALERT_RECIPIENTS: alertRecipients
    ALERT_SENDER: alertSender
    ALERT_MAIL_AUTH: alertMailAuth
    ALERT_WEBHOOK_URL: alertWebhookUrl
    ALERT_LOCALE: alertLocale
    ALERT_TIME_ZONE: alertTimeZone
    SMTP_ENDPOINT: smtpEndpoint
    ROTATION_MODE: rotationMode
    ROTATION_LEAD_DAYS: rotationLeadDays
    ROTATION_OVERLAP_DAYS: rotationOverlapDays
  }
}
