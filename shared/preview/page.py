"""The preview page: a card, Teams' look, the renderer that draws it, and the problems list.

One page serves three uses: `POST /api/render/{template}?format=html` answers it to a person's
browser, `python -m shared preview --html` writes it, and the PNG previews and `check --render`
load it in headless Chromium (shared/preview/browser.py). So what a person sees, what the PNG
shows and what `check --render` reports come from the same renderer run.

The page loads only the pinned files (shared/preview/pins.py), each with its integrity hash, and
its Content-Security-Policy allows nothing else to run, style or connect: the card's JSON is data
(`type="application/json"`, never executed) and the one inline script and style sheet are allowed
by their SHA-256. Card images (`img-src https: data:`) are the card's own content, as in Teams.

The headless browser's copy of the page carries the pinned files inside it instead (`carried`:
each file's text, which the browser module checked against its pin's hash): the same bytes run,
allowed by their SHA-256 in the policy, and the page is one answer instead of a round trip through
Playwright's routing for each file and then for the host config (bench/README.md, "Card previews").
Pure: no I/O besides reading the harness script shipped next to this module, once.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from shared.preview.pins import (
    MARKDOWN,
    RENDERER,
    THEMES,
    PinnedFile,
    Theme,
    host_config,
    style_sheet,
)

__all__ = ["DEFAULT_WIDTH", "MAX_WIDTH", "MIN_WIDTH", "Page", "page_input", "preview_page"]

DEFAULT_WIDTH: Final = 450  # about a Teams channel message's card on a laptop
MIN_WIDTH: Final = 200
MAX_WIDTH: Final = 1200

# The page around the card, as the Designer's Teams container shows it.
_PAGE_COLOURS: Final[dict[Theme, tuple[str, str]]] = {
    "light": ("#F6F6F6", "#242424"),
    "dark": ("#201E1F", "#EEEEEE"),
}


@dataclass(frozen=True)
class Page:
    html: str
    content_security_policy: str


@functools.cache
def _harness() -> str:
    return (Path(__file__).parent / "harness.js").read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _script_json(value: Any) -> str:
    """JSON that cannot end its <script> element or start markup inside it."""
    text = json.dumps(value, ensure_ascii=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _style(theme: Theme, width: int) -> str:
    background, text = _PAGE_COLOURS[theme]
    return (
        f"body{{margin:0;padding:16px;background:{background};color:{text};"
        "font-family:'Segoe UI',system-ui,sans-serif;font-size:14px}"
        f"#frame{{box-sizing:border-box;width:{width}px;overflow:hidden}}"
        "#report{margin-top:16px;max-width:900px}"
        "#report h2{font-size:14px;margin:0 0 4px}"
        "#problems{margin:0;padding-left:20px;font-family:ui-monospace,monospace;font-size:12px}"
    )


def _inline(element: str, text: str) -> str:
    """`text` as the content of a <script> or <style> element. HTML ends such an element at its
    end tag whatever comes before it, and a script at `<script` inside `<!--` may not end at all:
    text that holds either is refused (the pinned files hold neither; a test reads them)."""
    tags = (f"</{element}", "<script") if element == "script" else (f"</{element}",)
    lowered = text.lower()
    for tag in tags:
        if tag in lowered:
            raise ValueError(f"a carried {element} holds {tag!r}")
    return f"<{element}>{text}</{element}>"


def page_input(card: Any, *, theme: Theme, width: int, problems: Sequence[str]) -> dict[str, Any]:
    """What the page's script renders: `window.cardPreview(input)` takes the same object."""
    config = host_config(theme)
    return {
        "card": card,
        "hostConfig": {"url": config.url, "integrity": config.integrity},
        "problems": list(problems),
        "width": width,
    }


def preview_page(
    card: Any,
    *,
    theme: Theme,
    width: int = DEFAULT_WIDTH,
    title: str,
    problems: Sequence[str] = (),
    carried: Mapping[PinnedFile, str] | None = None,
) -> Page:
    """The page showing `card` as Teams does in `theme`; `problems` are the checks' findings
    (`path: message`), listed before the ones the renderer adds when the page runs. `carried`:
    the pinned files' text, inside the page instead of loaded by it (every pinned file)."""
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ValueError(f"width must be {MIN_WIDTH} to {MAX_WIDTH} px, not {width}")
    config = host_config(theme)
    sheet = style_sheet(theme)
    style = _style(theme, width)
    harness = _harness()
    data = _script_json(page_input(card, theme=theme, width=width, problems=problems))
    listed = "".join(
        f'<li data-source="checks">{html.escape(problem, quote=False)}</li>' for problem in problems
    )
    name = html.escape(title)
    if carried is None:
        sheet_element = (
            f'<link rel="stylesheet" href="{sheet.url}" integrity="{sheet.integrity}" '
            'crossorigin="anonymous">'
        )
        scripts = "\n".join(
            f'<script src="{pin.url}" integrity="{pin.integrity}" crossorigin="anonymous"></script>'
            for pin in (MARKDOWN, RENDERER)
        )
        sources = {"script": f"{RENDERER.url} {MARKDOWN.url}", "style": sheet.url}
        connect = f"connect-src {config.url}"
    else:
        sheet_element = _inline("style", carried[sheet])
        scripts = "\n".join(_inline("script", carried[pin]) for pin in (MARKDOWN, RENDERER))
        # Every theme's host config, by the address the page would fetch it from: the page can
        # render a card in either theme without a request.
        configs = {host_config(t).url: json.loads(carried[host_config(t)]) for t in THEMES}
        scripts = (
            f'<script type="application/json" id="host-configs">{_script_json(configs)}</script>\n'
            + scripts
        )
        sources = {
            "script": f"{_sha256(carried[MARKDOWN])} {_sha256(carried[RENDERER])}",
            "style": _sha256(carried[sheet]),
        }
        connect = "connect-src 'none'"
    policy = "; ".join(
        [
            "default-src 'none'",
            f"script-src {_sha256(harness)} {sources['script']}",
            f"style-src {_sha256(style)} {sources['style']}",
            connect,
            "img-src https: data:",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    # In the page too, so that a saved copy opened from disk keeps the policy; framing is refused
    # by the header alone (browsers ignore frame-ancestors in a <meta>).
    document = f"""<!DOCTYPE html>
<html lang="en" data-theme="{theme}" data-preview-state="loading">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{html.escape(policy)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{name}: card preview ({theme})</title>
{sheet_element}
<style>{style}</style>
</head>
<body>
<div id="frame" class="teams-card"><div id="card"></div></div>
<section id="report">
<h2>Problems (<span id="count">{len(problems)}</span>)</h2>
<ul id="problems">{listed}</ul>
</section>
<script type="application/json" id="preview-input">{data}</script>
{scripts}
<script>{harness}</script>
</body>
</html>
"""
    return Page(document, f"{policy}; frame-ancestors 'none'")
