// The optional virtual network (main.bicep's vnetEnabled): the function app's outbound traffic goes
// through the "app" subnet (Flex Consumption VNet integration, delegated to Microsoft.App/environments),
// and the storage account is reached through private endpoints for blob, queue and table in the
// "private-endpoints" subnet, with a private DNS zone each so that the app's storage addresses resolve
// to those endpoints. The storage account then turns its public endpoint off (storage.bicep).
//
// Teams, Azure Monitor, GitHub and the other senders still call the app over its public HTTPS
// endpoint, and the app still posts to Teams on the internet through the subnet's outbound access.

@description('Name of the virtual network.')
param name string

@description('Azure region.')
param location string

@description('Tags for the resources.')
param tags object

@description('Resource id of the storage account the private endpoints reach.')
param storageAccountId string

@description('Name of the storage account (names the private endpoints).')
param storageAccountName string

@description('Address space of the virtual network; both subnets are carved from it.')
param addressPrefix string = '10.20.0.0/16'

@description('Subnet for the app\'s outbound VNet integration (Flex Consumption needs at least a /28; a /24 leaves room to scale).')
param appSubnetPrefix string = '10.20.1.0/24'

@description('Subnet for the storage private endpoints.')
param endpointSubnetPrefix string = '10.20.2.0/24'

// The storage services the Functions host uses: blob (host state, deployment package), queue (the
// retry queue and its poison queue), table (host bookkeeping).
var storageServices = [
  'blob'
  'queue'
  'table'
]

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: 'app'
        properties: {
          addressPrefix: appSubnetPrefix
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: 'private-endpoints'
        properties: {
          addressPrefix: endpointSubnetPrefix
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }
}

resource appSubnet 'Microsoft.Network/virtualNetworks/subnets@2024-05-01' existing = {
  parent: vnet
  name: 'app'
}

resource endpointSubnet 'Microsoft.Network/virtualNetworks/subnets@2024-05-01' existing = {
  parent: vnet
  name: 'private-endpoints'
}

// privatelink.<service>.<the cloud's storage suffix>: the same names in every Azure cloud.
resource dnsZones 'Microsoft.Network/privateDnsZones@2020-06-01' = [for service in storageServices: {
  name: 'privatelink.${service}.${environment().suffixes.storage}'
  location: 'global'
  tags: tags
}]

resource dnsLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = [for (service, i) in storageServices: {
  parent: dnsZones[i]
  name: '${name}-link'
  location: 'global'
  tags: tags
  properties: {
    registrationEnabled: false
    virtualNetwork: {
      id: vnet.id
    }
  }
}]

resource endpoints 'Microsoft.Network/privateEndpoints@2024-05-01' = [for service in storageServices: {
  name: 'pe-${storageAccountName}-${service}'
  location: location
  tags: tags
  properties: {
    subnet: {
      id: endpointSubnet.id
    }
    privateLinkServiceConnections: [
      {
        name: '${storageAccountName}-${service}'
        properties: {
          privateLinkServiceId: storageAccountId
          groupIds: [
            service
          ]
        }
      }
    ]
  }
}]

resource endpointDns 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = [for (service, i) in storageServices: {
  parent: endpoints[i]
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: service
        properties: {
          privateDnsZoneId: dnsZones[i].id
        }
      }
    ]
  }
}]

output id string = vnet.id
output appSubnetId string = appSubnet.id
