// The Key Vault that holds every secret the app uses: Teams Incoming Webhook URLs and Outgoing Webhook
// security tokens, and the key that wraps the subscriptions' URL keys. RBAC only (no access policies), soft delete with purge protection, and the secrets are
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

@description('Name of the RSA key that wraps the subscriptions\' URL keys (envelope encryption, docs/subscriptions.md).')
param subscriptionsKeyName string = 'subscriptions-url-key'

@secure()
@description('Channel name to Teams Incoming Webhook URL. Each becomes the secret teams-webhook-<name>.')
param teamsWebhooks object

@secure()
@description('Outgoing Webhook name to its security token. Each becomes the secret teams-outgoing-token-<name>.')
param teamsOutgoingTokens object

// Public network access stays on, also when main.bicep's vnetEnabled puts the app in a virtual network:
// azd's hooks and the documented `az keyvault secret ...` commands run on the deployer's machine, outside
// that network, and the app resolves its Key Vault references through its identity, which RBAC
// restricts to reading secrets. A private vault would need a private endpoint and a deployer inside
// the network (or a jump host) for every secret change.
resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // checkov:skip=CKV_AZURE_109: the vault stays on its public endpoint with RBAC only, also with vnetEnabled, because the deployer's machine (azd hooks, az keyvault secret commands) must reach it
  // checkov:skip=CKV_AZURE_189: the deployer's machine and, without vnetEnabled, the app's Key Vault references reach the vault over its public endpoint; access is RBAC-only
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

// Envelope encryption of the subscriptions' webhook URLs: each URL is sealed with its own AES key,
// which the app wraps and unwraps with this RSA key through its identity (Key Vault Crypto User on
// this key only, rbac.bicep). The key never leaves the vault; the table holds wrapped keys only.
// Rotated yearly: a new version wraps new keys, and each row names the version that wrapped it.
resource subscriptionsKey 'Microsoft.KeyVault/vaults/keys@2023-07-01' = {
  // checkov:skip=CKV_AZURE_40: the rotation policy below makes a new version every year; an expiry on the key would stop the app from unwrapping the keys of existing subscriptions
  // checkov:skip=CKV_AZURE_112: the vault is the standard SKU (HSM-backed keys need Premium); this software-protected key only wraps per-URL data keys and never leaves the vault
  parent: vault
  name: subscriptionsKeyName
  properties: {
    kty: 'RSA'
    keySize: 3072
    keyOps: [
      'wrapKey'
      'unwrapKey'
    ]
    rotationPolicy: {
      attributes: {
        expiryTime: 'P2Y'
      }
      lifetimeActions: [
        {
          trigger: {
            timeAfterCreate: 'P1Y'
          }
          action: {
            type: 'rotate'
          }
        }
      ]
    }
  }
}

output name string = vault.name
output subscriptionsKeyName string = subscriptionsKey.name
@description('The key\'s versionless identifier: the app wraps with its current version.')
output subscriptionsKeyUri string = subscriptionsKey.properties.keyUri
output id string = vault.id
