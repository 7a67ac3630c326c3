"""POST /api/render/{template}?format=html: the card drawn in the caller's browser by the pinned
renderer, with the problems list `check --render` prints."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest

from shared.cli import main
from shared.cli.common import EXIT_PROBLEMS
from shared.preview.browser import PreviewBrowser
from shared.preview.page import Page
from shared.preview.pins import pinned_files
from tests.support.function_app import Invocation, indexed, render_request, run


def html_answer(template: str, data: Any, **query: str) -> func.HttpResponse:
    request = render_request(template, data, query={"format": "html", **query})
    response: func.HttpResponse = run(
        indexed().user_function("render")(request, Invocation("render"))
    )
    return response


def as_page(response: func.HttpResponse) -> Page:
    return Page(response.get_body().decode("utf-8"), response.headers["Content-Security-Policy"])


# A style the card cannot have: both the schema check and the renderer object to it.
BAD_STYLE = {"title": "Nightly backup finished", "style": "loud"}


def test_the_html_answer_is_a_page_with_a_strict_policy() -> None:
    response = html_answer("alert", {})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    page = response.get_body().decode("utf-8")
    # What the page loads is the pinned files, each named with its integrity hash.
    pins = {pinned.url: pinned for pinned in pinned_files()}
    loaded = set(re.findall(r"https://cdn\.jsdelivr\.net/[^\s\"'<>;]+", page))
    assert loaded
    assert loaded <= set(pins)
    for url in loaded:
        assert pins[url].integrity in page
    for tag in re.findall(r"<(?:script|link)[^>]*\b(?:src|href)=[^>]*>", page):
        assert "integrity=" in tag, tag


@pytest.mark.usefixtures("commands_share_the_browser")
def test_the_html_answer_renders_and_lists_what_check_render_reports(
    browser: PreviewBrowser, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rendering = browser.render(as_page(html_answer("message", BAD_STYLE)))
    assert rendering.refused == []
    assert rendering.blocked == []
    assert rendering.height > 50
    data = tmp_path / "data.json"
    data.write_text(json.dumps(BAD_STYLE), encoding="utf-8")
    code = main(["check", "--render", "message", "--data", str(data)])
    out = capsys.readouterr().out
    assert code == EXIT_PROBLEMS
    reported = [line.strip() for line in out.splitlines() if line.startswith("    ")]
    assert any("renderer:" in line for line in reported), out
    assert any("renderer:" not in line for line in reported), out
    assert rendering.listed == reported


def test_the_dark_theme_is_asked_for_with_theme_dark(browser: PreviewBrowser) -> None:
    light = browser.render(as_page(html_answer("alert", {})))
    dark = browser.render(as_page(html_answer("alert", {}, theme="dark")))
    assert light.problems == []
    assert dark.problems == []
    assert light.png != dark.png


def test_a_renderer_file_that_is_not_the_pinned_one_is_refused(
    browser: PreviewBrowser, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The integrity hash holds: the same address with other bytes does not run.
    renderer = next(p for p in pinned_files() if p.path.endswith("adaptivecards.min.js"))
    forged = tmp_path / "adaptivecards.min.js"
    forged.write_text("window.AdaptiveCards = {};", encoding="utf-8")
    monkeypatch.setitem(browser._files, renderer.url, forged)
    from shared.preview.browser import PreviewFailedError

    with pytest.raises(PreviewFailedError, match="renderer did not load"):
        browser.render(as_page(html_answer("alert", {})))


@pytest.mark.parametrize(("key", "value"), [("format", "pdf"), ("theme", "blue")])
def test_an_unknown_format_or_theme_is_a_400(key: str, value: str) -> None:
    request = render_request("alert", {}, query={key: value})
    response = run(indexed().user_function("render")(request, Invocation("render")))
    assert response.status_code == 400
    body = json.loads(response.get_body())
    assert body["error"]["code"] == "invalid_parameter"
    assert key in body["error"]["message"]
