// App Service built-in authentication (Easy Auth) with Microsoft Entra ID, for the configuration page
// (/api/connect, docs/connect.md#access). People of this tenant sign in through the platform, which
// hands the app the signed-in person in X-MS-CLIENT-PRINCIPAL-* headers and strips those headers from
// what clients send. Anonymous requests are let through to the app (unauthenticatedClientAction
// AllowAnonymous), so every other route keeps working as before: notify, render and templates keep
// their function keys, the Outgoing Webhook its HMAC, health stays anonymous. The page's own routes
// refuse a request without the platform's principal (shared/connect/access.py).
//
// No client secret: the platform signs in with a federated identity credential of the app's
// user-assigned identity (the OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID app setting, set in main.bicep),
// which the app registration must trust (docs/connect.md#deploy).

@description('Name of the function app.')
param appName string

@description('Application (client) id of the Entra ID app registration people sign in with.')
param clientId string

@description('Tenant whose people may sign in.')
param tenantId string = tenant().tenantId

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: appName
}

resource auth 'Microsoft.Web/sites/config@2024-04-01' = {
  // checkov:skip=CKV_AZURE_13: checkov reads this authsettingsV2 resource as a whole web app; the check concerns the site itself (app/function.bicep), not its authentication settings
  // checkov:skip=CKV_AZURE_63: checkov reads this authsettingsV2 resource as a whole web app; the check concerns the site itself (app/function.bicep), not its authentication settings
  // checkov:skip=CKV_AZURE_65: checkov reads this authsettingsV2 resource as a whole web app; the check concerns the site itself (app/function.bicep), not its authentication settings
  // checkov:skip=CKV_AZURE_66: checkov reads this authsettingsV2 resource as a whole web app; the check concerns the site itself (app/function.bicep), not its authentication settings
  // checkov:skip=CKV_AZURE_80: checkov reads this authsettingsV2 resource as a whole web app; the check concerns the site itself (app/function.bicep), not its authentication settings
  // checkov:skip=CKV_AZURE_88: checkov reads this authsettingsV2 resource as a whole web app; the check concerns the site itself (app/function.bicep), not its authentication settings
  // checkov:skip=CKV_AZURE_222: checkov reads this authsettingsV2 resource as a whole web app; the check concerns the site itself (app/function.bicep), not its authentication settings
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
      runtimeVersion: '~1'
    }
    globalValidation: {
      requireAuthentication: false
      unauthenticatedClientAction: 'AllowAnonymous'
      redirectToProvider: 'azureactivedirectory'
    }
    httpSettings: {
      requireHttps: true
      forwardProxy: {
        convention: 'NoProxy'
      }
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: clientId
          clientSecretSettingName: 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID'
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            'api://${clientId}'
            clientId
          ]
        }
      }
    }
    login: {
      tokenStore: {
        enabled: true
      }
      preserveUrlFragmentsForLogins: false
    }
  }
}

output enabled bool = auth.properties.platform.enabled
