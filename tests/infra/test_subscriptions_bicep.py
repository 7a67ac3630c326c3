"""The Bicep behind subscriptions: their table, the Key Vault key that wraps their URL keys (and
the one role the app's identity has on it), the setting naming that key, and Open-Meteo's hosts
allowed by default for the weather updates."""

from __future__ import annotations

from typing import Any

import pytest

from shared.schedules.entries import current_schedules
from shared.state.store import TABLES
from shared.subscriptions.crypto import KEY_ID_SETTING
from shared.subscriptions.places import FORECAST_HOST, GEOCODING_HOST
from tests.support.infra.bicep import (
    MAIN,
    Tree,
    accessor_path,
    module_call,
    parse_infra,
    resource_body,
    resources_of_type,
    site_app_settings,
)

KEY_VAULT_CRYPTO_USER = "12338af0-0e69-4776-bea7-57ae8d297424"


@pytest.fixture(scope="module")
def infra() -> dict[str, Tree]:
    return parse_infra()


def _key(infra: dict[str, Tree]) -> dict[str, Any]:
    (key,) = resources_of_type(
        infra["app/keyvault.bicep"], "Microsoft.KeyVault/vaults/keys"
    ).values()
    return resource_body(key)


def test_the_subscriptions_table_is_created(infra: dict[str, Tree]) -> None:
    tables = infra["app/storage.bicep"]["parameters"]["stateTableNames"]["default"]
    assert TABLES["subscriptions"] in tables


def test_the_key_is_rsa_for_wrapping_only_and_rotates(infra: dict[str, Tree]) -> None:
    key = _key(infra)
    assert key["parent"] == "vault"
    properties = key["properties"]
    assert properties["kty"] == "RSA"
    assert properties["keySize"] >= 3072
    # Wrap and unwrap only: the app can neither sign nor encrypt data with it.
    assert sorted(properties["keyOps"]) == ["unwrapKey", "wrapKey"]
    [action] = properties["rotationPolicy"]["lifetimeActions"]
    assert action["action"]["type"] == "rotate"


def test_the_identity_may_use_only_that_key(infra: dict[str, Tree]) -> None:
    rbac = infra["app/rbac.bicep"]
    assignments = [
        resource_body(r)
        for r in resources_of_type(rbac, "Microsoft.Authorization/roleAssignments").values()
    ]
    crypto = [
        body
        for body in assignments
        if accessor_path(
            body["properties"]["roleDefinitionId"]["function"]["parameters"]["resource_name_1"]
        )[-1]
        == "keyVaultCryptoUser"
    ]
    [grant] = crypto
    assert grant["scope"] == "subscriptionsKey"
    assert grant["properties"]["principalId"] == "identityPrincipalId"
    assert rbac["variables"]["roles"]["value"]["keyVaultCryptoUser"] == KEY_VAULT_CRYPTO_USER
    params = module_call(infra[MAIN], "app/rbac.bicep")["params"]
    assert accessor_path(params["subscriptionsKeyName"]) == [
        "keyVault",
        "outputs",
        "subscriptionsKeyName",
    ]


def test_the_app_is_told_the_key_by_its_versionless_uri(infra: dict[str, Tree]) -> None:
    assert KEY_ID_SETTING in site_app_settings(infra)
    settings = module_call(infra[MAIN], "app/function.bicep")["params"]["appSettings"]
    added = settings["function"]["parameters"]["arg_2"]
    [entry] = [item for item in added if item["name"] == KEY_ID_SETTING]
    assert accessor_path(entry["value"]) == ["keyVault", "outputs", "subscriptionsKeyUri"]
    output = infra["app/keyvault.bicep"]["outputs"]["subscriptionsKeyUri"]
    assert "keyUri" in str(output["value"])
    assert "keyUriWithVersion" not in str(output["value"])


def test_open_meteo_hosts_are_allowed_by_default_and_extra_hosts_add_to_them(
    infra: dict[str, Tree],
) -> None:
    assert infra[MAIN]["variables"]["weatherSourceHosts"]["value"] == [
        FORECAST_HOST,
        GEOCODING_HOST,
    ]
    [setting] = infra[MAIN]["variables"]["sourceAllowHostsSettings"]["value"]
    assert setting["name"] == "SOURCE_ALLOW_HOSTS"
    operands = setting["value"]["operator"]["operands"]
    assert operands["true_value"]["function"]["parameters"]["input_array"] == "weatherSourceHosts"
    assert operands["false_value"] == "${join(weatherSourceHosts, ',')},${sourceAllowHosts}"
    # The hosts the weather entry fetches from are those.
    weather = current_schedules().entry("weather")
    assert weather.source is not None
    assert weather.source.host == FORECAST_HOST
