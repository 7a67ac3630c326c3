"""Card previews: every shipped template in both Teams themes, in one browser session.

Prints the browser's start time apart (Playwright + headless Chromium, until it can open a page),
then for each of several rounds the total time of all previews (each: render + PNG screenshot),
and the median and slowest preview. The first round of a session includes the first load of each
theme's page (parsing the renderer); later rounds show the steady state. Goal: all previews in at
most 2 s after the browser is up, on a 2-core machine.

    .venv/bin/python -m bench.preview [--rounds N] [--no-png]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

from shared import catalog
from shared.cli.common import expand
from shared.preview.browser import open_browser
from shared.preview.install import renderer_modules
from shared.preview.pins import THEMES

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-png", action="store_true", help="render without the screenshot")
    args = parser.parse_args()
    cards: list[tuple[str, Any]] = [
        (name, expand(name, catalog.get(name).sample_data)) for name in catalog.template_names()
    ]
    renderer_modules()  # installed before the clock starts
    start = time.perf_counter()
    with open_browser() as browser:
        started = time.perf_counter() - start
        print(f"browser start: {started:.2f} s (Playwright + headless Chromium)")
        print(
            f"{len(cards)} templates x {len(THEMES)} themes = {len(cards) * len(THEMES)} previews"
        )
        for round_number in range(1, args.rounds + 1):
            times: list[tuple[float, str]] = []
            round_start = time.perf_counter()
            for theme in THEMES:
                for name, card in cards:
                    t0 = time.perf_counter()
                    browser.preview(card, theme=theme, title=name, screenshot=not args.no_png)
                    times.append((time.perf_counter() - t0, f"{name}-{theme}"))
            total = time.perf_counter() - round_start
            median = statistics.median(t for t, _ in times)
            slowest, which = max(times)
            print(
                f"round {round_number}: total {total:.2f} s, median {median * 1000:.0f} ms per "
                f"card, slowest {slowest * 1000:.0f} ms ({which})"
            )


if __name__ == "__main__":
    main()
