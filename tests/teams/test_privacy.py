"""Webhook URLs are secrets: no log line, error, exception or result holds one or a part of one.

Every logger is captured at DEBUG, httpx and httpcore included (httpx logs full request URLs at
INFO and httpcore names hosts at DEBUG), over every failure path delivery has.
"""

from __future__ import annotations

import json
import logging
import traceback
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from azure.functions.queue import QueueMessage

from devtools.delivery import run
from devtools.teams_standin import Answer, TeamsStandIn, closed_port
from shared.config.settings import Settings
from shared.teams.client import http_client
from shared.teams.delivery import Delivery, DeliveryResult, RetryPolicy
from shared.teams.limiter import RateLimiter
from shared.teams.redact import install_log_scrubbing, scrub
from shared.teams.redelivery import redeliver

POLICY = RetryPolicy(base=0.05, cap=0.1, min_attempt=0.1, read_timeout=0.4)
CARD: dict[str, Any] = {
    "type": "AdaptiveCard",
    "version": "1.5",
    "body": [{"type": "TextBlock", "text": "hello"}],
}
MESSAGE_CARD = {"@type": "MessageCard", "summary": "s", "text": "hello"}
SIG = "c2VjcmV0LXNpZ25hdHVyZS12YWx1ZS0xMjM0NTY3ODk"


@dataclass(frozen=True)
class Span:
    path: tuple[str | int, ...]
    start: int
    stop: int


def secret_parts(url: str) -> set[str]:
    """The URL, its host:port, its path, every long path segment and every long query value."""
    parts = urlsplit(url)
    found = {url, parts.netloc, parts.path}
    found |= {segment for segment in parts.path.split("/") if len(segment) >= 12}
    found |= {value for _, value in parse_qsl(parts.query) if len(value) >= 12}
    return {part for part in found if part}


def exception_texts(error: BaseException) -> list[str]:
    texts = [str(error), repr(error), "".join(traceback.format_exception(error))]
    cause: BaseException | None = error
    while cause is not None:
        texts.append(repr(cause))
        cause = cause.__cause__ or cause.__context__
    return texts


def result_texts(results: list[DeliveryResult]) -> list[str]:
    texts = []
    for result in results:
        texts += [repr(result), result.detail, json.dumps(result.to_dict()), *result.queue_messages]
        if result.error is not None:
            texts += exception_texts(result.error)
    return texts


def test_no_url_or_part_of_one_leaks_on_any_failure_path(
    teams: TeamsStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    urls = {
        "throttled": teams.url("classic"),
        "retry-after": teams.url("workflows"),
        "bad-payload": teams.url("classic"),
        "server-error": teams.url("workflows"),
        "reset": teams.url("classic"),
        "slow": teams.url("workflows"),
        "ok": teams.url("classic"),
        "flow": teams.url("workflows"),
        "down": f"http://127.0.0.1:{closed_port()}/webhookb2/g0a1b2c3d4e5f6@t9/IncomingWebhook/"
        f"aa11bb22cc33dd44ee55/ff66aa77bb88cc99",
    }
    refused = {
        "evil": f"https://evil.example.com/webhookb2/abcdef0123456789?sig={SIG}",
        "plain": f"http://teams.internal.example/webhookb2/0123456789abcdef?sig={SIG}x",
        "vault": "@Microsoft.KeyVault(SecretUri=https://kv-secret-name.vault.azure.net/secrets/teams-"
        "webhook-vault/0123456789abcdef)",
    }
    env = {
        "TEAMS_ALLOW_HOSTS": "127.0.0.1,teams.internal.example",
        "TEAMS_REDELIVERY_BUDGET_SECONDS": "0.6",
    }
    for name, url in {**urls, **refused}.items():
        env[f"TEAMS_WEBHOOK_{name.upper().replace('-', '_')}"] = url
    settings = Settings.from_environ(env)
    assert len(settings.problems) == 3

    teams.script(urls["throttled"], *[Answer.wrapped(429)] * 50)
    teams.script(urls["retry-after"], Answer.throttled(retry_after="30"))
    teams.script(urls["bad-payload"], Answer.bad_payload())
    teams.script(urls["server-error"], *[Answer.server_error()] * 50)
    teams.script(urls["reset"], *[Answer.connection_reset()] * 50)
    teams.script(urls["slow"], *[Answer.slow(1.0)] * 50)

    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)

    limiter = RateLimiter()
    big = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [{"type": "TextBlock", "text": "x" * 30_000}],
    }

    async def everything() -> tuple[list[DeliveryResult], list[str]]:
        channels = [*urls, *refused, "nope", urls["flow"]]  # a URL given as a channel name
        delivery = Delivery(settings, policy=POLICY, limiter=limiter)
        results = await delivery.deliver(CARD, channels, budget=1.2)
        results += await delivery.deliver(MESSAGE_CARD, ["flow"])
        results += await delivery.deliver(big, ["ok"], repeats=[Span(("body",), 0, 1)])
        raised: list[str] = []
        for result in results:
            for body in result.queue_messages:
                try:
                    await redeliver(
                        QueueMessage(id="q", body=body.encode(), dequeue_count=2),  # type: ignore[no-untyped-call]
                        delivery=delivery,
                    )
                except Exception as error:
                    raised += exception_texts(error)
        return results, raised

    results, raised = run(everything())

    statuses = {r.channel: r.status for r in results[: len(urls)]}
    assert statuses["ok"] == "delivered"
    assert [r.status for r in results[-2:]] == ["failed", "failed"]  # MessageCard, too large
    assert {statuses[n] for n in ("throttled", "server-error", "down", "retry-after")} == {"queued"}
    assert statuses["bad-payload"] == "failed"
    assert raised  # redelivery raised for the channels still failing

    records = caplog.records
    assert any(r.name == "httpx" for r in records), "httpx was not exercised at DEBUG"
    assert any(r.name.startswith("httpcore") for r in records), "httpcore was not exercised"
    formatter = logging.Formatter()
    logged = [formatter.format(record) for record in records]

    texts = logged + result_texts(results) + raised
    secrets = set().union(*(secret_parts(url) for url in {**urls, **refused}.values()))
    secrets |= {SIG, "kv-secret-name"}
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"{secret!r} leaked in: {text[:300]}"


def test_httpx_loggers_are_kept_at_warning_unless_someone_chose_a_level() -> None:
    logger = logging.getLogger("httpx")
    before = logger.level
    try:
        logger.setLevel(logging.NOTSET)
        install_log_scrubbing()
        assert logger.level == logging.WARNING
        logger.setLevel(logging.DEBUG)
        install_log_scrubbing()
        assert logger.level == logging.DEBUG  # an explicit choice stays; the filter still scrubs
    finally:
        logger.setLevel(before)


def test_the_scrubber_replaces_urls_hosts_and_signatures() -> None:
    line = (
        "HTTP Request: POST https://contoso.webhook.office.com/webhookb2/abc "
        "connect_tcp.started host='contoso.webhook.office.com' port=443 sig=Zm9v&sv=1.0"
    )
    cleaned = scrub(line)
    assert "contoso" not in cleaned
    assert "Zm9v" not in cleaned
    assert "port=443" in cleaned


def test_a_client_request_logged_by_httpx_is_scrubbed(
    teams: TeamsStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    url = teams.url("workflows")
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")

    async def post() -> None:
        await http_client().post(url, json={"type": "message"})

    run(post())
    [request_line] = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert request_line.startswith("HTTP Request: POST <url redacted>")
    assert url not in request_line
