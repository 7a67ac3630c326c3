"""Card previews: every shipped template in both Teams themes, in one browser session.

Prints the browser's start time apart (Playwright + headless Chromium, until it can open a
window; no page is loaded before the clock starts), then for each of several rounds the total
time of all previews (each: render + PNG screenshot), and the median and slowest preview. The
first round of a session includes opening each theme's window and loading its page (parsing the
renderer); later rounds show the steady state. `--windows-first` opens the blank windows before
the rounds, `--warm` also loads each theme's page there: each is timed apart, as start-up. By
default the two themes render side by side, each in its own window, as `make preview` does, and
without the layout measures only `check --render` takes (`--layout` adds them; `--one-window`
renders one card after the other).
Goal: all previews in at most 2 s after the browser is up, on a 2-core machine.

    .venv/bin/python -m bench.preview [--rounds N] [--no-png] [--layout] [--one-window]
                                      [--windows-first] [--warm]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from shared import catalog
from shared.cli.common import expand
from shared.preview.browser import PreviewRequest, open_browser
from shared.preview.install import renderer_modules
from shared.preview.pins import THEMES

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-png", action="store_true", help="render without the screenshot")
    parser.add_argument(
        "--layout", action="store_true", help="also measure the layout (as check --render does)"
    )
    parser.add_argument(
        "--one-window", action="store_true", help="one card after the other, as before"
    )
    parser.add_argument(
        "--windows-first",
        action="store_true",
        help="open each theme's blank window before the rounds (timed apart: start-up)",
    )
    parser.add_argument(
        "--warm",
        action="store_true",
        help="load each theme's page before the rounds (timed apart: start-up, not previews)",
    )
    args = parser.parse_args()
    requests = [
        PreviewRequest(expand(name, catalog.get(name).sample_data), theme, title=name)
        for theme in THEMES
        for name in catalog.template_names()
    ]
    renderer_modules()  # installed before the clock starts
    start = time.perf_counter()
    with open_browser() as browser:
        started = time.perf_counter() - start
        print(f"browser start: {started:.2f} s (Playwright + headless Chromium, no page yet)")
        if args.windows_first:
            windows_start = time.perf_counter()
            browser.open_windows(THEMES)
            print(
                f"windows: {time.perf_counter() - windows_start:.2f} s (each theme's window "
                "opened, blank; not in the rounds below)"
            )
        if args.warm:
            warm_start = time.perf_counter()
            browser.warm(THEMES)
            print(
                f"warm-up: {time.perf_counter() - warm_start:.2f} s (each theme's window opened "
                "and its page loaded with a small card; not in the rounds below)"
            )
        print(f"{len(requests)} previews ({len(THEMES)} themes)")
        for round_number in range(1, args.rounds + 1):
            round_start = time.perf_counter()
            if args.one_window:
                renderings = [
                    browser.preview(
                        r.card,
                        theme=r.theme,
                        title=r.title,
                        screenshot=not args.no_png,
                        layout=args.layout,
                    )
                    for r in requests
                ]
            else:
                renderings = browser.preview_many(
                    requests, screenshot=not args.no_png, layout=args.layout
                )
            total = time.perf_counter() - round_start
            times = [
                (r.seconds, f"{q.title}-{q.theme}")
                for q, r in zip(requests, renderings, strict=True)
            ]
            median = statistics.median(t for t, _ in times)
            slowest, which = max(times)
            print(
                f"round {round_number}: total {total:.2f} s (goal 2 s), median "
                f"{median * 1000:.0f} ms per card, slowest {slowest * 1000:.0f} ms ({which})"
            )


if __name__ == "__main__":
    main()
