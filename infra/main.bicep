// Deploys the Teams notification function app with `azd up`: a resource group holding a Flex Consumption
// function app, its user-assigned identity, storage (deployment package, retry queues), a Key Vault for
// the Teams secrets, and monitoring. This file also maps every setting the code reads to a parameter;
// tests/test_infra_settings.py keeps that mapping equal to what the code reads.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; it seeds the unique suffix of every resource name.')
param environmentName string

@minLength(1)
@description('Azure region for all resources; it must offer the Flex Consumption plan. The list is the regions that offered it when this was written (Azure-Samples/functions-quickstart-python-http-azd, infra/main.bicep); `az functionapp list-flexconsumption-locations` gives today\'s list, and a region added since can be added here.')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Principal id of the person (or CI identity) running azd, given Key Vault Secrets Officer on the vault. Empty: none.')
param principalId string = ''

@description('Kind of principal in principalId.')
@allowed([
  'User'
  'ServicePrincipal'
])
param principalType string = 'User'

// ---- Secrets: written to Key Vault, referenced by the app settings, never output ----
// Both default to {} so that a first `azd up` needs no channel: azd prompts for a required object
// parameter left unset and, for a @secure() one, then fails with "tried to set a non-string as
// secret" (Azure/azure-dev#3902). With no channel the app starts and /api/health reports 0 channels.

@secure()
@description('Channel name (lower-case letters, digits, hyphens) to its Teams Incoming Webhook URL, e.g. {"devops-alerts": "https://..."}. {} (the default) for none yet.')
param teamsWebhooks object = {}

@secure()
@description('Outgoing Webhook name to the security token Teams showed when it was created, e.g. {"team-a": "base64..."}. {} (the default) for none.')
param teamsOutgoingTokens object = {}

// ---- Plain settings ----

@description('Outgoing Webhook name to the comma-separated channels its `send` command may post to, e.g. {"team-a": "devops-alerts"}. {} for none.')
param teamsOutgoingSend object = {}

@description('Channel used by /api/notify when the request names none. Empty: a channel is required.')
param defaultChannel string = ''

@description('Seconds the HTTP trigger spends delivering (with retries) before it queues the message and answers 202.')
@minValue(1)
@maxValue(60)
param deliveryBudgetSeconds int = 8

@description('Seconds the retry-queue function spends on one redelivery attempt.')
@minValue(1)
@maxValue(110)
param redeliveryBudgetSeconds int = 5

@description('Seconds a notification key (Idempotency-Key header, or the key a template declares) suppresses a repeat to the same channel. 0 turns duplicate suppression off.')
@minValue(0)
@maxValue(604800)
param duplicateWindowSeconds int = 600

@description('Channel that gets an "undeliverable notification" card for each dead letter (a message every redelivery failed on). Empty: dead letters are only kept and counted.')
param deadLetterChannel string = ''

@description('Most messages one notification is split into; the last part says how many items were left out.')
@minValue(1)
@maxValue(100)
param maxParts int = 10

@description('Seconds an Outgoing Webhook command may run before the endpoint answers that it took too long (Teams waits 5).')
@minValue(1)
@maxValue(4)
param outgoingDeadlineSeconds int = 4

@description('Seconds an Outgoing Webhook activity timestamp may differ from now before the request is rejected as a replay.')
@minValue(30)
@maxValue(3600)
param outgoingReplayWindowSeconds int = 300

@description('Comma-separated hosts that scheduled notifications may fetch their data from, besides Open-Meteo\'s two (the subscribable weather updates) which are always allowed.')
param sourceAllowHosts string = ''

@description('enabled_by settings (from shared/schedules.json) to turn on; each is set to "true". Names not in scheduleSwitches are ignored.')
param enabledSchedules array = []

// ---- Capacity ----

@description('Python version of the function app. The code needs 3.11 or later (datetime.UTC, enum.StrEnum; pyproject requires-python) and is type-checked for 3.11 and 3.12: exactly those are allowed.')
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

