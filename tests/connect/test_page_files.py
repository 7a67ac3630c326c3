"""The page's files: nothing inline for the Content-Security-Policy to allow, values escaped."""

import re

import pytest

from shared.connect.page import ASSETS, asset, page_html
from shared.connect.security import LOCKED_DOWN, page_policy

PAGE = page_html(base="/api/connect", csrf="tok", nonce="n0nce", person="Adele")


def test_every_script_and_style_is_a_file_carrying_the_nonce() -> None:
    scripts = re.findall(r"<script\b[^>]*>", PAGE)
    assert scripts == ['<script src="/api/connect/assets/connect.js" nonce="n0nce" defer>']
    assert re.findall(r"<script\b[^>]*>(.*?)</script>", PAGE, flags=re.S) == [""]
    assert "<style" not in PAGE
    assert 'href="/api/connect/assets/connect.css" nonce="n0nce"' in PAGE


def test_no_inline_style_or_event_handler_attributes() -> None:
    assert not re.search(r"\sstyle=", PAGE)
    assert not re.search(r"\son[a-z]+=", PAGE)
    script = asset("connect.js")
    assert script is not None
    # The script builds the page with DOM calls: Trusted Types refuse every HTML string sink.
    assert not re.search(rb"innerHTML|outerHTML|insertAdjacentHTML|document\.write", script[1])


def test_values_are_html_escaped() -> None:
    page = page_html(base="/api/connect", csrf="tok", nonce="n", person='<img src=x onerror="1">')
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&quot;1&quot;&gt;" in page


def test_the_template_keeps_text_that_only_looks_like_a_placeholder() -> None:
    assert "${severity &lt;= 2}" in PAGE


@pytest.mark.parametrize("name", ["../page.html", "page.html", "connect.js.map", "", "CONNECT.JS"])
def test_only_the_named_files_are_served(name: str) -> None:
    assert asset(name) is None


def test_the_named_files_are_served_with_their_types() -> None:
    assert {name: a.mimetype for name, a in ASSETS.items()} == {
        "connect.js": "text/javascript",
        "connect.css": "text/css",
    }


def test_the_page_policy_allows_only_the_nonce_and_its_own_origin() -> None:
    policy = dict(part.split(" ", 1) for part in page_policy("n0nce").split("; "))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'nonce-n0nce'"
    assert policy["style-src"] == "'nonce-n0nce'"
    assert policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["require-trusted-types-for"] == "'script'"
    assert "unsafe" not in page_policy("n0nce")
    assert LOCKED_DOWN.startswith("default-src 'none'")
