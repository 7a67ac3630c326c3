"""The Bicep in infra/ deploys what issue 6 asks for, read through the parser checkov uses (pycep).

These tests read the parsed tree, not the text, so a property that moves or changes type is caught.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.support.infra.bicep import (
    FUNCTION_MODULE,
    INFRA,
    MAIN,
    REPO,
    Tree,
    accessor_path,
    all_resources,
    bicep_files,
    decorators,
    module_call,
    parse,
    parse_infra,
    resource_body,
    resources_of_type,
    site_app_settings,
)

# Built-in role definition ids (the same in every tenant), from Azure's built-in roles reference.
STORAGE_BLOB_DATA_OWNER = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
STORAGE_QUEUE_DATA_CONTRIBUTOR = "974c5e8b-45b9-4653-ba55-5f855dd0fb88"
STORAGE_TABLE_DATA_CONTRIBUTOR = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"
MONITORING_METRICS_PUBLISHER = "3913510d-42f4-4e42-8a64-420c390055eb"
KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
KEY_VAULT_CRYPTO_USER = "12338af0-0e69-4776-bea7-57ae8d297424"

# App settings that Flex Consumption does not support (it configures runtime, scale and deployment
# in functionAppConfig instead) or that a keyless app must not carry.
FLEX_DEPRECATED_SETTINGS = {
    "FUNCTIONS_EXTENSION_VERSION",
    "FUNCTIONS_WORKER_RUNTIME",
    "FUNCTIONS_WORKER_RUNTIME_VERSION",
    "FUNCTIONS_MAX_HTTP_CONCURRENCY",
    "FUNCTIONS_WORKER_PROCESS_COUNT",
    "FUNCTIONS_WORKER_DYNAMIC_CONCURRENCY_ENABLED",
    "SCM_DO_BUILD_DURING_DEPLOYMENT",
    "ENABLE_ORYX_BUILD",
    "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
    "WEBSITE_CONTENTOVERVNET",
    "WEBSITE_CONTENTSHARE",
    "WEBSITE_DNS_SERVER",
    "WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT",
    "WEBSITE_NODE_DEFAULT_VERSION",
    "WEBSITE_RUN_FROM_PACKAGE",
    "WEBSITE_SKIP_CONTENTSHARE_VALIDATION",
    "WEBSITE_TIME_ZONE",
    "WEBSITE_VNET_ROUTE_ALL",
    "AzureWebJobsStorage",  # a connection string with the account key
}


@pytest.fixture(scope="module")
def infra() -> dict[str, Tree]:
    return parse_infra()


def _site(infra: dict[str, Tree]) -> dict[str, Any]:
    (site,) = resources_of_type(infra[FUNCTION_MODULE], "Microsoft.Web/sites").values()
    return resource_body(site)


def _only(tree: Tree, resource_type: str) -> dict[str, Any]:
    found = resources_of_type(tree, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return resource_body(next(iter(found.values())))


def _file_declaring(infra: dict[str, Tree], resource_type: str) -> Tree:
    trees = [tree for tree in infra.values() if resources_of_type(tree, resource_type)]
    assert len(trees) == 1, f"{resource_type} should be declared in exactly one file"
    return trees[0]


def _platform_setting(infra: dict[str, Tree], name: str) -> Any:
    for entry in infra[FUNCTION_MODULE]["variables"]["platformSettings"]["value"]:
        if entry["name"] == name:
            return entry["value"]
    raise AssertionError(f"{name} is not a platform setting")


# ---- parsing ----


@pytest.mark.parametrize(
    "path", bicep_files(), ids=lambda path: Path(path).relative_to(INFRA).as_posix()
)
def test_bicep_file_parses_with_pycep(path: Path) -> None:
    tree = parse(path)
    assert tree.get("resources") or tree.get("modules"), f"{path} declares nothing"


def test_infra_has_main_and_its_modules(infra: dict[str, Tree]) -> None:
    assert set(infra) >= {MAIN, FUNCTION_MODULE}
    for module in infra[MAIN]["modules"].values():
        assert module["type"] == "local", "registry modules (br/public:) are opaque to checkov"
        assert module["detail"]["path"] in infra, f"module file {module['detail']['path']} missing"


def test_every_abbreviation_used_is_defined(infra: dict[str, Tree]) -> None:
    abbreviations = json.loads((INFRA / "abbreviations.json").read_text())
    used = set(re.findall(r"abbrs\.(\w+)", json.dumps(infra[MAIN])))
    assert used, "main.bicep names its resources from abbreviations.json"
    assert used <= set(abbreviations)


# ---- azd wiring ----


def test_azure_yaml_declares_one_python_function_service() -> None:
    lines = [line.strip() for line in (REPO / "azure.yaml").read_text().splitlines()]
    assert "services:" in lines
    assert "host: function" in lines
    assert "language: python" in lines
    assert "project: ." in lines
    assert sum(line.startswith("host:") for line in lines) == 1


def _parameter_mappings() -> dict[str, tuple[str, str | None]]:
    """main.parameters.json as {parameter: (azd variable, default text or None)}."""
    parameters = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    mappings = {}
    for name, entry in parameters.items():
        match = re.fullmatch(r"\$\{([A-Z][A-Z0-9_]*)(?:=(.*))?\}", entry["value"], re.DOTALL)
        assert match, f"{name}: {entry['value']!r} is not one azd variable"
        mappings[name] = (match.group(1), match.group(2))
    return mappings


def _typed(text: str, parameter: dict[str, Any]) -> Any:
    """A default from the parameters file, read as azd passes it for the parameter's type."""
    kind = parameter["type"]
    if kind == "int":
        return int(text)
    if kind == "bool":
        assert text in ("true", "false")
        return text == "true"
    if kind in ("array", "object"):
        return json.loads(text)
    return text


