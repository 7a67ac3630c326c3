// The Key Vault that holds every secret the app uses: Teams Incoming Webhook URLs and Outgoing Webhook
// security tokens. RBAC only (no access policies), soft delete with purge protection, and the secrets are
// written from @secure() parameters so no value ever appears in a template, a deployment log or an output.

@description('Name of the Key Vault (3-24 characters).')
param name string

@description('Azure region.')
param location string

@description('Tags for the resources.')
param tags object

@description('Days a deleted vault or secret can be recovered. With purge protection it cannot be purged sooner.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 90

@secure()
@description('Channel name to Teams Incoming Webhook URL. Each becomes the secret teams-webhook-<name>.')
param teamsWebhooks object

@secure()
@description('Outgoing Webhook name to its security token. Each becomes the secret teams-outgoing-token-<name>.')
param teamsOutgoingTokens object

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // checkov:skip=CKV_AZURE_109: without VNet integration the Flex Consumption app has no fixed outbound address to allow; access is RBAC-only
  // checkov:skip=CKV_AZURE_189: Key Vault references from an app without VNet integration need the public endpoint; access is RBAC-only
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource webhookSecrets 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [for channel in items(teamsWebhooks): {
  // checkov:skip=CKV_AZURE_41: Teams webhook URLs do not expire; an expiry date would silently stop delivery to the channel
  parent: vault
  name: 'teams-webhook-${channel.key}'
  properties: {
    value: channel.value
    contentType: 'Teams Incoming Webhook URL'
  }
}]

resource outgoingTokenSecrets 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [for webhook in items(teamsOutgoingTokens): {
  // checkov:skip=CKV_AZURE_41: Teams Outgoing Webhook tokens never expire; an expiry date would silently disable the webhook
  parent: vault
  name: 'teams-outgoing-token-${webhook.key}'
  properties: {
    value: webhook.value
    contentType: 'Teams Outgoing Webhook security token (base64)'
  }
}]

output name string = vault.name
output id string = vault.id
