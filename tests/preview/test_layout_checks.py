"""The readability checks of `check --render` (issue 16): text contrast from the rendered colours
in both themes, a height budget, and nothing outside the card at phone width."""

from __future__ import annotations

from typing import Any

import pytest

from shared import catalog
from shared.cli import main
from shared.preview import layout
from shared.preview.browser import PreviewBrowser
from shared.preview.pins import THEMES
from tests.support.templates import delivery_headers, payload, payload_names, render


def card(*body: dict[str, Any]) -> dict[str, Any]:
    return {"type": "AdaptiveCard", "version": "1.5", "body": list(body)}


def test_contrast_is_the_wcag_ratio() -> None:
    assert layout.contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21)
    assert layout.contrast((255, 255, 255), (255, 255, 255)) == pytest.approx(1)
    # #767676 on white is the classic 4.54:1, just readable.
    assert layout.contrast((0x76, 0x76, 0x76), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)


def test_coloured_status_text_on_a_status_header_is_found_in_both_themes(
    browser: PreviewBrowser,
) -> None:
    header = {
        "type": "Container",
        "style": "warning",
        "items": [{"type": "TextBlock", "text": "FIRING", "color": "warning", "weight": "Bolder"}],
    }
    for theme in THEMES:
        rendering = browser.preview(card(header), theme=theme)
        found = layout.contrast_problems(rendering.layout, theme)
        assert [p.path for p in found] == ["$.body[0].items[0]"]
        assert '"FIRING" is 1.' in found[0].message  # the issue measured 1.18:1
    plain = {**header, "items": [{"type": "TextBlock", "text": "FIRING", "weight": "Bolder"}]}
    for theme in THEMES:
        rendering = browser.preview(card(plain), theme=theme)
        assert layout.contrast_problems(rendering.layout, theme) == []


def test_a_card_over_its_height_budget_is_found(browser: PreviewBrowser) -> None:
    lines = [{"type": "TextBlock", "text": f"line {n}", "wrap": True} for n in range(60)]
    rendering = browser.preview(card(*lines), theme="light")
    [problem] = layout.height_problems(rendering.layout, "message")
    assert problem.path == "$"
    assert "over its budget of 900 px" in problem.message


def test_what_reaches_outside_the_card_at_phone_width_is_found(browser: PreviewBrowser) -> None:
    wide = {
        "type": "ColumnSet",
        "columns": [
            {"type": "Column", "width": "200px", "items": [{"type": "TextBlock", "text": "a"}]},
            {"type": "Column", "width": "200px", "items": [{"type": "TextBlock", "text": "b"}]},
        ],
    }
    rendering = browser.preview(card(wide), theme="light", width=layout.PHONE_WIDTH)
    found = layout.overflow_problems(rendering.layout)
    assert found, rendering.layout["outside"]
    assert all(p.path.startswith("$.body[0]") for p in found)
    assert "at 320 px (phone) width" in found[0].message
    assert layout.overflow_problems(browser.preview(card(wide), theme="light").layout) == []


def fact_row(title: str, value: str, label: str = "120px") -> dict[str, Any]:
    return {
        "type": "ColumnSet",
        "spacing": "None",
        "columns": [
            {"type": "Column", "width": label, "items": [{"type": "TextBlock", "text": title}]},
            {"type": "Column", "width": "stretch", "items": [{"type": "TextBlock", "text": value}]},
        ],
    }


def test_fact_tables_whose_values_do_not_line_up_are_found(browser: PreviewBrowser) -> None:
    # Each FactSet's label column is as wide as its own labels: these two do not line up.
    short = {"type": "FactSet", "facts": [{"title": "Team", "value": "shop"}]}
    long = {"type": "FactSet", "facts": [{"title": "Resource group", "value": "rg-shop"}]}
    for width in (layout.PHONE_WIDTH, 450):
        rendering = browser.preview(card(long, short), theme="light", width=width)
        [problem] = layout.alignment_problems(rendering.layout)
        assert problem.path == "$.body[1]"
        assert "fact tables in one card share their label column" in problem.message
    # Fact rows with one fixed-width label column line up, and so do they with each other inside
    # unstyled containers; a row with another label width does not.
    rows = card(
        fact_row("Resource group", "rg-shop"),
        {"type": "Container", "items": [fact_row("Team", "shop"), fact_row("On call", "x")]},
        fact_row("Window", "5 min", label="80px"),
    )
    rendering = browser.preview(rows, theme="light")
    assert [p.path for p in layout.alignment_problems(rendering.layout)] == ["$.body[2]"]
    # A FactSet beside the rows is measured too.
    mixed = browser.preview(card(long, fact_row("Team", "shop")), theme="light")
    [problem] = layout.alignment_problems(mixed.layout)
    assert problem.path == "$.body[1]"
    # One FactSet alone, or a hidden one, is nothing to line up with.
    hidden = {**short, "isVisible": False}
    assert (
        layout.alignment_problems(browser.preview(card(long, hidden), theme="light").layout) == []
    )


@pytest.mark.usefixtures("commands_share_the_browser")
@pytest.mark.parametrize("name", catalog.template_names())
def test_check_render_passes_the_shipped_template(
    capsys: pytest.CaptureFixture[str], name: str
) -> None:
    code = main(["check", "--render", name])
    out = capsys.readouterr().out
    assert code == 0, out


# Each payload fixture and the template that reads it, by the fixture's name.
TEMPLATE_OF_FIXTURE = {
    "alertmanager-": "alertmanager",
    "azure-devops-": "azure-devops",
    "azure-monitor-": "azure-monitor-alert",
    "github-": "github",
}


@pytest.mark.parametrize(
    ("template", "fixture"),
    [
        (template, fixture)
        for prefix, template in TEMPLATE_OF_FIXTURE.items()
        for fixture in payload_names(prefix)
    ],
)
def test_real_payloads_pass_the_checks_in_both_themes(
    browser: PreviewBrowser, template: str, fixture: str
) -> None:
    card = render(template, payload(fixture), headers=delivery_headers(fixture))
    found = [
        str(problem)
        for render_pass in layout.RENDER_PASSES
        for problem in render_pass.problems(
            browser.preview(card, theme=render_pass.theme, width=render_pass.width),
            template,
        )
    ]
    assert found == []


def test_every_payload_fixture_is_checked() -> None:
    checked = {f for prefix in TEMPLATE_OF_FIXTURE for f in payload_names(prefix)}
    assert checked
    assert checked == set(payload_names(""))
