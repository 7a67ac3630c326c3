"""The CSRF token: issued with the page as a cookie, required back in a header on changes."""

import pytest

from shared.connect import csrf


def cookie_of(set_cookie: str) -> str:
    return set_cookie.split(";", 1)[0]


def test_the_page_cookie_is_http_only_same_site_strict() -> None:
    token = csrf.token_for({}, secure=False)
    header = csrf.cookie_header(token, secure=False)
    assert header.startswith(f"connect-csrf={token};")
    assert "HttpOnly" in header
    assert "SameSite=Strict" in header
    assert "Secure" not in header


def test_in_azure_the_cookie_is_secure_and_host_only() -> None:
    token = csrf.token_for({}, secure=True)
    header = csrf.cookie_header(token, secure=True)
    assert header.startswith(f"__Host-connect-csrf={token};")
    assert "; Secure" in header
    assert "Path=/;" in header
    assert "Domain" not in header


def test_tokens_are_random() -> None:
    assert len({csrf.token_for({}, secure=False) for _ in range(50)}) == 50


def test_a_browser_keeps_its_token_across_page_loads() -> None:
    token = csrf.token_for({}, secure=False)
    again = csrf.token_for({"Cookie": f"other=1; connect-csrf={token}"}, secure=False)
    assert again == token


def test_a_malformed_cookie_gets_a_new_token() -> None:
    assert csrf.token_for({"Cookie": "connect-csrf=short"}, secure=False) != "short"
    assert len(csrf.token_for({"Cookie": '"unbalanced'}, secure=False)) == 43


def test_a_change_with_the_matching_header_passes() -> None:
    token = csrf.token_for({}, secure=False)
    csrf.check({"Cookie": f"connect-csrf={token}", "X-CSRF-Token": token}, secure=False)


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        ({"Cookie": "connect-csrf=T"}, "missing"),
        ({"X-CSRF-Token": "T"}, "does not match"),
        ({"Cookie": "connect-csrf=T", "X-CSRF-Token": "U"}, "does not match"),
        ({"Cookie": "connect-csrf=T", "X-CSRF-Token": "T", "Sec-Fetch-Site": "cross-site"}, "site"),
        # The Secure cookie's name is required where the page is served over HTTPS.
        ({"Cookie": "connect-csrf=T", "X-CSRF-Token": "T", "_secure": "1"}, "does not match"),
    ],
)
def test_a_change_without_the_browsers_token_is_refused(headers: dict[str, str], says: str) -> None:
    token = "t" * 43
    sent = {k: v.replace("T", token).replace("U", "u" * 43) for k, v in headers.items()}
    secure = sent.pop("_secure", None) is not None
    with pytest.raises(csrf.CsrfRefused, match=says):
        csrf.check(sent, secure=secure)
