"""Checks on the rendered card that keep it readable (issue 16): text contrast, height, width.

Pure functions over what the preview page measured (`window.cardLayout()` in harness.js): each
visible text with its colour and the colour behind it, the card's height, and the elements that
reach outside the card.

- Contrast: WCAG 2.x contrast ratio of every text against its background, at least 4.5:1 (the
  minimum for normal text, success criterion 1.4.3), in both themes.
- Height: a card taller than its budget at the default width is read by scrolling, not at a glance.
- Width: at phone width (320 px) nothing may reach outside the card.
- Facts: the fact tables of one card share their label column, so that their values line up.
  The renderer sizes each FactSet's label column to its own labels: a card with several groups
  of facts writes them as rows of two columns with the same fixed-width label column (or as one
  FactSet). Checked at both widths.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from shared.cards import Problem
from shared.preview.page import DEFAULT_WIDTH
from shared.preview.pins import Theme

if TYPE_CHECKING:
    from shared.preview.browser import Rendering

__all__ = [
    "ALIGNMENT_TOLERANCE",
    "DEFAULT_HEIGHT_BUDGET",
    "HEIGHT_BUDGETS",
    "MIN_CONTRAST",
    "PHONE_WIDTH",
    "RENDER_PASSES",
    "RenderPass",
    "alignment_problems",
    "contrast",
    "contrast_problems",
    "height_problems",
    "overflow_problems",
]

MIN_CONTRAST: Final = 4.5
ALIGNMENT_TOLERANCE: Final = 1.0  # px: sub-pixel layout differences are not a misalignment
PHONE_WIDTH: Final = 320
DEFAULT_HEIGHT_BUDGET: Final = 900  # px at the default 450 px width
# Templates whose sample data is long by nature may have their own budget here.
HEIGHT_BUDGETS: Final[Mapping[str, int]] = {}


def _channel(value: float) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _luminance(rgb: Sequence[float]) -> float:
    red, green, blue = (_channel(v) for v in rgb[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(foreground: Sequence[float], background: Sequence[float]) -> float:
    """WCAG contrast ratio, 1 to 21."""
    light, dark = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def contrast_problems(layout: Mapping[str, Any], theme: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for text in layout.get("texts", []):
        ratio = contrast(text["colour"], text["background"])
        key = (text["path"], text["text"])
        if ratio >= MIN_CONTRAST or key in seen:
            continue
        seen.add(key)
        problems.append(
            Problem(
                text["path"],
                f'contrast: "{text["text"]}" is {ratio:.2f}:1 against its background in the '
                f"{theme} theme (at least {MIN_CONTRAST}:1)",
            )
        )
    return problems


def height_problems(layout: Mapping[str, Any], template: str) -> list[Problem]:
    budget = HEIGHT_BUDGETS.get(template, DEFAULT_HEIGHT_BUDGET)
    height = round(layout.get("height", 0))
    if height <= budget:
        return []
    return [Problem("$", f"height: the card is {height} px tall, over its budget of {budget} px")]


def overflow_problems(layout: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for element in layout.get("outside", []):
        if element["path"] in seen:
            continue
        seen.add(element["path"])
        beyond = max(element["right"], element["left"])
        problems.append(
            Problem(
                element["path"],
                f"width: reaches {beyond:.0f} px outside the card at {PHONE_WIDTH} px "
                "(phone) width",
            )
        )
    return problems


def alignment_problems(layout: Mapping[str, Any]) -> list[Problem]:
    """Each fact table (a FactSet, or a fact row: two columns, the first of a fixed width in
    pixels) whose values start elsewhere than the first one's."""
    tables = layout.get("facts", [])
    if len(tables) < 2:
        return []
    first = tables[0]
    problems: list[Problem] = []
    seen: set[str] = set()
    for table in tables[1:]:
        if abs(table["values"] - first["values"]) <= ALIGNMENT_TOLERANCE or table["path"] in seen:
            continue
        seen.add(table["path"])
        problems.append(
            Problem(
                table["path"],
                f"facts: this {table['type']}'s values start {table['values']:.0f} px from the "
                f"card's left edge, {first['values']:.0f} px in the {first['type']} at "
                f"{first['path']}: fact tables in one card share their label column (one FactSet, "
                "or fact rows with the same fixed-width label Column)",
            )
        )
    return problems


@dataclass(frozen=True)
class RenderPass:
    """One way `check --render` draws every card, and what it looks for in that drawing."""

    theme: Theme
    width: int
    problems: Callable[[Rendering, str], list[Problem]]  # (rendering, template) -> problems


def _light(rendering: Rendering, template: str) -> list[Problem]:
    # The renderer's own problems do not depend on the theme: reported once, here.
    return [
        *rendering.problems,
        *contrast_problems(rendering.layout, "light"),
        *height_problems(rendering.layout, template),
        *alignment_problems(rendering.layout),
    ]


def _phone(rendering: Rendering, template: str) -> list[Problem]:
    return [*overflow_problems(rendering.layout), *alignment_problems(rendering.layout)]


def _dark(rendering: Rendering, template: str) -> list[Problem]:
    return contrast_problems(rendering.layout, "dark")


RENDER_PASSES: Final = (
    RenderPass("light", DEFAULT_WIDTH, _light),
    RenderPass("light", PHONE_WIDTH, _phone),
    RenderPass("dark", DEFAULT_WIDTH, _dark),
)
