// The keyrelay Function App. Its app settings are applied by apiSettings.bicep, after the optional app
// registration, because the registration needs this app's host name and the settings need its client id.
param name string
param location string
param tags object = {}
param planId string
param identityId string
param storageBlobEndpoint string
param deploymentContainerName string
param instanceMemoryMB int = 2048
param maximumInstanceCount int = 100

resource api 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: planId
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }
}

output name string = api.name
output defaultHostName string = api.properties.defaultHostName
