"""`python -m shared.preview.gallery PREVIEWS [PICTURES]` (`make preview`): every shipped template
with its sample data, drawn in both Teams themes.

PREVIEWS (`previews/`, ignored by git) gets each render as it is, `NAME-THEME.png`. PICTURES
(`docs/images/templates/`, committed) gets the pictures the README and docs/templates.md show:
every template in the light theme and `DARK_TOO` in the dark one as well, rendered at a narrower
width and reduced to a small palette so that the repository stays light.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from PIL import Image

from shared import catalog
from shared.cards.check import Target, check_card
from shared.preview.browser import PreviewRequest, open_browser
from shared.preview.pins import THEMES

__all__ = ["DARK_TOO", "PICTURE_WIDTH", "main"]

PICTURE_WIDTH: Final = 400
DARK_TOO: Final = ("alert", "build-status")
_COLOURS: Final = 64
# The pictures show this moment as "now", so that making them again changes nothing but the looks.
PICTURE_TIME: Final = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)


def small_png(png: bytes) -> bytes:
    """The picture in at most 64 colours: a card's flat colours survive, a third of the bytes."""
    with Image.open(io.BytesIO(png)) as image:
        reduced = image.convert("RGB").quantize(colors=_COLOURS, method=Image.Quantize.MEDIANCUT)
        out = io.BytesIO()
        reduced.save(out, format="PNG", optimize=True)
        return out.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not 1 <= len(args) <= 2:
        print("usage: python -m shared.preview.gallery PREVIEWS [PICTURES]", file=sys.stderr)
        return 2
    previews = Path(args[0])
    pictures = Path(args[1]) if len(args) == 2 else None
    previews.mkdir(parents=True, exist_ok=True)
    if pictures is not None:
        pictures.mkdir(parents=True, exist_ok=True)
    problems = 0
    requests: list[PreviewRequest] = []
    folders: list[Path] = []  # where each request's PNG goes
    for theme in THEMES:
        for name in catalog.template_names():
            info = catalog.get(name)
            host = catalog.host_object(name, None, PICTURE_TIME)
            card = catalog.compiled(name).expand(info.sample_data, host, strict=True)
            target: Target = "reply" if info.options.get("target") == "reply" else "incoming"
            found = [str(p) for p in check_card(card, target)]
            for problem in found:
                print(f"{name} ({theme}): {problem}", file=sys.stderr)
                problems += 1
            requests.append(PreviewRequest(card, theme, title=name, problems=found))
            folders.append(previews)
            if pictures is not None and (theme == "light" or name in DARK_TOO):
                requests.append(
                    PreviewRequest(card, theme, PICTURE_WIDTH, title=name, problems=found)
                )
                folders.append(pictures)
    with open_browser() as browser:
        # Both themes at once, each in its own window; no layout measures (check --render's).
        renderings = browser.preview_many(requests, layout=False)
    for request, folder, rendering in zip(requests, folders, renderings, strict=True):
        name = request.title
        if folder is not previews:
            (folder / f"{name}-{request.theme}.png").write_bytes(small_png(rendering.png))
            continue
        (folder / f"{name}-{request.theme}.png").write_bytes(rendering.png)
        for problem in map(str, rendering.problems):
            print(f"{name} ({request.theme}): {problem}", file=sys.stderr)
            problems += 1
    print(f"wrote {previews}/" + (f" and {pictures}/" if pictures else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
