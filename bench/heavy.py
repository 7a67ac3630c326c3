"""Heavy traffic on one instance: big alert groups and digests, Outgoing Webhook pings meanwhile.

Issue 10's figures, with its goals beside them. For each payload (Alertmanager groups of 100, 300
and 1,000 alerts, a 1,000-item digest) and each fan-out (one channel, ten channels), one
`POST /api/notify/{template}` goes through the function app's own `notify` function, in process,
while a signed Outgoing Webhook `ping` is sent to the same process every 10 ms; it reports the time
to answer and the pings' 99th percentile, each from when it was due (a held event loop shows
there). Two kinds of channel:

- outbox channels (`file://`), as in the issue's measurements: the time is the app's own work;
- channels on the loopback Teams stand-in (its own process, real HTTP): Teams' rate windows
  (4 requests per second per webhook) then bound a split card's time from below, and the figure
  shows it. Each run gets fresh webhooks, so one run's posts do not slow the next.

Last, the peak memory of a fresh process for the largest body the app accepts (1 MB), above that
process when idle.

    python -m bench.heavy [--rounds 3] [--skip-first] [--skip-standin] [--skip-memory]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devtools.alert_groups import alert_group, digest
from devtools.functions_host import (
    Invocation,
    Output,
    indexed,
    notify_request,
)
from devtools.outgoing import command_request, make_endpoint
from devtools.teams_standin import start_process

ROOT = Path(__file__).resolve().parent.parent

PING_EVERY = 0.010
PROBE_EVERY = 0.001
STALL_GOAL = 0.050
MAX_BODY = 1024 * 1024

# (label, template, data, channels, goal for the answer in seconds or None)
Case = tuple[str, str, Any, int, float | None]


def cases() -> list[Case]:
    out: list[Case] = []
    for count in (100, 300, 1000):
        for fan_out in (1, 10):
            goal = 0.5 if (count, fan_out) == (1000, 1) else None
            out.append((f"alertmanager, {count:,} alerts", "alertmanager", alert_group(count),
                        fan_out, goal))  # fmt: skip
    out.append(("digest, 1,000 items", "digest", digest(1000), 1, None))
    out.append(("digest, 1,000 items", "digest", digest(1000), 10, 1.0))
    return out


def configure(channel_urls: dict[str, str], standin: bool) -> None:
    for name in list(os.environ):
        if name.startswith(("TEAMS_", "SCHEDULE_", "SOURCE_")):
            del os.environ[name]
    for name, url in channel_urls.items():
        os.environ["TEAMS_WEBHOOK_" + name.upper()] = url
    os.environ["TEAMS_DELIVERY_BUDGET_SECONDS"] = "30"
    if standin:
        os.environ["TEAMS_ALLOW_HOSTS"] = "127.0.0.1"
    from shared.config.once import reset_configuration

    reset_configuration()


def p99(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


@dataclass(frozen=True)
class Run:
    answer: float
    """Seconds from the request to the answer."""
    ping_p99: float
    pings: int
    stall: float
    """The longest time the event loop did not run (seconds): see `stall_probe`."""
    body: Any
    stall_cpu_wait: float | None = None
    """About how much of `stall` the loop's thread spent waiting for a CPU (None where Linux's
    /proc/thread-self/schedstat is not there): a busy machine's share, not the app's. Read at
    the probe's wakes, so it spans the probe's millisecond of sleep too and may exceed it."""


# Linux: the thread's time on a CPU and its time waiting for one (run queue), in nanoseconds.
SCHEDSTAT = Path("/proc/thread-self/schedstat")


def cpu_wait() -> float | None:
    """Seconds this thread has waited for a CPU so far, or None where that is not known."""
    try:
        return int(SCHEDSTAT.read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


async def stall_probe(
    done: asyncio.Event, gaps: list[float], waits: dict[float, float] | None = None
) -> None:
    """Wake every millisecond and note how long past that the loop let us run: the longest
    note is the longest stretch the event loop was held (by CPU work on it, by the
    interpreter's lock kept by another thread, or by a machine too busy to give the loop's
    thread a CPU), to within the probe's own millisecond. `waits`, when given, gets for each
    gap over 10 ms the part of it the thread waited for a CPU (see `cpu_wait`)."""
    waited = cpu_wait()
    while not done.is_set():
        expected = time.perf_counter() + PROBE_EVERY
        await asyncio.sleep(PROBE_EVERY)
        gap = max(0.0, time.perf_counter() - expected)
        gaps.append(gap)
        if waits is not None and waited is not None:
            now = cpu_wait()
            if now is not None and gap > 0.010:
                waits[gap] = now - waited
            waited = now


async def one_run(template: str, body: bytes, channels: list[str]) -> Run:
    endpoint = make_endpoint()
    latencies: list[float] = []
    gaps: list[float] = []
    done = asyncio.Event()

    async def pinger() -> None:
        # Teams sends when it sends: a ping's latency runs from when it was due, so a ping due
        # while the event loop is held waits for the loop, as it would on a real instance.
        due = time.perf_counter()
        while not done.is_set():
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            request = command_request("ping")
            response = await endpoint.handle(request)
            finished = time.perf_counter()
            latencies.append(finished - due)
            assert response.status_code == 200
            due = max(due + PING_EVERY, finished)

    task = asyncio.create_task(pinger())
    waits: dict[float, float] = {}
    probe = asyncio.create_task(stall_probe(done, gaps, waits))
    await asyncio.sleep(0.05)
    request = notify_request(template, body, query={"channel": ",".join(channels)})
    output: Output[list[str]] = Output()
    started = time.perf_counter()
    response = await indexed().user_function("notify")(request, output, Invocation("notify"))
    elapsed = time.perf_counter() - started
    done.set()
    await task
    await probe
    from shared.teams.client import aclose_client

    await aclose_client()
    stall = max(gaps)
    return Run(
        elapsed,
        p99(latencies),
        len(latencies),
        stall,
        json.loads(response.get_body()),
        waits.get(stall, 0.0 if cpu_wait() is not None else None),
    )


def wait_text(wait: float | None) -> str:
    return f"{wait * 1000:>8.1f}" if wait is not None else f"{'-':>8}"


def summary(answer: Any) -> str:
    results = answer.get("results")
    if not isinstance(results, list):
        return str(answer.get("error", {}).get("code", "?"))
    first = results[0]
    parts = first["detail"].split(" in ")[-1].split(";")[0] if " in " in first["detail"] else "1"
    statuses = sorted({r["status"] for r in results})
    items = first.get("items")
    shown = f", {items['shown']} shown" if items else ""
    return f"{'/'.join(statuses)}, {parts.replace(' parts', '')} part(s){shown}"


def run_cases(kind: str, rounds: int, port: int | None) -> None:
    # The app indexed before any request, as the Functions worker does: indexed() first called
    # inside the first run imported function_app on the event loop the probe watches (23-60 ms
    # in the first case's figures, a stall of the benchmark, not of the app).
    indexed()
    print(f"\n{kind}")
    print(
        f"{'payload':<28}{'body':>9}{'channels':>10}{'answer s':>10}{'goal':>7}"
        f"{'ping p99 ms':>13}{'goal':>6}{'pings':>7}{'stall ms':>10}{'goal':>6}{'cpu wait':>9}"
        "  outcome"
    )
    run = 0
    for label, template, data, fan_out, goal in cases():
        body = json.dumps(data).encode()
        answers, pings, counts, stalls = [], [], [], []
        worst: Run | None = None
        outcome = ""
        for _ in range(rounds):
            run += 1
            with tempfile.TemporaryDirectory() as folder:
                if port is None:
                    urls = {f"c{n}": f"file://{folder}/c{n}" for n in range(fan_out)}
                else:
                    urls = {
                        f"c{n}": f"http://127.0.0.1:{port}/webhookb2/r{run}c{n}@t/IncomingWebhook/x/y"
                        for n in range(fan_out)
                    }
                configure(urls, standin=port is not None)
                result = asyncio.run(one_run(template, body, list(urls)))
            answers.append(result.answer)
            pings.append(result.ping_p99)
            counts.append(result.pings)
            stalls.append(result.stall)
            worst = result if worst is None or result.stall > worst.stall else worst
            outcome = summary(result.body)
        best = min(answers)
        worst_ping = max(pings)
        goal_text = f"{goal:g}" if goal is not None else "-"
        print(
            f"{label:<28}{len(body) / 1024:>7.0f}KB{fan_out:>10}{best:>10.2f}{goal_text:>7}"
            f"{worst_ping * 1000:>13.1f}{100:>6}{statistics.median(counts):>7.0f}"
            f"{max(stalls) * 1000:>10.1f}{STALL_GOAL * 1000:>6.0f}"
            f"{wait_text(worst.stall_cpu_wait if worst else None):>9}  {outcome}"
        )


# Run with cwd=ROOT: `python -c` puts the working directory first on sys.path.
FIRST_CHILD = """
from bench.heavy import first_request_child
first_request_child({folder!r})
"""


def first_request_child(folder: str) -> None:
    """In a fresh process, as the Functions worker leaves it once it has indexed the app: its
    first notification is the 1,000-alert group (imports, template and schema compiles)."""
    indexed()
    configure({"c0": f"file://{folder}/c0"}, standin=False)
    body = json.dumps(alert_group(1000)).encode()
    result = asyncio.run(one_run("alertmanager", body, ["c0"]))
    figures = {
        "answer": result.answer,
        "ping_p99": result.ping_p99,
        "stall": result.stall,
        "wait": result.stall_cpu_wait,
    }
    print(json.dumps({**figures, "pings": result.pings, "outcome": summary(result.body)}))


def run_first_requests(rounds: int) -> None:
    print(
        "\nfirst request of a fresh process: 1,000 alerts (755 KB), 1 outbox channel, "
        "one process per run"
    )
    print(
        f"{'run':<6}{'answer s':>10}{'ping p99 ms':>13}{'goal':>6}{'stall ms':>10}{'goal':>6}"
        f"{'cpu wait':>9}"
    )
    for run in range(1, rounds + 1):
        with tempfile.TemporaryDirectory() as folder:
            result = subprocess.run(
                [sys.executable, "-c", FIRST_CHILD.format(folder=folder)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
        if result.returncode != 0:
            print(result.stderr[-2000:])
            raise SystemExit("the first-request run failed")
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        print(
            f"{run:<6}{figures['answer']:>10.2f}{figures['ping_p99'] * 1000:>13.1f}{100:>6}"
            f"{figures['stall'] * 1000:>10.1f}{STALL_GOAL * 1000:>6.0f}"
            f"{wait_text(figures['wait']):>9}  {figures['outcome']}"
        )


MEMORY_CHILD = """
from bench.heavy import memory_child
memory_child({folder!r}, {body!r})
"""


def rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def largest_group() -> bytes:
    """The largest alert group within the app's 1 MB body limit, as bytes."""
    low, high = 1, 4096
    while low < high:
        middle = (low + high + 1) // 2
        if len(json.dumps(alert_group(middle))) <= MAX_BODY:
            low = middle
        else:
            high = middle - 1
    return json.dumps(alert_group(low)).encode()


