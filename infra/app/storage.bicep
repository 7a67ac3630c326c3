// The function app's storage: host state (AzureWebJobsStorage), the deployment package container that
// Flex Consumption pulls code from, the retry queue with its poison queue, and the tables of the state
// every instance shares (shared/state/). Shared keys are off, so
// every access goes through Entra ID (the app's managed identity).

@description('Name of the storage account (3-24 lower-case letters and digits).')
param name string

@description('Azure region.')
param location string

@description('Tags for the resources.')
param tags object

@description('Blob container that holds the deployment package.')
param deploymentContainerName string

@description('Queue that keeps notifications whose delivery ran out of time (the app reads this name too).')
param retryQueueName string = 'notifications-retry'

@description('Replication of the account. The queues hold minutes of retries, not records: LRS is enough, ZRS when the app is zone-redundant.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param skuName string = 'Standard_LRS'

@description('Public endpoint on (the default) or off, when main.bicep\'s vnetEnabled gives the app private endpoints instead.')
param publicNetworkAccessEnabled bool = true

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_35: the network rules deny by default when vnetEnabled puts the app behind private endpoints; without it the Flex Consumption app has no fixed outbound address to allow, and shared keys are off, so only Entra identities get in
  // checkov:skip=CKV_AZURE_59: public network access is off when vnetEnabled (private endpoints); without it the app reaches storage over the public endpoint, with shared keys and anonymous blob access off
  // checkov:skip=CKV_AZURE_206: LRS by default and ZRS with zoneRedundant (skuName); geo-replication is not needed: the queues hold minutes of retries and the container a package that azd deploy rebuilds
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: publicNetworkAccessEnabled ? 'Enabled' : 'Disabled'
    networkAcls: {
      defaultAction: publicNetworkAccessEnabled ? 'Allow' : 'Deny'
      bypass: publicNetworkAccessEnabled ? 'AzureServices' : 'None'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource retryQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: retryQueueName
}

// The Functions host moves a message here after maxDequeueCount failed attempts (host.json).
resource poisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: '${retryQueueName}-poison'
}

// The state every instance shares (shared/state/store.py TABLES): Teams' rate windows per webhook,
// duplicate keys, the ledger of posted parts, dead letters, and the subscriptions made on the
// configuration page (their webhook URLs sealed, docs/subscriptions.md) with the sweeper's claims. The app's identity reads and writes
// them as Storage Table Data Contributor (rbac.bicep).
@description('Tables of the shared state (the app reads these names too).')
param stateTableNames array = [
  'teamsratewindows'
  'teamsduplicates'
  'teamsparts'
  'teamsdeadletters'
  'teamssubscriptions'
]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource stateTables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [for tableName in stateTableNames: {
  parent: tableService
  name: tableName
}]

output name string = storage.name
output id string = storage.id
output blobEndpoint string = storage.properties.primaryEndpoints.blob
