"""Delivery under Teams' rate limits: this product against a plain sequential sender, same run.

Sends 1,000 notifications over 20 webhooks (10 classic, 10 Workflows) to a loopback Teams stand-in
running in its own process, which enforces Teams' documented windows per webhook (4 in 1 s, 60 in
30 s, 100 in 3600 s, 150 in 7200 s, 1800 in 86400 s) and answers after 50 ms. Prints, for each
sender: total time, delivered and throttled answers (both counted from the stand-in's own records),
lost notifications, and the time against the shortest the windows allow.

Workload: alert storms, each webhook's 50 notifications arriving together (`--order bursts`), or
spread round-robin over the webhooks (`--order interleaved`).

A second run sends the same 1,000 notifications from 4 processes at once (Flex Consumption scaling
out), each with its own in-process limiter: once sharing Teams' windows through the table
(shared/state, Azurite on loopback started here), once without (the baseline: nothing keeps the
processes under the windows together). It prints the same figures, duplicates, the median and
p99 cost of reserving one shared slot (from asking to holding a booked send time: the booking's
table round trips, or none when an earlier booking of the process covered it; not the wait until
that time) beside the in-process limiter's, the table reads, writes, conflicts, bookings and
failed calls, and how close five arrivals on one webhook came (Teams throttles below 1 s).

    .venv/bin/python -m bench.delivery [--order bursts|interleaved] [--latency 0.05]
        [--processes 4] [--skip-naive] [--skip-shared] [--skip-baseline]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from devtools.azurite import Azurite
from devtools.teams_standin import Received, records_of, start_process
from shared.cards.envelope import to_message
from shared.config.settings import Settings
from shared.teams.client import aclose_client, http_client
from shared.teams.delivery import Delivery
from shared.teams.limiter import (
    TEAMS_WINDOWS,
    RateLimiter,
    shortest_schedule,
)

ROOT = Path(__file__).resolve().parent.parent

NOTIFICATIONS = 1000
WEBHOOKS = 20


@dataclass
class Figures:
    name: str
    seconds: float
    delivered: int
    throttled: int
    lost: int
    believed: int | None = None
    queued: int = 0
    duplicates: int = 0


def card(number: int) -> dict[str, Any]:
    return {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [{"type": "TextBlock", "text": f"bench notification {number:04d}", "wrap": True}],
    }


def webhook_urls(port: int, label: str) -> list[str]:
    urls = []
    for index in range(WEBHOOKS):
        if index % 2 == 0:
            urls.append(
                f"http://127.0.0.1:{port}/webhookb2/{label}{index:02d}@{secrets.token_hex(8)}"
                f"/IncomingWebhook/{secrets.token_hex(16)}/{secrets.token_hex(16)}"
            )
        else:
            urls.append(
                f"http://127.0.0.1:{port}/workflows/{label}{index:02d}{secrets.token_hex(8)}"
                "/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual"
                f"%2Frun&sv=1.0&sig={secrets.token_urlsafe(24)}"
            )
    return urls


def assignment(order: str) -> list[int]:
    """Which webhook each notification goes to, in arrival order."""
    per_webhook = NOTIFICATIONS // WEBHOOKS
    if order == "bursts":
        return [n // per_webhook for n in range(NOTIFICATIONS)]
    return [n % WEBHOOKS for n in range(NOTIFICATIONS)]


def tally(name: str, seconds: float, records: Sequence[Received], paths: set[str]) -> Figures:
    """Delivered and throttled from what the stand-in itself recorded for these webhooks."""
    mine = [r for r in records if r.path in paths]
    delivered = set()
    for record in mine:
        if record.outcome in ("delivered", "accepted"):
            text = json.loads(record.body)["attachments"][0]["content"]["body"][0]["text"]
            delivered.add(int(text.split()[-1]))
    throttled = sum(1 for r in mine if r.outcome == "throttled")
    posted = sum(1 for r in mine if r.outcome in ("delivered", "accepted"))
    return Figures(
        name,
        seconds,
        len(delivered),
        throttled,
        NOTIFICATIONS - len(delivered),
        duplicates=posted - len(delivered),
    )


async def product_run(
    urls: list[str], targets: list[int], budget: float, port: int
) -> tuple[float, int]:
    env = {"TEAMS_ALLOW_HOSTS": "127.0.0.1"}
    env.update({f"TEAMS_WEBHOOK_BENCH_{i:02d}": url for i, url in enumerate(urls)})
    settings = Settings.from_environ(env)
    # A warm instance: the shared client exists and its lazily imported transport is loaded (a
    # request to the stand-in's own records, which no webhook window counts).
    await http_client().get(f"http://127.0.0.1:{port}/_standin/records")
    started = time.monotonic()
    try:
        delivery = Delivery(settings)
        sends = [
            delivery.deliver(card(n), [f"bench-{target:02d}"], budget=budget)
            for n, target in enumerate(targets)
        ]
        results = [r for group in await asyncio.gather(*sends) for r in group]
    finally:
        await aclose_client()
    elapsed = time.monotonic() - started
    return elapsed, sum(1 for r in results if r.status == "queued")


def naive_run(urls: list[str], targets: list[int]) -> tuple[float, int]:
    """One POST after another, any 2xx taken for success, failures dropped."""
    believed = 0
    started = time.monotonic()
    with httpx.Client(timeout=10.0) as client:
        for n, target in enumerate(targets):
            try:
                response = client.post(urls[target], json=to_message(card(n)))
            except httpx.HTTPError:
                continue
            believed += response.is_success
    return time.monotonic() - started, believed


@dataclass
class SendersRun:
    """What the sender processes of one multi-process run reported."""

    seconds: float
    queued: int
    costs: list[float]
    """Each shared slot's cost: from asking to holding a booked send time (seconds), not the
    wait until that time."""
    reads: int
    writes: int
    conflicts: int
    bookings: int
    """Booking writes: each books the sends of every caller of one process then waiting."""
    booked: int
    confirm_waits: int
    """Posts that waited past their booked time for the answers of earlier sends."""
    late: int
    """Booked sends given up because their process woke far too late for them."""
    fallbacks: int
    """Table calls that failed (timed out), after which a process used its own limiter alone."""


def senders_run(
    urls: list[str],
    targets: list[int],
    processes: int,
    storage: str | None,
    budget: float,
) -> SendersRun:
    """`processes` sender processes (devtools/shared_sender.py), each with its own limiter,
    with or without the shared table."""
    start_at = time.time() + 4.0  # every process imported and warm before the first post
    specs = [
        {
            "storage": storage,
            "webhooks": urls,
            "numbers": [[n, t] for n, t in enumerate(targets) if n % processes == p],
            "windows": TEAMS_WINDOWS,
            "budget": budget,
            "start_at": start_at,
        }
        for p in range(processes)
    ]
    running = [
        subprocess.Popen(
            [sys.executable, "-m", "devtools.shared_sender", json.dumps(spec)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for spec in specs
    ]
    outputs = []
    for process in running:
        out, _ = process.communicate(timeout=600)
        outputs.append(json.loads(out.strip().splitlines()[-1]))
    return SendersRun(
        seconds=max(out["seconds"] for out in outputs),
        queued=sum(1 for out in outputs for s in out["statuses"].values() if s == "queued"),
        costs=[cost for out in outputs for cost in out["reservations"]],
        reads=sum(out["reads"] for out in outputs),
        writes=sum(out["writes"] for out in outputs),
        conflicts=sum(out["conflicts"] for out in outputs),
        bookings=sum(out["bookings"] for out in outputs),
        booked=sum(out["booked"] for out in outputs),
        confirm_waits=sum(out["confirm_waits"] for out in outputs),
        late=sum(out["late"] for out in outputs),
        fallbacks=sum(out["fallbacks"] for out in outputs),
    )


def tightest_second(urls: Sequence[str], records: Sequence[Received]) -> float:
    """The shortest time between a request's arrival at the stand-in and the 4th after it on the
    same webhook (Teams throttles below 1 s): how close the senders came to the 1-second window."""
    tightest = float("inf")
    for url in urls:
        path = httpx.URL(url).path
        arrivals = sorted(r.arrived for r in records if r.path == path)
        gaps = (arrivals[i + 4] - arrivals[i] for i in range(len(arrivals) - 4))
        tightest = min(tightest, *gaps, float("inf"))
    return tightest


def limiter_costs(count: int = 20_000) -> list[float]:
    """The in-process limiter's cost for one slot (acquire + finish) when the windows allow it."""
    limiter = RateLimiter(((10**9, 1.0),))

    async def measure() -> list[float]:
        costs = []
        for _ in range(count):
            started = time.perf_counter()
            slot = await limiter.acquire("bench")
            slot.finish()
            costs.append(time.perf_counter() - started)
        return costs

    return asyncio.run(measure())


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else 0.0