def memory_child(folder: str, body_file: str) -> None:
    """In a fresh process: the RSS when idle (after a small notify), then the peak for the body
    the parent wrote to `body_file` (built there, so that its making does not count here)."""
    configure({"ops": f"file://{folder}/ops"}, standin=False)
    started = rss_kb("VmRSS")
    asyncio.run(one_notify(json.dumps(alert_group(2)).encode()))
    body = Path(body_file).read_bytes()
    idle = rss_kb("VmRSS")
    # Sampled rather than read from VmHWM, which cannot be reset in every container.
    samples = [idle]
    running = threading.Event()
    running.set()

    def sample() -> None:
        while running.is_set():
            samples.append(rss_kb("VmRSS"))
            time.sleep(0.002)

    sampler = threading.Thread(target=sample)
    sampler.start()
    status = asyncio.run(one_notify(body))
    running.clear()
    sampler.join()
    peak = max(samples)
    alerts = len(json.loads(body)["alerts"])
    figures = {
        "alerts": alerts,
        "bytes": len(body),
        "started": started,
        "idle": idle,
        "peak": peak,
        "status": status,
    }
    print(json.dumps(figures))


async def one_notify(body: bytes) -> int:
    request = notify_request("alertmanager", body, query={"channel": "ops"})
    output: Output[list[str]] = Output()
    response = await indexed().user_function("notify")(request, output, Invocation("notify"))
    return int(response.status_code)


