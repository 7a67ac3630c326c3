"""Template expansion speed: our engine against Microsoft's official JS SDK, same run.

For each shipped template (with its sample data), and each real-world template of the
differential corpus (lines starting "rw:"), prints expansions per second and the
99th-percentile time of one expansion, for a compiled template reused and for a template
parsed from scratch each time, and the same two figures for the official SDK under Node.

    .venv/bin/python -m bench.render [--iterations N] [--rounds N] [--only TEXT ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from devtools.sdk import reference
from shared.cards import compile_template

ROOT = Path(__file__).resolve().parent.parent

HOST = {"now": "2026-01-02T03:04:05Z", "channel": "ops", "template": "", "app": "teams-notify"}


def measure(run: Callable[[], Any], iterations: int) -> dict[str, float]:
    for _ in range(min(200, iterations)):
        run()
    times = []
    clock = time.perf_counter
    start = clock()
    for _ in range(iterations):
        t0 = clock()
        run()
        times.append((clock() - t0) * 1e6)
    total = clock() - start
    times.sort()
    return {"per_second": iterations / total, "p99_us": times[int(iterations * 0.99)]}


def best(
    old: dict[str, dict[str, float]] | None, new: dict[str, dict[str, float]]
) -> dict[str, dict[str, float]]:
    if old is None:
        return new
    return {mode: max(old[mode], new[mode], key=lambda f: f["per_second"]) for mode in new}


def shipped() -> list[dict[str, Any]]:
    folder = ROOT / "shared" / "templates"
    cases = []
    for sample in sorted(folder.glob("*.data.json")):
        name = sample.name.removesuffix(".data.json")
        cases.append(
            {
                "name": name,
                "template": json.loads((folder / f"{name}.json").read_text("utf-8")),
                "data": json.loads(sample.read_text("utf-8")),
                "host": {**HOST, "template": name},
            }
        )
    return cases


def real_world() -> list[dict[str, Any]]:
    """The differential corpus's real-world set (group "real-world" in
    tests/conformance/cases.json: public sample templates, each naming its source)."""
    cases = json.loads((ROOT / "tests" / "conformance" / "cases.json").read_text("utf-8"))
    return [
        {
            "name": "rw: " + case["name"].split(":")[0],
            "template": case["template"],
            "data": case["data"],
            "host": case["host"],
        }
        for case in cases
        if case["group"] == "real-world"
    ]


def sdk_figures(cases: list[dict[str, Any]], iterations: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        modules = reference.install(Path(folder))
        result = subprocess.run(
            ["node", str(ROOT / "bench" / "render.js"), str(modules), str(iterations)],
            input=json.dumps(cases),
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **reference.NODE_ENV},
        )
    figures: dict[str, Any] = json.loads(result.stdout)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="TEXT",
        help="only the templates whose name contains one of these (a full run takes long)",
    )
    args = parser.parse_args()
    cases = shipped() + real_world()
    if args.only:
        cases = [case for case in cases if any(text in case["name"] for text in args.only)]
    ours: dict[str, dict[str, dict[str, float]]] = {}
    sdk: dict[str, Any] = {}
    # Both engines run in alternating rounds and each keeps its best round, so a burst of
    # other work on the machine does not land on one side only.
    for _ in range(args.rounds):
        for case in cases:
            compiled = compile_template(case["template"])
            template, data, host = case["template"], case["data"], case["host"]
            figures = {
                "reused": measure(lambda: compiled.expand(data, host), args.iterations),  # noqa: B023
                "parsed": measure(
                    lambda: compile_template(template).expand(data, host),  # noqa: B023
                    max(args.iterations // 5, 100),
                ),
            }
            ours[case["name"]] = best(ours.get(case["name"]), figures)
        for name, figures in sdk_figures(cases, args.iterations).items():
            sdk[name] = best(sdk.get(name), figures)

    header = (
        f"{'template':<22}{'mode':<8}{'python/s':>11}{'p99 µs':>9}"
        f"{'sdk/s':>11}{'p99 µs':>9}{'ratio':>8}"
    )
    print(
        f"best of {args.rounds} rounds; {args.iterations} expansions per reused figure, "
        f"{max(args.iterations // 5, 100)} per parsed one; Python {sys.version.split()[0]}"
    )
    print(header)
    print("-" * len(header))
    ratios: dict[tuple[str, str], list[float]] = {}
    for case in cases:
        name = case["name"]
        kind = "real-world" if name.startswith("rw: ") else "shipped"
        for mode in ("reused", "parsed"):
            mine, theirs = ours[name][mode], sdk[name][mode]
            ratio = mine["per_second"] / theirs["per_second"]
            ratios.setdefault((kind, mode), []).append(ratio)
            print(
                f"{name:<22}{mode:<8}{mine['per_second']:>11,.0f}{mine['p99_us']:>9.0f}"
                f"{theirs['per_second']:>11,.0f}{theirs['p99_us']:>9.0f}{ratio:>7.1f}x"
            )
    for (kind, mode), values in ratios.items():
        print(f"throughput ratio, {kind} {mode}: min {min(values):.1f}x, max {max(values):.1f}x")


if __name__ == "__main__":
    main()
