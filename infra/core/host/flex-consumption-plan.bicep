// Flex Consumption (FC1): scale to zero, per-function scaling, managed identity for every host connection.
param name string
param location string
param tags object = {}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

output id string = plan.id