def run_memory() -> None:
    with tempfile.TemporaryDirectory() as folder:
        body_file = Path(folder) / "body.json"
        body_file.write_bytes(largest_group())
        code = MEMORY_CHILD.format(folder=folder, body=str(body_file))
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
        )
    if result.returncode != 0:
        print(result.stderr[-2000:])
        raise SystemExit("the memory run failed")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    above = (figures["peak"] - figures["idle"]) / 1024
    above_start = (figures["peak"] - figures["started"]) / 1024
    print(
        f"\nmemory: an alert group of {figures['alerts']:,} alerts ({figures['bytes']:,} bytes, "
        f"answered {figures['status']}): peak {above:.0f} MB above the idle process after one "
        f"small notification ({figures['idle'] / 1024:.0f} MB), {above_start:.0f} MB above the "
        f"process before its first notification ({figures['started'] / 1024:.0f} MB: the first "
        "one imports the engine and compiles the schema); goal <= 200 MB"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="runs per case (best answer shown)")
    parser.add_argument("--skip-standin", action="store_true")
    parser.add_argument("--skip-first", action="store_true", help="no fresh-process runs")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args(argv)
    print(
        "answer s: best of the rounds; ping p99: worst round; goals from issue 10 "
        "(1,000 alerts to one channel <= 0.5 s, 1,000 items to ten channels <= 1 s, "
        "ping p99 <= 100 ms throughout, the event loop never held over 50 ms); stall: the "
        "longest stretch the event loop did not run, worst round; cpu wait: about how many ms "
        "of that stall the loop's thread waited for a CPU (a busy machine's share, not the app's)"
    )
    if not args.skip_first:
        run_first_requests(args.rounds)
    run_cases("outbox channels (file://)", args.rounds, None)
    if not args.skip_standin:
        process, port = start_process()
        try:
            run_cases("Teams stand-in channels (loopback HTTP, Teams' rate windows)", 1, port)
        finally:
            assert process.stdin is not None
            process.stdin.close()
            process.wait(timeout=10)
    if not args.skip_memory:
        run_memory()
    return 0


if __name__ == "__main__":
    sys.exit(main())