@description('Most instances of each function group: Flex Consumption scales the HTTP functions (one group), the retry queue function and each timer function separately, so the app as a whole can run up to this many per group. Each instance limits its own sends per webhook, so fewer instances means fewer bursts against Teams\' per-webhook limits.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Always-ready instances for the HTTP functions, so the Outgoing Webhook answers within Teams\' 5 seconds without a cold start. 0 saves the cost.')
@minValue(0)
@maxValue(20)
param httpAlwaysReadyInstances int = 1

@description('Put the app in a virtual network: outbound VNet integration, private endpoints for the storage account (blob, queue, table) and storage\'s public endpoint off. The app itself stays reachable from the internet (Teams and the senders call it), and so does Key Vault (app/keyvault.bicep says why).')
param vnetEnabled bool = false

@description('Spread the app over availability zones, where the region supports it for Flex Consumption. It makes the storage account zone-redundant (Standard_ZRS) and keeps at least two always-ready instances in every function group, billed as such.')
param zoneRedundant bool = false

// ---- Configuration page (docs/connect.md) ----

@description('Application (client) id of the Entra ID app registration people sign in with to the configuration page (/api/connect). Empty: no App Service authentication, and the page answers 404.')
param connectClientId string = ''

// ---- Key Vault name ----

@description('Appended to the Key Vault name. Empty by default; set it (e.g. "2") only to start over with a new vault instead of recovering the soft-deleted one after `azd down` (docs/deploy.md).')
@maxLength(8)
param keyVaultNameSuffix string = ''

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = '${abbrs.webSitesFunctions}${resourceToken}'
// kv- and the 13-character token leave room for a suffix of up to 8 within Key Vault's 24.
var keyVaultName = '${abbrs.keyVaultVaults}${resourceToken}${keyVaultNameSuffix}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'

// ---- App settings: everything the code reads in production ----

// TEAMS_WEBHOOK_<NAME>: channel devops-alerts -> TEAMS_WEBHOOK_DEVOPS_ALERTS -> secret teams-webhook-devops-alerts.
var webhookSettings = [for channel in items(teamsWebhooks): {
  name: 'TEAMS_WEBHOOK_${toUpper(replace(channel.key, '-', '_'))}'
  value: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=teams-webhook-${channel.key})'
}]

// TEAMS_OUTGOING_TOKEN_<NAME>: webhook team-a -> TEAMS_OUTGOING_TOKEN_TEAM_A -> secret teams-outgoing-token-team-a.
var outgoingTokenSettings = [for webhook in items(teamsOutgoingTokens): {
  name: 'TEAMS_OUTGOING_TOKEN_${toUpper(replace(webhook.key, '-', '_'))}'
  value: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=teams-outgoing-token-${webhook.key})'
}]

var outgoingSendSettings = [for webhook in items(teamsOutgoingSend): {
  name: 'TEAMS_OUTGOING_SEND_${toUpper(replace(webhook.key, '-', '_'))}'
  value: webhook.value
}]

var budgetSettings = [
  {
    name: 'TEAMS_DELIVERY_BUDGET_SECONDS'
    value: string(deliveryBudgetSeconds)
  }
  {
    name: 'TEAMS_REDELIVERY_BUDGET_SECONDS'
    value: string(redeliveryBudgetSeconds)
  }
  {
    name: 'TEAMS_MAX_PARTS'
    value: string(maxParts)
  }
  {
    name: 'TEAMS_OUTGOING_DEADLINE_SECONDS'
    value: string(outgoingDeadlineSeconds)
  }
  {
    name: 'TEAMS_OUTGOING_REPLAY_WINDOW_SECONDS'
    value: string(outgoingReplayWindowSeconds)
  }
]

var stateSettings = concat([
  {
    name: 'TEAMS_DUPLICATE_WINDOW_SECONDS'
    value: string(duplicateWindowSeconds)
  }
], empty(deadLetterChannel) ? [] : [
  {
    name: 'TEAMS_DEADLETTER_CHANNEL'
    value: deadLetterChannel
  }
])

// Left unset when empty, so the code's own default applies.
var defaultChannelSettings = empty(defaultChannel) ? [] : [
  {
    name: 'TEAMS_DEFAULT_CHANNEL'
    value: defaultChannel
  }
]

