"""Who may use the configuration page: the platform's principal in Azure with App Service
authentication, nobody in Azure without it, one local person on localhost."""

import base64
import json

import pytest

from shared.connect.access import LOCAL, AccessRefused, Principal, platform_auth_on, principal_of

AZURE = {"WEBSITE_INSTANCE_ID": "abc123", "WEBSITE_SKU": "FlexConsumption"}
AZURE_WITH_AUTH = {**AZURE, "WEBSITE_AUTH_ENABLED": "True"}
URL = "https://notify.azurewebsites.net/api/connect"
ADELE = {
    "X-MS-CLIENT-PRINCIPAL-ID": "5f8c3a6e-1d2b-4c4d-9e8f-0a1b2c3d4e5f",
    "X-MS-CLIENT-PRINCIPAL-NAME": "adele.vance@contoso.com",
    "X-MS-CLIENT-PRINCIPAL-IDP": "aad",
}


def claims(**values: str) -> str:
    document = {"auth_typ": "aad", "claims": [{"typ": k, "val": v} for k, v in values.items()]}
    return base64.b64encode(json.dumps(document).encode()).decode()


def test_with_platform_authentication_the_platforms_principal_is_the_person() -> None:
    person = principal_of(URL, ADELE, AZURE_WITH_AUTH)
    assert person == Principal(ADELE["X-MS-CLIENT-PRINCIPAL-ID"], "adele.vance@contoso.com")


def test_the_display_name_comes_from_the_principals_name_claim() -> None:
    headers = {**ADELE, "X-MS-CLIENT-PRINCIPAL": claims(name="Adele Vance")}
    assert principal_of(URL, headers, AZURE_WITH_AUTH).name == "Adele Vance"


@pytest.mark.parametrize("encoded", ["%%%", "bm90IGpzb24=", claims(), "W10="])
def test_a_principal_document_that_says_nothing_falls_back_to_the_name_header(
    encoded: str,
) -> None:
    headers = {**ADELE, "X-MS-CLIENT-PRINCIPAL": encoded}
    assert principal_of(URL, headers, AZURE_WITH_AUTH).name == "adele.vance@contoso.com"


def test_with_platform_authentication_an_anonymous_request_must_sign_in() -> None:
    with pytest.raises(AccessRefused) as refused:
        principal_of(URL, {}, AZURE_WITH_AUTH)
    assert refused.value.status == 401
    assert "sign in" in refused.value.message


def test_in_azure_without_platform_authentication_the_page_does_not_exist() -> None:
    # A principal header is the client's own invention here: nothing strips it.
    with pytest.raises(AccessRefused) as refused:
        principal_of(URL, ADELE, AZURE)
    assert refused.value.status == 404
    assert "App Service authentication" in refused.value.message


def test_the_auth_flag_alone_is_not_azure() -> None:
    # Only the platform sets WEBSITE_AUTH_ENABLED; set by hand on a laptop it changes nothing, and
    # principal headers stay ignored.
    assert not platform_auth_on({"WEBSITE_AUTH_ENABLED": "True"})
    person = principal_of("http://localhost:7071/api/connect", ADELE, {"WEBSITE_AUTH_ENABLED": "1"})
    assert person == LOCAL


@pytest.mark.parametrize("value", ["False", "", "no"])
def test_the_auth_flag_must_say_true(value: str) -> None:
    assert not platform_auth_on({**AZURE, "WEBSITE_AUTH_ENABLED": value})


@pytest.mark.parametrize(
    "url",
    ["http://localhost:7071/api/connect", "http://127.0.0.1:8080/api/connect", "http://[::1]/x"],
)
def test_locally_the_page_is_open_on_loopback_to_the_local_person(url: str) -> None:
    assert principal_of(url, ADELE, {}) == LOCAL


@pytest.mark.parametrize(
    "url", ["http://192.168.1.20:7071/api/connect", "http://evil.example:7071/api/connect"]
)
def test_locally_the_page_is_closed_on_any_other_host(url: str) -> None:
    # A page on another host name that resolves to this machine (DNS rebinding) reaches nothing.
    with pytest.raises(AccessRefused) as refused:
        principal_of(url, {}, {})
    assert refused.value.status == 404