def test_parameters_file_maps_every_parameter_to_an_azd_variable(infra: dict[str, Tree]) -> None:
    # maximumInstanceCount, instanceMemoryMB, zoneRedundant and the four time settings were
    # promised as knobs yet unreachable from azd (issue 13, item 5): every parameter is mapped.
    mappings = _parameter_mappings()
    declared = infra[MAIN]["parameters"]
    assert set(mappings) == set(declared)
    variables = [variable for variable, _ in mappings.values()]
    assert len(variables) == len(set(variables)), "two parameters read one azd variable"
    assert mappings["environmentName"] == ("AZURE_ENV_NAME", None)
    assert mappings["location"] == ("AZURE_LOCATION", None)


def test_parameters_file_defaults_equal_the_bicep_defaults(infra: dict[str, Tree]) -> None:
    declared = infra[MAIN]["parameters"]
    for name, (variable, default) in _parameter_mappings().items():
        if default is None:
            continue
        assert _typed(default, declared[name]) == declared[name]["default"], f"{variable}"


def test_every_parameter_azd_may_leave_empty_has_a_bicep_default(infra: dict[str, Tree]) -> None:
    # A `${VAR}` without a default is empty when the variable is unset; azd then prompts for a
    # parameter without a Bicep default, which for a @secure() object panics (issue 13, item 4).
    declared = infra[MAIN]["parameters"]
    set_by_azd = {"environmentName", "location"}
    for name, (variable, default) in _parameter_mappings().items():
        if default is None and name not in set_by_azd:
            assert declared[name]["default"] is not None, f"{name} ({variable}) would be prompted"


def test_secret_parameters_are_read_from_azd_variables_only() -> None:
    mappings = _parameter_mappings()
    # Secrets come from the azd environment, never from a value committed here.
    assert mappings["teamsWebhooks"] == ("TEAMS_WEBHOOKS", None)
    assert mappings["teamsOutgoingTokens"] == ("TEAMS_OUTGOING_TOKENS", None)


def _azure_yaml_required_azd() -> tuple[int, ...] | None:
    text = (REPO / "azure.yaml").read_text()
    block = re.search(r"^requiredVersions:\n((?:[ ]+.*\n)+)", text, re.MULTILINE)
    if block is None:
        return None
    match = re.search(r"^\s+azd:\s*[\"']?>=\s*(\d+)\.(\d+)\.(\d+)[\"']?\s*$", block.group(1), re.M)
    assert match, "requiredVersions names no minimum azd version"
    return tuple(int(part) for part in match.groups())


def test_azure_yaml_requires_an_azd_that_parses_json_parameters(infra: dict[str, Tree]) -> None:
    # azd before 1.23.4 passes "${TEAMS_WEBHOOKS}" to an object parameter as a string and fails
    # (issue 13, item 3; Azure/azure-dev pull request 6694).
    declared = infra[MAIN]["parameters"]
    structured = [
        name for name in _parameter_mappings() if declared[name]["type"] in ("object", "array")
    ]
    assert structured, "no object or array parameter is read from azd: is this test still needed?"
    required = _azure_yaml_required_azd()
    assert required is not None, "azure.yaml declares no requiredVersions"
    assert required >= (1, 23, 4)


# ---- the function app ----


