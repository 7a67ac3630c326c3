"""App Service authentication for the configuration page, as infra/ deploys it (read with pycep)."""

from typing import Any

from tests.support.infra.bicep import (
    MAIN,
    accessor_path,
    module_call,
    parse_infra,
    resource_body,
    resources_of_type,
)

AUTH_MODULE = "app/auth.bicep"


def auth_settings() -> dict[str, Any]:
    tree = parse_infra()[AUTH_MODULE]
    (config,) = resources_of_type(tree, "Microsoft.Web/sites/config").values()
    body = resource_body(config)
    assert body["name"] == "authsettingsV2"
    properties: dict[str, Any] = body["properties"]
    return properties


def test_sign_in_is_entra_id_of_this_tenant_with_the_registrations_client_id() -> None:
    entra = auth_settings()["identityProviders"]["azureActiveDirectory"]
    assert entra["enabled"] is True
    assert entra["registration"]["clientId"] == "clientId"
    assert entra["registration"]["openIdIssuer"] == (
        "${environment().authentication.loginEndpoint}${tenantId}/v2.0"
    )


def test_anonymous_requests_reach_the_app_so_notify_keeps_its_function_keys() -> None:
    validation = auth_settings()["globalValidation"]
    assert validation["requireAuthentication"] is False
    assert validation["unauthenticatedClientAction"] == "AllowAnonymous"
    assert auth_settings()["platform"]["enabled"] is True


def test_no_client_secret_the_apps_identity_signs_in() -> None:
    registration = auth_settings()["identityProviders"]["azureActiveDirectory"]["registration"]
    assert registration["clientSecretSettingName"] == "OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID"
    assert "clientSecret" not in registration


def test_main_deploys_it_only_with_a_client_id() -> None:
    main = parse_infra()[MAIN]
    assert main["parameters"]["connectClientId"]["default"] == ""
    # A conditional module: pycep puts its condition beside its config.
    call = module_call(main, AUTH_MODULE)
    condition = call["condition"]["operator"]
    assert condition["type"] == "not"
    assert condition["operands"]["bool_value"]["function"] == {
        "type": "empty",
        "parameters": {"item_to_test": "connectClientId"},
    }
    params = call["config"]["params"]
    assert accessor_path(params["appName"]) == ["functionApp", "outputs", "name"]
    assert params["clientId"] == "connectClientId"
