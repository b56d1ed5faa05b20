// App Service Authentication (Easy Auth) in front of the status dashboard (issue 16): a browser must sign
// in with Entra ID and be a member of the admin group before any request reaches /api/status. The
// product's JSON API keeps its function key (/api/token, /api/mailboxes) and the sign-in routes stay
// anonymous (/api/connect, /api/oauth/callback, /api/health), so they are excluded. The app registration
// named here must have the redirect URI https://<host>/.auth/login/aad/callback, issue ID tokens and emit
// group claims (groupMembershipClaims: SecurityGroup); docs/deploy.md has the steps.
param functionAppName string
param tenantId string
@description('Client id of the app registration admins sign in with (the keyrelay app registration).')
param clientId string
@description('Object id of the Entra group whose members may open the status dashboard.')
param adminGroupObjectId string

resource api 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource authSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: api
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'RedirectToLoginPage'
      redirectToProvider: 'azureactivedirectory'
      excludedPaths: [
        '/api/token'
        '/api/mailboxes'
        '/api/mailboxes/*'
        '/api/connect'
        '/api/oauth/callback'
        '/api/health'
      ]
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenantId}/v2.0'
          clientId: clientId
        }
        validation: {
          defaultAuthorizationPolicy: {
            allowedPrincipals: {
              groups: [
                adminGroupObjectId
              ]
            }
          }
        }
      }
    }
    httpSettings: {
      requireHttps: true
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
  }
}
