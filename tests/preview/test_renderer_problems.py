"""What the renderer drops or warns about comes back as problems with the card's JSON path."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared import catalog
from shared.cli import main
from shared.cli.common import EXIT_PROBLEMS
from shared.preview.browser import PreviewBrowser


def card(*body: dict[str, Any]) -> dict[str, Any]:
    return {"type": "AdaptiveCard", "version": "1.5", "body": list(body)}


TEXT = {"type": "TextBlock", "text": "Disk almost full", "wrap": True}
UNKNOWN = card(TEXT, {"type": "Container", "items": [TEXT, {"type": "Gauge", "value": 93}]})
BAD_SIZE = card(TEXT, {"type": "TextBlock", "text": "93 %", "size": "huge"})


def test_an_unknown_element_type_is_a_problem_at_its_path(browser: PreviewBrowser) -> None:
    rendering = browser.preview(UNKNOWN, theme="light")
    assert [(p.path, p.message) for p in rendering.problems] == [
        (
            "$.body[1].items[1]",
            'renderer: Unknown element type "Gauge". Fallback will be used if present.',
        )
    ]
    assert rendering.listed == [str(problem) for problem in rendering.problems]


def test_an_invalid_size_is_a_problem_at_the_property(browser: PreviewBrowser) -> None:
    rendering = browser.preview(BAD_SIZE, theme="dark")
    assert [(p.path, p.message) for p in rendering.problems] == [
        ("$.body[1].size", 'renderer: Invalid value "huge" for property "size".')
    ]


def test_an_element_newer_than_teams_renders_is_a_problem(browser: PreviewBrowser) -> None:
    # Teams renders up to 1.5: Table (1.5) is fine, a 1.6 property is dropped.
    newer = card({"type": "TextBlock", "text": "x", "style": "heading"}, {"type": "Table"})
    rendering = browser.preview(newer, theme="light")
    assert rendering.problems == []
    carousel = card(TEXT, {"type": "Carousel", "pages": []})
    rendering = browser.preview(carousel, theme="light")
    assert [p.path for p in rendering.problems] == ["$.body[1]"]
    assert "Carousel" in rendering.problems[0].message


@pytest.fixture
def broken_templates(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """The shipped templates plus two whose cards the renderer objects to."""
    folder = tmp_path / "templates"
    shutil.copytree(catalog.TEMPLATES_DIR, folder)
    entries = json.loads((folder / "catalog.json").read_text(encoding="utf-8"))
    for name, template in (("unknown-element", UNKNOWN), ("bad-size", BAD_SIZE)):
        (folder / f"{name}.json").write_text(json.dumps(template), encoding="utf-8")
        (folder / f"{name}.data.json").write_text("{}", encoding="utf-8")
        entries[name] = {"description": f"a card with {name}"}
    (folder / "catalog.json").write_text(json.dumps(entries), encoding="utf-8")
    monkeypatch.setattr(catalog, "TEMPLATES_DIR", folder)
    monkeypatch.setattr(catalog, "CATALOG_FILE", folder / "catalog.json")
    clear = [catalog._catalog, catalog._files, catalog._compiled]
    for cached in clear:
        cached.cache_clear()
    yield
    for cached in clear:
        cached.cache_clear()


@pytest.mark.usefixtures("broken_templates", "commands_share_the_browser")
@pytest.mark.parametrize(
    ("name", "line"),
    [
        (
            "unknown-element",
            '    $.body[1].items[1]: renderer: Unknown element type "Gauge". '
            "Fallback will be used if present.",
        ),
        ("bad-size", '    $.body[1].size: renderer: Invalid value "huge" for property "size".'),
    ],
)
def test_check_render_reports_them_and_exits_1(
    capsys: pytest.CaptureFixture[str], name: str, line: str
) -> None:
    code = main(["check", "--render", name])
    out = capsys.readouterr().out
    assert code == EXIT_PROBLEMS
    assert line in out.splitlines()