def print_table(figures: Sequence[Figures], shortest: float, width: int = 22) -> None:
    print(f"{'':<{width}}" + "".join(f"{f.name:>22}" for f in figures))
    rows: list[tuple[str, list[str]]] = [
        ("total time", [f"{f.seconds:.2f} s" for f in figures]),
        ("x shortest possible", [f"{f.seconds / shortest:.2f}" for f in figures]),
        ("delivered (stand-in)", [str(f.delivered) for f in figures]),
        ("throttled answers", [str(f.throttled) for f in figures]),
        ("lost", [str(f.lost) for f in figures]),
        ("duplicates", [str(f.duplicates) for f in figures]),
        ("queued for retry", [str(f.queued) if f.believed is None else "-" for f in figures]),
        (
            "sender thought sent",
            [str(f.believed) if f.believed is not None else "-" for f in figures],
        ),
    ]
    for label, values in rows:
        print(f"{label:<{width}}" + "".join(f"{v:>22}" for v in values))


def shared_runs(
    args: argparse.Namespace, targets: list[int], port: int
) -> tuple[list[Figures], SendersRun, float]:
    """The multi-process runs: with the shared table (Azurite here), then the baseline."""
    figures = []
    azurite = Azurite(in_memory=True).start()
    try:
        urls = webhook_urls(port, "s")
        run = senders_run(urls, targets, args.processes, azurite.connection_string, args.budget)
        records = records_of(port)
        paths = {httpx.URL(u).path for u in urls}
        shared = tally(f"{args.processes} procs, table", run.seconds, records, paths)
        shared.queued = run.queued
        figures.append(shared)
        gaps = tightest_second(urls, records)
    finally:
        azurite.close()
    if not args.skip_baseline:
        urls = webhook_urls(port, "b")
        baseline_run = senders_run(urls, targets, args.processes, None, args.budget)
        paths = {httpx.URL(u).path for u in urls}
        baseline = tally(
            f"{args.processes} procs, no table", baseline_run.seconds, records_of(port), paths
        )
        baseline.queued = baseline_run.queued
        figures.append(baseline)
    return figures, run, gaps


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--order", choices=["bursts", "interleaved"], default="bursts")
    parser.add_argument("--latency", type=float, default=0.05, help="stand-in answer delay (s)")
    parser.add_argument("--budget", type=float, default=120.0, help="delivery budget per call (s)")
    parser.add_argument("--skip-naive", action="store_true", help="run this product only")
    parser.add_argument("--processes", type=int, default=4, help="sender processes (second run)")
    parser.add_argument("--skip-shared", action="store_true", help="one process only")
    parser.add_argument(
        "--skip-baseline", action="store_true", help="second run with the table only"
    )
    args = parser.parse_args(argv)

    targets = assignment(args.order)
    per_webhook = max(targets.count(i) for i in range(WEBHOOKS))
    shortest = shortest_schedule(per_webhook, TEAMS_WINDOWS) + args.latency

    process, port = start_process(args.latency)
    shared: list[Figures] = []
    run: SendersRun | None = None
    gaps: float | None = None
    try:
        ours_urls = webhook_urls(port, "p")
        seconds, queued = asyncio.run(product_run(ours_urls, targets, args.budget, port))
        paths = {httpx.URL(u).path for u in ours_urls}
        ours = tally("this product", seconds, records_of(port), paths)
        ours.queued = queued
        figures = [ours]
        if not args.skip_naive:
            naive_urls = webhook_urls(port, "n")
            seconds, believed = naive_run(naive_urls, targets)
            paths = {httpx.URL(u).path for u in naive_urls}
            naive = tally("naive sequential", seconds, records_of(port), paths)
            naive.believed = believed
            figures.append(naive)
        if not args.skip_shared:
            shared, run, gaps = shared_runs(args, targets, port)
    finally:
        if process.stdin is not None:
            process.stdin.close()
        process.wait(timeout=10)

    print(
        f"delivery: {NOTIFICATIONS} notifications over {WEBHOOKS} webhooks (10 classic, "
        f"10 Workflows), stand-in answers after {args.latency * 1000:.0f} ms, order={args.order}"
    )
    print(
        f"shortest time Teams' windows allow: {shortest:.2f} s "
        f"({per_webhook} per webhook; 4 per second, 60 per 30 s, ...; plus one answer)"
    )
    print()
    print_table(figures, shortest)
    if shared and run is not None and gaps is not None:
        costs = run.costs
        print()
        print(
            f"second run: the same notifications from {args.processes} processes at once, each "
            "with its own in-process limiter; with the shared table (Azurite on loopback) and "
            "without it (baseline)"
        )
        print("goals with the table: <= 1.20x shortest, 0 throttled, 0 lost, 0 duplicates")
        print()
        print_table(shared, shortest)
        local = limiter_costs()
        print()
        print("cost of one slot                 median        p99")
        print(
            f"shared windows (booking)     {percentile(costs, 0.5) * 1000:9.2f} ms"
            f"{percentile(costs, 0.99) * 1000:9.2f} ms   ({len(costs)} reservations)"
        )
        print(
            f"in-process limiter           {percentile(local, 0.5) * 1000:9.3f} ms"
            f"{percentile(local, 0.99) * 1000:9.3f} ms   ({len(local)} slots)"
        )
        print()
        print(
            f"table: {run.reads} reads, {run.writes} writes ({run.conflicts} conflicts) for "
            f"{NOTIFICATIONS} posts; {run.bookings} bookings for {run.booked} sends; "
            f"{run.confirm_waits} posts waited past their booked time for earlier answers; "
            f"{run.late} booked sends given up as too late; {run.fallbacks} table calls failed "
            "(the process fell back to its own limiter for 5 s)"
        )
        print(
            f"tightest 5 arrivals on one webhook (with the table) spanned {gaps:.3f} s "
            "(Teams throttles below 1 s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
