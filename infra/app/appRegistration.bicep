// Optional (main.bicep `createAppRegistration`): the Entra ID app registration that the seed's manual
// makes an admin click together in the portal. Needs a deploying principal allowed to create
// applications and grant app roles (e.g. Privileged Role Administrator, or Application.ReadWrite.All +
// AppRoleAssignment.ReadWrite.All). The app gets keyrelay's managed identity as its federated identity
// credential (DESIGN §2, `OAUTH_CLIENT_CREDENTIAL=federated`): no secret exists. A client secret cannot be created in Bicep (the Graph extension
// does not support addPassword, and a template output would leak it into deployment history):
// `npm run setup` creates it and writes it straight into Key Vault.
extension microsoftGraphV1

@description('Alternate key of the application: redeploying with the same value updates the same registration.')
param uniqueName string
param displayName string
@description('Web redirect URI: https://<function app host>/api/oauth/callback.')
param redirectUri string
@description('Object id of keyrelay\'s managed identity (its service principal).')
param managedIdentityPrincipalId string
@description('Audience of the identity\'s token that Entra accepts as the app\'s client assertion.')
param federatedTokenAudience string

var exchangeOnlineAppId = '00000002-0000-0ff1-ce00-000000000000' // Office 365 Exchange Online
var graphAppId = '00000003-0000-0000-c000-000000000000' // Microsoft Graph

// SMTP XOAUTH2 needs Exchange's delegated SMTP.Send; Graph Mail.Send only covers Graph sendMail (DESIGN §1).
var exchangeDelegatedScopes = ['SMTP.Send']
var graphDelegatedScopes = ['Mail.Send', 'offline_access', 'openid', 'profile']

resource exchangeOnline 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: exchangeOnlineAppId
}

resource graph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: graphAppId
}

// Permission ids are looked up by value in the tenant; `[0]` fails the deployment loudly if one is missing.
resource app 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  signInAudience: 'AzureADMultipleOrgs'
  web: {
    redirectUris: [redirectUri]
  }
  requiredResourceAccess: [
    {
      resourceAppId: exchangeOnlineAppId
      resourceAccess: map(exchangeDelegatedScopes, scopeValue => {
        id: filter(exchangeOnline.oauth2PermissionScopes, scope => scope.value == scopeValue)[0].id
        type: 'Scope'
      })
    }
    {
      resourceAppId: graphAppId
      resourceAccess: map(graphDelegatedScopes, scopeValue => {
        id: filter(graph.oauth2PermissionScopes, scope => scope.value == scopeValue)[0].id
        type: 'Scope'
      })
    }
  ]
  // Owner + Application.ReadWrite.OwnedBy = least privilege for addPassword/removePassword (DESIGN §6).
  owners: {
    relationships: [managedIdentityPrincipalId]
  }
}

// Managed identity as federated credential (GA 2025): issuer = the tenant's v2.0 issuer, subject = the
// identity's object id; identity and app registration must be in the same tenant.
resource managedIdentityCredential 'Microsoft.Graph/applications/federatedIdentityCredentials@v1.0' = {
  name: '${app.uniqueName}/keyrelay-managed-identity'
  description: 'keyrelay\'s user-assigned managed identity signs in as this app (no client secret).'
  issuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
  subject: managedIdentityPrincipalId
  audiences: [federatedTokenAudience]
}

// The home-tenant service principal: admin consent and the client-credentials check after a rotation need it.
resource appServicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: app.appId
}

resource ownedByGrant 'Microsoft.Graph/appRoleAssignedTo@v1.0' = {
  resourceId: graph.id
  appRoleId: filter(graph.appRoles, role => role.value == 'Application.ReadWrite.OwnedBy')[0].id
  principalId: managedIdentityPrincipalId
}

// Policy.Read.All: the rotation reads the tenant's cap on password lifetimes before asking for a new secret.
resource policyReadGrant 'Microsoft.Graph/appRoleAssignedTo@v1.0' = {
  resourceId: graph.id
  appRoleId: filter(graph.appRoles, role => role.value == 'Policy.Read.All')[0].id
  principalId: managedIdentityPrincipalId
}

output appId string = app.appId
output objectId string = app.id
output servicePrincipalId string = appServicePrincipal.id