// Open-Meteo's forecast and geocoding APIs: the subscribable `weather` updates and the page's city
// lookup use them (no key). Always allowed; sourceAllowHosts adds to them.
var weatherSourceHosts = [
  'api.open-meteo.com'
  'geocoding-api.open-meteo.com'
]

var sourceAllowHostsSettings = [
  {
    name: 'SOURCE_ALLOW_HOSTS'
    value: empty(trim(sourceAllowHosts)) ? join(weatherSourceHosts, ',') : '${join(weatherSourceHosts, ',')},${sourceAllowHosts}'
  }
]

// The enabled_by settings of shared/schedules.json. A schedule stays off (its setting unset) unless
// enabledSchedules names it.
var scheduleSwitches = [
  'SCHEDULE_SERVICE_STATUS'
  'SCHEDULE_WEEKDAY_DIGEST'
]

var scheduleSettingGroups = [for setting in scheduleSwitches: contains(enabledSchedules, setting) ? [
  {
    name: setting
    value: 'true'
  }
] : []]

var scheduleSettings = flatten(scheduleSettingGroups)

// App Service authentication signs in with the app's identity as a federated credential, never a
// secret (app/auth.bicep).
var connectAuthSettings = empty(connectClientId) ? [] : [
  {
    name: 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID'
    value: identity.outputs.clientId
  }
]

var appSettings = concat(webhookSettings, outgoingTokenSettings, outgoingSendSettings, budgetSettings, stateSettings, defaultChannelSettings, sourceAllowHostsSettings, scheduleSettings, connectAuthSettings)

// ---- Resources ----

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    // Zone-redundant Flex Consumption needs zone-redundant storage for the host's state.
    skuName: zoneRedundant ? 'Standard_ZRS' : 'Standard_LRS'
    // With the virtual network the app reaches storage through private endpoints only.
    publicNetworkAccessEnabled: !vnetEnabled
  }
}

module network 'app/network.bicep' = if (vnetEnabled) {
  name: 'network'
  scope: rg
  params: {
    name: '${abbrs.networkVirtualNetworks}${resourceToken}'
    location: location
    tags: tags
    storageAccountId: storage.outputs.id
    storageAccountName: storage.outputs.name
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: keyVaultName
    location: location
    tags: tags
    teamsWebhooks: teamsWebhooks
    teamsOutgoingTokens: teamsOutgoingTokens
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    identityPrincipalId: identity.outputs.principalId
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    subscriptionsKeyName: keyVault.outputs.subscriptionsKeyName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

module functionApp 'app/function.bicep' = {
  name: 'function'
  scope: rg
  params: {
    name: functionAppName
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    pythonVersion: pythonVersion
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    httpAlwaysReadyInstances: httpAlwaysReadyInstances
    zoneRedundant: zoneRedundant
    // Outbound through the virtual network; the module output also makes the app wait for the
    // private endpoints and their DNS zones.
    virtualNetworkSubnetId: vnetEnabled ? network.outputs.appSubnetId : ''
    // The subscriptions' URL keys are wrapped with this Key Vault key (docs/subscriptions.md).
    appSettings: concat(appSettings, [
      {
        name: 'SUBSCRIPTIONS_KEY_ID'
        value: keyVault.outputs.subscriptionsKeyUri
      }
    ])
  }
  // The app resolves Key Vault references and connects to storage at start: its roles and secrets
  // must exist first.
  dependsOn: [
    keyVault
    rbac
  ]
}

// Built-in authentication for the configuration page, when an app registration is given.
module connectAuth 'app/auth.bicep' = if (!empty(connectClientId)) {
  name: 'connect-auth'
  scope: rg
  params: {
    appName: functionApp.outputs.name
    clientId: connectClientId
  }
}

// ---- Outputs (azd stores them in the environment) ----

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_URL string = functionApp.outputs.url
// Register this in Teams (Create an Outgoing Webhook), with <name> replaced by the webhook's name.
output TEAMS_OUTGOING_CALLBACK_URL_PATTERN string = '${functionApp.outputs.url}/api/teams/outgoing?webhook=<name>'
