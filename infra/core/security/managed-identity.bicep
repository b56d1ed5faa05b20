// The one Azure identity of keyrelay: the Function App runs as it (storage, Key Vault, App Insights,
// Graph management calls through DefaultAzureCredential with AZURE_CLIENT_ID).
param name string
param location string
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
