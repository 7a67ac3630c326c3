// The Flex Consumption plan (FC1) and the Linux function app. Code comes from a blob container that the
// platform reads with the app's user-assigned identity; every connection the host makes (storage,
// Application Insights, Key Vault references) uses that identity, so no key or connection secret is stored.

@description('Name of the function app.')
param name string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Azure region.')
param location string

@description('Tags for the resources.')
param tags object

@description('azd service name (azure.yaml) the app is tagged with, so `azd deploy` finds it.')
param serviceName string = 'api'

@description('Resource id of the user-assigned identity.')
param identityId string

@description('Client id of the user-assigned identity.')
param identityClientId string

@description('Storage account for host state and the deployment package.')
param storageAccountName string

@description('Blob container holding the deployment package.')
param deploymentContainerName string

@description('Application Insights component the app sends telemetry to.')
param applicationInsightsName string

@description('Python version of the worker.')
@allowed([
  '3.11'
  '3.12'
])
param pythonVersion string = '3.11'

@description('Memory of each instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Most instances each function group scales out to: the HTTP functions together, the retry queue function, and each timer function on its own (Flex Consumption per-function scaling).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Spread instances over availability zones. The region must offer zone-redundant Flex Consumption, the storage account must be zone-redundant (main.bicep passes Standard_ZRS), and every function group keeps at least two always-ready instances.')
param zoneRedundant bool = false

@description('Instances kept warm for the HTTP functions (the "http" group).')
@minValue(0)
@maxValue(20)
param httpAlwaysReadyInstances int = 1

@description('Subnet for outbound VNet integration (delegated to Microsoft.App/environments). Empty: none.')
param virtualNetworkSubnetId string = ''

@description('The app\'s own settings ({name, value} pairs), built in main.bicep.')
param appSettings array

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// Settings the Functions host reads. Identity-based host storage: the blob, queue and table service
// addresses are built from the cloud's own storage suffix (environment().suffixes.storage), so the
// app works in sovereign clouds too; with only an account name the host assumes the public cloud.
// Application Insights authenticates with Entra ID because local auth is off.
var storageSuffix = environment().suffixes.storage
var platformSettings = [
  {
    name: 'AzureWebJobsStorage__blobServiceUri'
    value: 'https://${storage.name}.blob.${storageSuffix}'
  }
  {
    name: 'AzureWebJobsStorage__queueServiceUri'
    value: 'https://${storage.name}.queue.${storageSuffix}'
  }
  {
    name: 'AzureWebJobsStorage__tableServiceUri'
    value: 'https://${storage.name}.table.${storageSuffix}'
  }
  {
    name: 'AzureWebJobsStorage__credential'
    value: 'managedidentity'
  }
  {
    name: 'AzureWebJobsStorage__clientId'
    value: identityClientId
  }
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
    value: applicationInsights.properties.ConnectionString
  }
  {
    name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
    value: 'ClientId=${identityClientId};Authorization=AAD'
  }
]

// Zone redundancy on Flex Consumption keeps at least two always-ready instances in every function
// group (Microsoft Learn, "Reliability in Azure Functions", availability zone support): asking for
// fewer in the "http" group would not be honoured, so the template asks for what will be billed.
var httpAlwaysReady = zoneRedundant ? max(2, httpAlwaysReadyInstances) : httpAlwaysReadyInstances

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  // checkov:skip=CKV_AZURE_225: zone redundancy is the zoneRedundant parameter, off by default because it bills two always-ready instances per function group and the retry queue rides out a zone outage
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
    zoneRedundant: zoneRedundant
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  // checkov:skip=CKV_AZURE_222: Teams and the systems that post alerts call the app over the internet; function keys and the Outgoing Webhook HMAC authenticate them
  // checkov:skip=CKV_AZURE_17: Teams and webhook senders (Azure Monitor, Alertmanager, GitHub) cannot present client certificates
  // checkov:skip=CKV_AZURE_212: Flex Consumption has no fixed instance count: it scales per demand and keeps httpAlwaysReadyInstances warm
  // checkov:skip=CKV_AZURE_213: the platform health check is not available on Flex Consumption; /api/health serves monitoring instead
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': serviceName
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    publicNetworkAccess: 'Enabled'
    keyVaultReferenceIdentity: identityId
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: concat(platformSettings, appSettings)
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        // A cold start plus the Outgoing Webhook's 4-second command budget can miss Teams' 5 seconds.
        alwaysReady: (httpAlwaysReady > 0) ? [
          {
            name: 'http'
            instanceCount: httpAlwaysReady
          }
        ] : []
      }
      runtime: {
        name: 'python'
        version: pythonVersion
      }
    }
  }
}

// Deployments go through the blob container with Entra ID; publishing with a user name and password
// (FTP, the SCM basic auth endpoint) stays off.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
output url string = 'https://${site.properties.defaultHostName}'
