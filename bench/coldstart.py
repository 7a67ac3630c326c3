"""Cold start: what importing function_app.py costs against the bare imports of its core packages.

Every cold request of a Functions instance starts a Python worker that imports function_app.py.
This measures, in one run and interleaved (so that the machine's drift hits both alike):

- `python -c "import azure.functions, httpx, pydantic"`: the three packages the app is built on;
- `python -c "import function_app"`: the app as deployed, with no schedule on;
- the same with both shipped schedules on (their timers are computed at import).

Each command runs in a fresh interpreter; wall time is measured around the process and peak memory
is the child's maximum resident set size (from wait4). The figures are medians of --runs runs after
one warm-up each (which also writes the .pyc files a deployment ships). Goal: the app's import at
most 1.3 times the bare imports, in time and in memory.

    .venv/bin/python -m bench.coldstart [--runs 15] [--check]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.3

BARE = "import azure.functions, httpx, pydantic"
APP = "import function_app"
SCHEDULES_ON = {
    "SCHEDULE_WEEKDAY_DIGEST": "true",
    "SCHEDULE_SERVICE_STATUS": "true",
    "TEAMS_DEFAULT_CHANNEL": "ops",
    "TEAMS_WEBHOOK_OPS": "https://contoso.webhook.office.com/webhookb2/bench",
    "SOURCE_ALLOW_HOSTS": "www.githubstatus.com",
}


@dataclass(frozen=True)
class Command:
    label: str
    code: str
    environ: dict[str, str]


@dataclass
class Samples:
    seconds: list[float]
    peak_kib: list[int]

    @property
    def time_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def memory_mib(self) -> float:
        return statistics.median(self.peak_kib) / 1024


def _environ(extra: dict[str, str]) -> dict[str, str]:
    # The app's own settings are left out so that the shell running the bench changes nothing.
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TEAMS_", "SCHEDULE_", "SOURCE_", "PYTHON"))
    }
    return {**base, **extra}


def measure(command: Command) -> tuple[float, int]:
    """Wall seconds and peak resident KiB of one fresh interpreter running the command."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", command.code],
        cwd=ROOT,
        env=command.environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _pid, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        assert child.stderr is not None
        raise SystemExit(f"{command.label} failed:\n{child.stderr.read().decode()}")
    if child.stderr is not None:
        child.stderr.close()
    child.returncode = 0  # reaped by wait4 above
    return elapsed, int(usage.ru_maxrss)  # KiB on Linux


def run(commands: list[Command], runs: int) -> dict[str, Samples]:
    samples = {c.label: Samples([], []) for c in commands}
    for command in commands:
        measure(command)  # warm-up: file cache and .pyc files
    for _ in range(runs):
        for command in commands:  # interleaved
            seconds, peak = measure(command)
            samples[command.label].seconds.append(seconds)
            samples[command.label].peak_kib.append(peak)
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=15, help="measured runs per command")
    parser.add_argument("--check", action="store_true", help=f"exit 1 when a ratio is above {GOAL}")
    args = parser.parse_args(argv)
    commands = [
        Command("bare: azure.functions + httpx + pydantic", BARE, _environ({})),
        Command("app: import function_app", APP, _environ({})),
        Command("app, both schedules on", APP, _environ(SCHEDULES_ON)),
    ]
    samples = run(commands, args.runs)
    bare = samples[commands[0].label]
    print(f"Python {sys.version.split()[0]}, {args.runs} runs each (median), interleaved")
    print(f"{'':44} {'wall ms':>8} {'ratio':>6} {'peak MiB':>9} {'ratio':>6}")
    worst = 0.0
    for command in commands:
        s = samples[command.label]
        time_ratio = s.time_ms / bare.time_ms
        memory_ratio = s.memory_mib / bare.memory_mib
        if command is not commands[0]:
            worst = max(worst, time_ratio, memory_ratio)
        print(
            f"{command.label:44} {s.time_ms:8.1f} {time_ratio:6.2f} "
            f"{s.memory_mib:9.1f} {memory_ratio:6.2f}"
        )
    verdict = "met" if worst <= GOAL else "missed"
    print(
        f"goal: the app's import at most {GOAL}x the bare imports: {verdict} (worst {worst:.2f}x)"
    )
    return 1 if args.check and worst > GOAL else 0


if __name__ == "__main__":
    sys.exit(main())