def test_plan_is_flex_consumption_fc1_on_linux(infra: dict[str, Tree]) -> None:
    plan = _only(infra[FUNCTION_MODULE], "Microsoft.Web/serverfarms")
    assert plan["sku"] == {"tier": "FlexConsumption", "name": "FC1"}
    assert plan["properties"]["reserved"] is True


def test_function_app_is_linux_and_uses_the_user_assigned_identity(
    infra: dict[str, Tree],
) -> None:
    site = _site(infra)
    assert site["kind"] == "functionapp,linux"
    assert site["identity"]["type"] == "UserAssigned"
    # pycep keeps the quotes of a quoted key.
    assert list(site["identity"]["userAssignedIdentities"]) == ["'${identityId}'"]
    assert site["properties"]["keyVaultReferenceIdentity"] == "identityId"
    call = module_call(infra[MAIN], FUNCTION_MODULE)["params"]
    assert accessor_path(call["identityId"]) == ["identity", "outputs", "id"]
    assert accessor_path(call["identityClientId"]) == ["identity", "outputs", "clientId"]


def test_function_app_is_https_only_with_tls_1_2(infra: dict[str, Tree]) -> None:
    properties = _site(infra)["properties"]
    assert properties["httpsOnly"] is True
    assert properties["siteConfig"]["minTlsVersion"] == "1.2"
    assert properties["siteConfig"]["ftpsState"] == "Disabled"


def test_basic_auth_publishing_is_off(infra: dict[str, Tree]) -> None:
    policies = resources_of_type(
        infra[FUNCTION_MODULE], "Microsoft.Web/sites/basicPublishingCredentialsPolicies"
    )
    bodies = [resource_body(policy) for policy in policies.values()]
    assert sorted(body["name"] for body in bodies) == ["ftp", "scm"]
    assert all(body["properties"]["allow"] is False for body in bodies)


def test_deployment_package_comes_from_a_blob_container_through_the_identity(
    infra: dict[str, Tree],
) -> None:
    storage = _site(infra)["properties"]["functionAppConfig"]["deployment"]["storage"]
    assert storage["type"] == "blobContainer"
    assert storage["value"] == (
        "${storage.properties.primaryEndpoints.blob}${deploymentContainerName}"
    )
    assert storage["authentication"] == {
        "type": "UserAssignedIdentity",
        "userAssignedIdentityResourceId": "identityId",
    }


def _supported_python_versions() -> list[str]:
    """The Python versions the code is checked for: mypy's python_version in pyproject.toml and
    every `--python-version X.Y` the Makefile's typecheck target adds, each at or above
    requires-python's floor."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    floor = re.fullmatch(r">=\s*(\d+\.\d+)", pyproject["project"]["requires-python"])
    assert floor, "requires-python is expected as '>=X.Y'"
    versions = {pyproject["tool"]["mypy"]["python_version"]}
    versions |= set(re.findall(r"--python-version (\d+\.\d+)", (REPO / "Makefile").read_text()))

    def key(version: str) -> tuple[int, ...]:
        return tuple(int(part) for part in version.split("."))

    assert all(key(version) >= key(floor.group(1)) for version in versions)
    assert min(versions, key=key) == floor.group(1)
    return sorted(versions, key=key)


def test_python_versions_allowed_are_exactly_those_the_code_supports(
    infra: dict[str, Tree],
) -> None:
    # 3.10 was allowed once: the code needs 3.11 (datetime.UTC, enum.StrEnum), so every function
    # failed to load on it (issue 13, item 1).
    supported = _supported_python_versions()
    assert supported == ["3.11", "3.12"]
    runtime = _site(infra)["properties"]["functionAppConfig"]["runtime"]
    assert runtime == {"name": "python", "version": "pythonVersion"}
    for file in (MAIN, FUNCTION_MODULE):
        parameter = infra[file]["parameters"]["pythonVersion"]
        assert decorators(parameter)["allowed"] == supported, file
        assert parameter["default"] == supported[0]
    assert module_call(infra[MAIN], FUNCTION_MODULE)["params"]["pythonVersion"] == "pythonVersion"


def test_scale_and_always_ready_instances_are_parameters(infra: dict[str, Tree]) -> None:
    scale = _site(infra)["properties"]["functionAppConfig"]["scaleAndConcurrency"]
    assert scale["instanceMemoryMB"] == "instanceMemoryMB"
    assert scale["maximumInstanceCount"] == "maximumInstanceCount"
    # Always-ready for the "http" group: the Outgoing Webhook must answer within Teams' 5 seconds,
    # which a cold start plus a 4-second command budget can miss
    # (docs/teams-protocol.md#outgoing-webhook-deadline).
    always_ready = scale["alwaysReady"]["operator"]["operands"]
    assert always_ready["condition"]["operator"]["operands"]["operand_1"] == "httpAlwaysReady"
    assert always_ready["true_value"] == [{"name": "http", "instanceCount": "httpAlwaysReady"}]
    main = infra[MAIN]["parameters"]
    assert main["httpAlwaysReadyInstances"]["default"] >= 1
    call = module_call(infra[MAIN], FUNCTION_MODULE)["params"]
    for name in ("instanceMemoryMB", "maximumInstanceCount", "httpAlwaysReadyInstances"):
        assert call[name] == name, f"main.bicep does not pass its {name} parameter"


def test_zone_redundancy_gets_two_always_ready_instances_and_zone_redundant_storage(
    infra: dict[str, Tree],
) -> None:
    # zoneRedundant=true with one always-ready instance and LRS storage did not deploy (issue 13,
    # item 2): zone-redundant Flex Consumption keeps at least two per group and wants ZRS storage.
    assert module_call(infra[MAIN], FUNCTION_MODULE)["params"]["zoneRedundant"] == "zoneRedundant"
    plan = _only(infra[FUNCTION_MODULE], "Microsoft.Web/serverfarms")
    assert plan["properties"]["zoneRedundant"] == "zoneRedundant"
    effective = infra[FUNCTION_MODULE]["variables"]["httpAlwaysReady"]["value"]["operator"]
    assert effective["type"] == "conditional"
    assert effective["operands"]["condition"] == "zoneRedundant"
    assert effective["operands"]["true_value"] == {
        "function": {"type": "max", "parameters": {"arg_1": 2, "arg_2": "httpAlwaysReadyInstances"}}
    }
    assert effective["operands"]["false_value"] == "httpAlwaysReadyInstances"
    sku = module_call(infra[MAIN], "app/storage.bicep")["params"]["skuName"]["operator"]
    assert sku == {
        "type": "conditional",
        "operands": {
            "condition": "zoneRedundant",
            "true_value": "Standard_ZRS",
            "false_value": "Standard_LRS",
        },
    }
    allowed = decorators(infra["app/storage.bicep"]["parameters"]["skuName"])["allowed"]
    assert {"Standard_LRS", "Standard_ZRS"} <= set(allowed)


@pytest.mark.parametrize("file", [MAIN, FUNCTION_MODULE])
def test_maximum_instance_count_is_described_per_function_group(
    infra: dict[str, Tree], file: str
) -> None:
    # Flex Consumption scales each function group on its own (HTTP, the retry queue, each timer):
    # the limit is per group, not for the whole app (issue 13, item 10).
    description = decorators(infra[file]["parameters"]["maximumInstanceCount"])["description"]
    assert "function group" in description
    assert "retry queue" in description
    assert "timer" in description


def test_no_setting_that_flex_consumption_deprecates(infra: dict[str, Tree]) -> None:
    settings = site_app_settings(infra)
    assert settings, "no app settings found"
    assert not settings & FLEX_DEPRECATED_SETTINGS


def test_development_only_settings_are_never_set(infra: dict[str, Tree]) -> None:
    assert "TEAMS_ALLOW_HOSTS" not in site_app_settings(infra)
    for path in bicep_files():
        assert "TEAMS_ALLOW_HOSTS" not in path.read_text(), path


def test_storage_connection_uses_the_managed_identity(infra: dict[str, Tree]) -> None:
    assert _platform_setting(infra, "AzureWebJobsStorage__credential") == "managedidentity"
    assert _platform_setting(infra, "AzureWebJobsStorage__clientId") == "identityClientId"


@pytest.mark.parametrize("service", ["blob", "queue", "table"])
def test_host_storage_addresses_use_the_clouds_storage_suffix(
    infra: dict[str, Tree], service: str
) -> None:
    # With only AzureWebJobsStorage__accountName the host builds *.core.windows.net addresses,
    # which do not exist in sovereign clouds; the Flex samples set the three service URIs instead
    # (issue 13, item 9).
    variables = infra[FUNCTION_MODULE]["variables"]
    suffix = variables["storageSuffix"]["value"]["operator"]
    assert suffix["type"] == "property_accessor"
    assert suffix["operands"]["operand_1"] == {
        "function": {"type": "environment", "property_name": "suffixes"}
    }
    assert suffix["operands"]["operand_2"] == "storage"
    setting = f"AzureWebJobsStorage__{service}ServiceUri"
    assert (
        _platform_setting(infra, setting)
        == f"https://${{storage.name}}.{service}.${{storageSuffix}}"
    )


def test_no_storage_address_names_the_public_cloud(infra: dict[str, Tree]) -> None:
    for path in bicep_files():
        assert "core.windows.net" not in path.read_text(), path
    names = {
        entry["name"] for entry in infra[FUNCTION_MODULE]["variables"]["platformSettings"]["value"]
    }
    assert "AzureWebJobsStorage__accountName" not in names


def test_application_insights_authenticates_with_the_identity(infra: dict[str, Tree]) -> None:
    assert _platform_setting(infra, "APPLICATIONINSIGHTS_AUTHENTICATION_STRING") == (
        "ClientId=${identityClientId};Authorization=AAD"
    )


# ---- storage ----


def test_storage_account_allows_only_entra_identities_over_tls_1_2(infra: dict[str, Tree]) -> None:
    account = _only(infra["app/storage.bicep"], "Microsoft.Storage/storageAccounts")["properties"]
    assert account["allowSharedKeyAccess"] is False
    assert account["allowBlobPublicAccess"] is False
    assert account["minimumTlsVersion"] == "TLS1_2"
    assert account["supportsHttpsTrafficOnly"] is True


def test_storage_has_the_deployment_container_and_the_retry_queues(
    infra: dict[str, Tree],
) -> None:
    tree = infra["app/storage.bicep"]
    container = _only(tree, "Microsoft.Storage/storageAccounts/blobServices/containers")
    assert container["name"] == "deploymentContainerName"
    assert container["properties"]["publicAccess"] == "None"
    queue_name = tree["parameters"]["retryQueueName"]["default"]
    # The queue the delivery code binds to (issue 3); the host moves failures to <name>-poison.
    assert queue_name == "notifications-retry"
    queues = resources_of_type(tree, "Microsoft.Storage/storageAccounts/queueServices/queues")
    names = set()
    for queue in queues.values():
        raw = resource_body(queue)["name"]
        names.add(
            queue_name if raw == "retryQueueName" else raw.replace("${retryQueueName}", queue_name)
        )
    assert names == {"notifications-retry", "notifications-retry-poison"}


def test_storage_has_the_tables_the_shared_state_uses(infra: dict[str, Tree]) -> None:
    from shared.state.store import TABLES

    tree = infra["app/storage.bicep"]
    tables = resources_of_type(tree, "Microsoft.Storage/storageAccounts/tableServices/tables")
    assert len(tables) == 1
    [table] = tables.values()
    assert "for" in json.dumps(table) or "loop" in json.dumps(table)
    assert sorted(tree["parameters"]["stateTableNames"]["default"]) == sorted(TABLES.values())


# ---- role assignments ----


def test_identity_gets_exactly_the_built_in_roles_it_needs(infra: dict[str, Tree]) -> None:
    tree = _file_declaring(infra, "Microsoft.Authorization/roleAssignments")
    roles: dict[str, str] = tree["variables"]["roles"]["value"]
    scopes = {name: resource["type"] for name, resource in tree["resources"].items()}
    granted = set()
    for resource in resources_of_type(tree, "Microsoft.Authorization/roleAssignments").values():
        body = resource_body(resource)
        if body["properties"]["principalId"] != "identityPrincipalId":
            continue
        assert body["properties"]["principalType"] == "ServicePrincipal"
        definition = body["properties"]["roleDefinitionId"]["function"]
        assert definition["type"] == "subscription_resource_id"
        assert (
            definition["parameters"]["resource_type"] == "Microsoft.Authorization/roleDefinitions"
        )
        _, role = accessor_path(definition["parameters"]["resource_name_1"])
        granted.add((roles[role], scopes[body["scope"]]))
    assert granted == {
        (STORAGE_BLOB_DATA_OWNER, "Microsoft.Storage/storageAccounts"),
        (STORAGE_QUEUE_DATA_CONTRIBUTOR, "Microsoft.Storage/storageAccounts"),
        (STORAGE_TABLE_DATA_CONTRIBUTOR, "Microsoft.Storage/storageAccounts"),
        (MONITORING_METRICS_PUBLISHER, "Microsoft.Insights/components"),
        (KEY_VAULT_SECRETS_USER, "Microsoft.KeyVault/vaults"),
        # Wrap/unwrap with the subscriptions' key only, not the vault's other keys.
        (KEY_VAULT_CRYPTO_USER, "Microsoft.KeyVault/vaults/keys"),
    }
    rbac = module_call(infra[MAIN], "app/rbac.bicep")["params"]
    assert accessor_path(rbac["identityPrincipalId"]) == ["identity", "outputs", "principalId"]


# ---- monitoring ----


def test_log_analytics_and_application_insights_have_local_auth_off(
    infra: dict[str, Tree],
) -> None:
    tree = infra["app/monitoring.bicep"]
    workspace = _only(tree, "Microsoft.OperationalInsights/workspaces")
    assert workspace["properties"]["features"]["disableLocalAuth"] is True
    insights = _only(tree, "Microsoft.Insights/components")
    assert insights["properties"]["DisableLocalAuth"] is True
    assert accessor_path(insights["properties"]["WorkspaceResourceId"]) == ["workspace", "id"]


# ---- Key Vault and secrets ----


def test_key_vault_uses_rbac_soft_delete_and_purge_protection(infra: dict[str, Tree]) -> None:
    vault = _only(infra["app/keyvault.bicep"], "Microsoft.KeyVault/vaults")["properties"]
    assert vault["enableRbacAuthorization"] is True
    assert vault["enableSoftDelete"] is True
    assert vault["enablePurgeProtection"] is True
    assert "accessPolicies" not in vault


@pytest.mark.parametrize(
    ("parameter", "prefix"),
    [("teamsWebhooks", "teams-webhook-"), ("teamsOutgoingTokens", "teams-outgoing-token-")],
)
def test_each_secret_comes_from_a_secure_parameter_defaulting_to_none(
    infra: dict[str, Tree], parameter: str, prefix: str
) -> None:
    tree = infra["app/keyvault.bicep"]
    for file in ("app/keyvault.bicep", MAIN):
        declared = infra[file]["parameters"][parameter]
        assert "secure" in decorators(declared), f"{file}: {parameter} is not @secure()"
        assert declared["type"] == "object"
    # main.bicep defaults to {} so azd never prompts for it (issue 13, item 4); the module takes
    # whatever main.bicep passes.
    assert infra[MAIN]["parameters"][parameter]["default"] == {}
    assert infra["app/keyvault.bicep"]["parameters"][parameter]["default"] is None
    (secret,) = [
        resource["config"]
        for resource in resources_of_type(tree, "Microsoft.KeyVault/vaults/secrets").values()
        if resource["config"]["loop_type"]["detail"]["object_name"] == parameter
    ]
    item = secret["loop_type"]["detail"]["item_name"]
    assert secret["config"]["name"] == f"{prefix}${{{item}.key}}"
    assert accessor_path(secret["config"]["properties"]["value"]) == [item, "value"]
    assert module_call(infra[MAIN], "app/keyvault.bicep")["params"][parameter] == parameter


def test_no_secure_parameter_anywhere_has_a_default_other_than_empty(
    infra: dict[str, Tree],
) -> None:
    for file, tree in infra.items():
        for name, parameter in tree.get("parameters", {}).items():
            if "secure" in decorators(parameter):
                assert parameter["default"] in (None, {}, ""), f"{file}: {name}"


def test_no_output_reveals_a_secret(infra: dict[str, Tree]) -> None:
    secret_sources = {
        "teamsWebhooks",
        "teamsOutgoingTokens",
        "webhookSecrets",
        "outgoingTokenSecrets",
    }
    for file, tree in infra.items():
        text = json.dumps(tree.get("outputs", {}))
        for name in secret_sources:
            assert name not in text, f"{file} outputs mention {name}"
        for name, output in tree.get("outputs", {}).items():
            assert "secure" not in decorators(output), f"{file}: {name}"


@pytest.mark.parametrize(
    ("variable", "prefix", "secret_prefix"),
    [
        ("webhookSettings", "TEAMS_WEBHOOK_", "teams-webhook-"),
        ("outgoingTokenSettings", "TEAMS_OUTGOING_TOKEN_", "teams-outgoing-token-"),
    ],
)
def test_secret_settings_are_key_vault_references_through_the_identity(
    infra: dict[str, Tree], variable: str, prefix: str, secret_prefix: str
) -> None:
    loop = infra[MAIN]["variables"][variable]["value"]
    item = loop["loop_type"]["detail"]["item_name"]
    # devops-alerts -> TEAMS_WEBHOOK_DEVOPS_ALERTS -> secret teams-webhook-devops-alerts (issue 3).
    assert loop["config"]["name"] == f"{prefix}${{toUpper(replace({item}.key, '-', '_'))}}"
    assert loop["config"]["value"] == (
        f"@Microsoft.KeyVault(VaultName=${{keyVaultName}};SecretName={secret_prefix}${{{item}.key}})"
    )
    assert module_call(infra[MAIN], "app/keyvault.bicep")["params"]["name"] == "keyVaultName"


# ---- outputs ----


def test_outputs_give_the_app_name_url_and_outgoing_webhook_callback_pattern(
    infra: dict[str, Tree],
) -> None:
    outputs = infra[MAIN]["outputs"]
    assert accessor_path(outputs["AZURE_FUNCTION_APP_NAME"]["value"]) == [
        "functionApp",
        "outputs",
        "name",
    ]
    assert accessor_path(outputs["AZURE_FUNCTION_APP_URL"]["value"]) == [
        "functionApp",
        "outputs",
        "url",
    ]
    assert outputs["TEAMS_OUTGOING_CALLBACK_URL_PATTERN"]["value"] == (
        "${functionApp.outputs.url}/api/teams/outgoing?webhook=<name>"
    )
    function_outputs = infra[FUNCTION_MODULE]["outputs"]
    assert function_outputs["url"]["value"] == "https://${site.properties.defaultHostName}"


def test_every_resource_is_tagged_for_azd(infra: dict[str, Tree]) -> None:
    untagged = []
    for file, name, resource in all_resources(infra):
        body = resource_body(resource)
        # Child resources (parent:) and role assignments inherit their parent's place; no tags.
        if "parent" in body or resource["type"] == "Microsoft.Authorization/roleAssignments":
            continue
        if "tags" not in body:
            untagged.append(f"{file}:{name}")
    assert not untagged


def test_key_vault_name_can_change_within_key_vaults_limit(infra: dict[str, Tree]) -> None:
    # After `azd down` the vault stays soft-deleted under its name (purge protection): a suffix
    # lets the next `azd up` start a new vault instead of recovering it (issue 13, item 6).
    main = infra[MAIN]
    assert main["variables"]["keyVaultName"]["value"] == (
        "${abbrs.keyVaultVaults}${resourceToken}${keyVaultNameSuffix}"
    )
    suffix = main["parameters"]["keyVaultNameSuffix"]
    assert suffix["default"] == ""
    prefix = json.loads((INFRA / "abbreviations.json").read_text())["keyVaultVaults"]
    unique_string_length = 13  # uniqueString() always returns 13 characters
    assert len(prefix) + unique_string_length + decorators(suffix)["max_length"] <= 24


# ---- the virtual network option ----


NETWORK_MODULE = "app/network.bicep"


def test_vnet_is_an_option_off_by_default(infra: dict[str, Tree]) -> None:
    main = infra[MAIN]
    parameter = main["parameters"]["vnetEnabled"]
    assert parameter["type"] == "bool"
    assert parameter["default"] is False
    (network,) = [
        module for module in main["modules"].values() if module["detail"]["path"] == NETWORK_MODULE
    ]
    assert network["config"]["condition"] == "vnetEnabled"
    subnet = module_call(main, FUNCTION_MODULE)["params"]["virtualNetworkSubnetId"]["operator"]
    assert subnet["operands"]["condition"] == "vnetEnabled"
    assert accessor_path(subnet["operands"]["true_value"]) == ["network", "outputs", "appSubnetId"]
    assert subnet["operands"]["false_value"] == ""
    site_subnet = _site(infra)["properties"]["virtualNetworkSubnetId"]["operator"]["operands"]
    assert site_subnet["true_value"] is None  # no integration without a subnet
    assert site_subnet["false_value"] == "virtualNetworkSubnetId"


def test_vnet_turns_storage_public_access_off(infra: dict[str, Tree]) -> None:
    passed = module_call(infra[MAIN], "app/storage.bicep")["params"]["publicNetworkAccessEnabled"]
    assert passed == {"operator": {"type": "not", "operands": {"bool_value": "vnetEnabled"}}}
    account = _only(infra["app/storage.bicep"], "Microsoft.Storage/storageAccounts")["properties"]
    access = account["publicNetworkAccess"]["operator"]["operands"]
    assert (access["condition"], access["true_value"], access["false_value"]) == (
        "publicNetworkAccessEnabled",
        "Enabled",
        "Disabled",
    )
    default = account["networkAcls"]["defaultAction"]["operator"]["operands"]
    assert default["false_value"] == "Deny"


def test_vnet_has_a_flex_integration_subnet_and_storage_private_endpoints(
    infra: dict[str, Tree],
) -> None:
    tree = infra[NETWORK_MODULE]
    vnet = _only(tree, "Microsoft.Network/virtualNetworks")
    subnets = {subnet["name"]: subnet["properties"] for subnet in vnet["properties"]["subnets"]}
    assert set(subnets) == {"app", "private-endpoints"}
    # Flex Consumption integrates with a subnet delegated to Microsoft.App/environments.
    assert [d["properties"]["serviceName"] for d in subnets["app"]["delegations"]] == [
        "Microsoft.App/environments"
    ]
    services = tree["variables"]["storageServices"]["value"]
    assert services == ["blob", "queue", "table"]
    (endpoints,) = resources_of_type(tree, "Microsoft.Network/privateEndpoints").values()
    assert endpoints["config"]["loop_type"]["detail"]["array_name"] == "storageServices"
    item = endpoints["config"]["loop_type"]["detail"]["item_name"]
    (connection,) = endpoints["config"]["config"]["properties"]["privateLinkServiceConnections"]
    assert connection["properties"] == {
        "privateLinkServiceId": "storageAccountId",
        "groupIds": [item],
    }
    assert accessor_path(endpoints["config"]["config"]["properties"]["subnet"]["id"]) == [
        "endpointSubnet",
        "id",
    ]
    (zones,) = resources_of_type(tree, "Microsoft.Network/privateDnsZones").values()
    zone_item = zones["config"]["loop_type"]["detail"]["item_name"]
    assert zones["config"]["config"]["name"] == (
        f"privatelink.${{{zone_item}}}.${{environment().suffixes.storage}}"
    )
    for child in (
        "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
        "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
    ):
        (loop,) = resources_of_type(tree, child).values()
        assert loop["config"]["loop_type"]["detail"]["array_name"] == "storageServices"
    call = module_call(infra[MAIN], NETWORK_MODULE)["config"]["params"]
    assert accessor_path(call["storageAccountId"]) == ["storage", "outputs", "id"]


def test_key_vault_stays_reachable_and_says_why(infra: dict[str, Tree]) -> None:
    vault = _only(infra["app/keyvault.bicep"], "Microsoft.KeyVault/vaults")["properties"]
    assert vault["publicNetworkAccess"] == "Enabled"
    text = (INFRA / "app" / "keyvault.bicep").read_text()
    assert "also when main.bicep's vnetEnabled" in text


# ---- region ----


def test_location_is_one_of_the_regions_that_offer_flex_consumption(
    infra: dict[str, Tree],
) -> None:
    parameter = infra[MAIN]["parameters"]["location"]
    allowed = decorators(parameter)["allowed"]
    assert len(allowed) == len(set(allowed)) >= 20
    assert all(re.fullmatch(r"[a-z]+[0-9]?", region) for region in allowed)
    assert "swedencentral" in allowed  # the region the deploy guide uses
    assert not [region for region in allowed if region.endswith("euap")], "canary regions"
    assert parameter["decorators"][-1] == {
        "type": "metadata",
        "argument": {"azd": {"type": "location"}},
    }


# ---- docs/deploy.md ----


DEPLOY_DOC = REPO / "docs" / "deploy.md"


def test_deploy_doc_table_lists_every_azd_variable_and_its_parameter() -> None:
    # The table a user reads is the mapping azd applies (issue 13, item 5).
    rows = re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \| `(\w+)` \|", DEPLOY_DOC.read_text(), re.M)
    assert len(rows) == len(set(rows))
    mapped = {(variable, name) for name, (variable, _) in _parameter_mappings().items()}
    assert set(rows) == mapped


def test_deploy_doc_states_the_azd_version_azure_yaml_requires() -> None:
    required = _azure_yaml_required_azd()
    assert required is not None
    version = ".".join(str(part) for part in required)
    text = DEPLOY_DOC.read_text()
    assert f"Azure Developer CLI {version} or later" in text
    assert f'requiredVersions: azd: ">= {version}"' in text


def test_deploy_doc_names_only_the_python_versions_allowed(infra: dict[str, Tree]) -> None:
    text = DEPLOY_DOC.read_text()
    allowed = decorators(infra[MAIN]["parameters"]["pythonVersion"])["allowed"]
    assert f"Python {' or '.join(allowed)}" in text
    assert "3.10 cannot load it" in text


def test_deploy_doc_gives_the_recover_commands_the_hook_runs() -> None:
    text = DEPLOY_DOC.read_text()
    hook = (INFRA / "hooks" / "azd_hooks.py").read_text()
    for command in ("keyvault recover", "group create", "keyvault secret recover"):
        assert f"az {command}" in text
        assert f'"{command.split()[0]}", "{command.split()[1]}"' in hook
    assert "azd env set KEY_VAULT_NAME_SUFFIX" in text
