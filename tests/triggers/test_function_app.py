"""function_app.py as the Functions host sees it: indexed once, every trigger and binding as
declared, every function called with the worker's own classes, against a loopback Teams stand-in.
"""

import json
import logging
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest
from azure.functions.timer import TimerRequest

from devtools.teams_standin import TeamsStandIn
from shared.config.once import reset_configuration
from shared.schedules import run as schedule_run
from shared.schedules.entries import read_schedules
from shared.teams.redelivery import RedeliveryPending
from tests.support.function_app import (
    Invocation,
    Output,
    as_queue_message,
    call_notify,
    configure,
    indexed,
    notify_request,
    queue_messages,
    run,
    worker_accepts,
)
from tests.support.paths import ROOT

EXPECTED_FUNCTIONS = {
    "notify",
    "render",
    "templates",
    "health",
    "teams_outgoing",
    "notifications_retry",
    "notifications_dead_letter",
    "state_purge",
    "schedule_weekday_digest",
    "schedule_service_status",
    "subscriptions_sweeper",
    "connect_page",
    "connect_assets",
    "connect_offer",
    "connect_places",
    "connect_subscriptions",
    "connect_subscription",
    "connect_pause",
    "connect_resume",
}


# --- indexing -------------------------------------------------------------------------------------


def test_the_host_finds_every_function() -> None:
    # Both shipped schedules are on in the settings the app was indexed under.
    assert set(indexed().functions) == EXPECTED_FUNCTIONS


def test_indexing_the_same_app_twice_is_refused() -> None:
    # The worker indexes once; azure.functions refuses a second pass because the names are taken.
    with pytest.raises(ValueError, match="does not have a unique function name"):
        indexed().app.get_functions()


@pytest.mark.parametrize(
    ("name", "route", "methods", "auth"),
    [
        ("notify", "notify/{template}", ["POST"], "FUNCTION"),
        ("render", "render/{template}", ["POST"], "FUNCTION"),
        ("templates", "templates", ["GET"], "FUNCTION"),
        ("health", "health", ["GET"], "ANONYMOUS"),
        ("teams_outgoing", "teams/outgoing", ["POST"], "ANONYMOUS"),
        # The page's own access check decides who may use these (shared/connect/access.py).
        ("connect_page", "connect", ["GET"], "ANONYMOUS"),
        ("connect_assets", "connect/assets/{name}", ["GET"], "ANONYMOUS"),
        ("connect_offer", "connect/offer", ["GET"], "ANONYMOUS"),
        ("connect_places", "connect/places", ["GET"], "ANONYMOUS"),
        ("connect_subscriptions", "connect/subscriptions", ["GET", "POST"], "ANONYMOUS"),
        ("connect_subscription", "connect/subscriptions/{id}", ["PUT", "DELETE"], "ANONYMOUS"),
        ("connect_pause", "connect/subscriptions/{id}/pause", ["POST"], "ANONYMOUS"),
        ("connect_resume", "connect/subscriptions/{id}/resume", ["POST"], "ANONYMOUS"),
    ],
)
def test_http_routes_methods_and_auth_levels(
    name: str, route: str, methods: list[str], auth: str
) -> None:
    # Wrong methods never reach a function (the host answers them): the registered methods are
    # what stands between them and the code.
    trigger = indexed().binding(name, "httpTrigger")
    assert (trigger["route"], trigger["methods"], trigger["authLevel"]) == (route, methods, auth)
    assert indexed().binding(name, "http") == {
        "direction": "OUT",
        "type": "http",
        "name": "$return",
    }


def test_notify_writes_to_the_retry_queue_through_an_output_binding() -> None:
    assert indexed().binding("notify", "queue") == {
        "direction": "OUT",
        "type": "queue",
        "name": "retry",
        "queueName": "notifications-retry",
        "connection": "AzureWebJobsStorage",
    }


def test_the_retry_queue_has_its_trigger() -> None:
    assert indexed().bindings("notifications_retry") == [
        {
            "direction": "IN",
            "type": "queueTrigger",
            "name": "message",
            "queueName": "notifications-retry",
            "connection": "AzureWebJobsStorage",
        }
    ]


def test_the_poison_queue_has_its_trigger() -> None:
    # The host moves a message to `<queue>-poison` after maxDequeueCount attempts.
    assert indexed().bindings("notifications_dead_letter") == [
        {
            "direction": "IN",
            "type": "queueTrigger",
            "name": "message",
            "queueName": "notifications-retry-poison",
            "connection": "AzureWebJobsStorage",
        }
    ]


def test_the_queue_name_is_the_one_delivery_writes() -> None:
    from shared.config.bindings import RETRY_QUEUE
    from shared.teams.delivery import RETRY_QUEUE as DELIVERY_QUEUE

    assert RETRY_QUEUE == DELIVERY_QUEUE


@pytest.mark.parametrize(
    ("name", "schedule"),
    [
        # 08:00 Europe/Berlin on weekdays: both UTC hours it can be (see shared.schedules.zoned).
        ("schedule_weekday_digest", "0 0 6-7 * * *"),
        ("schedule_service_status", "0 */15 * * * *"),
        # Every 5 minutes in UTC: the subscriptions' updates at their own local times.
        ("subscriptions_sweeper", "0 */5 * * * *"),
    ],
)
def test_each_enabled_schedule_is_a_timer_that_never_runs_on_startup(
    name: str, schedule: str
) -> None:
    app = indexed()
    assert app.binding(name, "timerTrigger") == {
        "direction": "IN",
        "type": "timerTrigger",
        "name": "timer",
        "schedule": schedule,
        "runOnStartup": False,
        "useMonitor": True,
    }
    assert app.binding(name, "queue")["queueName"] == "notifications-retry"


@pytest.mark.parametrize("name", sorted(EXPECTED_FUNCTIONS))
def test_the_worker_accepts_every_parameter(name: str) -> None:
    assert worker_accepts(indexed().functions[name]) == []


def test_the_worker_check_refuses_what_the_worker_refuses() -> None:
    # `func.Out[list[str]]` looks right but the worker's typing check only knows typing.List.
    blueprint = func.Blueprint()  # type: ignore[no-untyped-call]

    @blueprint.function_name("builtin_list")
    @blueprint.route(route="x", methods=[func.HttpMethod.POST])
    @blueprint.queue_output(arg_name="out", queue_name="q", connection="AzureWebJobsStorage")
    def builtin_list(req: func.HttpRequest, out: func.Out[list[str]]) -> func.HttpResponse:
        raise AssertionError("never called")

    app = func.FunctionApp()  # type: ignore[no-untyped-call]
    app.register_functions(blueprint)
    [function] = app.get_functions()
    assert worker_accepts(function) == [
        "output out: azure.functions._abc.Out[list[str]] does not suit queue",
    ]


def test_only_valid_enabled_schedules_become_functions(tmp_path: Path) -> None:
    from shared.triggers.timers import build_blueprint

    good = {"name": "good", "schedule": "0 0 9 * * *", "template": "message", "channel": "ops"}
    entries = [
        good,
        {**good, "name": "broken", "schedule": "9 * * *"},
        {**good, "name": "off", "enabled_by": "OFF_SWITCH"},
        {**good, "name": "nowhere", "channel": "missing"},
    ]
    path = tmp_path / "schedules.json"
    path.write_text(json.dumps({"schedules": entries}), encoding="utf-8")
    found = read_schedules(path, {"TEAMS_WEBHOOK_OPS": "x"})
    app = func.FunctionApp()  # type: ignore[no-untyped-call]
    app.register_functions(build_blueprint(found.registered))
    assert [f.get_function_name() for f in app.get_functions()] == ["schedule_good"]
    assert [(p.entry, p.field) for p in found.problems] == [
        ("broken", "schedule"),
        ("nowhere", "channel"),
    ]


# --- cold start and broken settings ---------------------------------------------------------------

HEAVY = (
    "azure.data",
    "azure.storage",
    "azure.identity",
    "httpx",
    "pydantic",
    "jsonschema",
    "shared.cards",
    "shared.config.settings",
    "shared.teams.delivery",
    "shared.outgoing.handler",
    "shared.api.handlers",
    "shared.schedules.run",
    "shared.schedules.ledger",
    "azure.data.tables",
    "azure.identity",
)


def import_app(environ: dict[str, str], code: str) -> str:
    base = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", "import function_app\n" + code],
        cwd=ROOT,
        env={**base, **environ},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_importing_the_app_loads_nothing_heavy() -> None:
    # Every cold request imports function_app.py: the engine, delivery, pydantic and httpx load on
    # first use (bench/coldstart.py measures the import against its three core packages).
    environ = {
        "SCHEDULE_WEEKDAY_DIGEST": "true",
        "SCHEDULE_SERVICE_STATUS": "true",
        "TEAMS_DEFAULT_CHANNEL": "ops",
        "TEAMS_WEBHOOK_OPS": "https://contoso.webhook.office.com/webhookb2/x",
        "SOURCE_ALLOW_HOSTS": "www.githubstatus.com",
    }
    loaded = import_app(
        environ,
        "import sys\n"
        "print(len(function_app.app.get_functions()))\n"
        f"print([m for m in sys.modules if m.startswith({HEAVY!r})])",
    )
    assert loaded.split("\n")[:2] == [str(len(EXPECTED_FUNCTIONS)), "[]"]


def test_the_app_starts_and_answers_health_with_every_setting_broken() -> None:
    broken = {
        "TEAMS_WEBHOOK_OPS": "http://198.51.100.7/hook?sig=SECRET-SIG",
        "TEAMS_WEBHOOK_DEV": "@Microsoft.KeyVault(VaultName=kv;SecretName=teams-webhook-dev)",
        "TEAMS_DELIVERY_BUDGET_SECONDS": "soon",
        "TEAMS_DEFAULT_CHANNEL": "not configured",
        "TEAMS_OUTGOING_TOKEN_TEAM_A": "!!not base64!!",
        "SCHEDULE_WEEKDAY_DIGEST": "true",
    }
    out = import_app(
        broken,
        "import asyncio, json\n"
        "functions = {f.get_function_name(): f for f in function_app.app.get_functions()}\n"
        "print(sorted(functions))\n"
        "import azure.functions as func\n"
        "req = func.HttpRequest('GET', 'https://x/api/health', body=b'')\n"
        "response = asyncio.run(functions['health'].get_user_function()(req))\n"
        "print(response.status_code, response.get_body().decode())\n",
    )
    names_line, health_line = out.strip().split("\n")
    # The digest names no channel and the default channel is broken: it is not registered; the
    # other functions are.
    assert "schedule_weekday_digest" not in names_line
    assert "'notify'" in names_line
    status, body = health_line.split(" ", 1)
    report = json.loads(body)
    assert status == "200"
    assert report["status"] == "degraded"
    assert report["problems"] >= 5
    assert set(report) == {
        "status",
        "problems",
        "version",
        "templates",
        "channels",
        "schedules",
        "shared_state",
        "dead_letters",
        "subscriptions",
    }
    for secret in ("SECRET-SIG", "198.51.100.7", "TEAMS_", "KeyVault", "team-a", "not configured"):
        assert secret not in body


# --- calling the functions ------------------------------------------------------------------------


def test_health_is_ok_with_good_settings(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    from shared import catalog

    configure(monkeypatch, teams)
    response = run(indexed().user_function("health")(func.HttpRequest("GET", "x", body=b"")))
    report = json.loads(response.get_body())
    assert report == {
        "status": "ok",
        "problems": 0,
        "version": "0.1.0",
        "templates": len(catalog.template_names()),
        "channels": 2,
        "schedules": 0,  # this test's settings turn no schedule on
        "shared_state": "off",  # no storage setting: each instance keeps its own windows
        "dead_letters": None,
        "subscriptions": None,  # no key: subscriptions are off
    }


def test_templates_lists_each_template_with_its_description_and_sample_data() -> None:
    from shared import catalog

    request = func.HttpRequest("GET", "https://x/api/templates?code=k", body=b"")
    response = run(indexed().user_function("templates")(request, Invocation("templates")))
    listed = json.loads(response.get_body())["templates"]
    assert [t["name"] for t in listed] == catalog.template_names()
    digest = next(t for t in listed if t["name"] == "digest")
    assert digest["description"] == catalog.get("digest").description
    assert digest["sample_data"] == catalog.get("digest").sample_data
    assert next(t for t in listed if t["name"] == "command-help")["target"] == "reply"


def test_teams_down_queues_and_the_queue_function_delivers_once_it_is_back(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    channels = configure(monkeypatch, teams, {"ops": "classic"})
    teams.down()
    answer = call_notify(
        notify_request("message", {"title": "Disk full"}, query={"channel": "ops"})
    )
    # Teams was down for every attempt within the budget: 202, and the message is on the queue.
    assert answer.status == 202
    assert [r["status"] for r in answer.body["results"]] == ["queued"]
    [queued] = answer.retry
    assert json.loads(queued)["id"] == answer.body["id"]
    assert channels.urls["ops"] not in queued

    retry = indexed().user_function("notifications_retry")
    # Still down: the function raises, so the host retries the message after visibilityTimeout.
    with pytest.raises(RedeliveryPending):
        run(retry(as_queue_message(queued, dequeue_count=1)))
    teams.up()
    run(retry(as_queue_message(queued, dequeue_count=2)))
    [message] = channels.received("ops")
    card = message["attachments"][0]["content"]
    assert card["body"][0]["items"][0]["text"] == "Disk full"


def test_a_redelivery_logs_the_notification_id_and_the_attempt(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    configure(monkeypatch, teams, {"ops": "classic"})
    teams.down()
    answer = call_notify(notify_request("message", {"title": "x"}, query={"channel": "ops"}))
    teams.up()
    with caplog.at_level(logging.INFO):
        run(indexed().user_function("notifications_retry")(as_queue_message(answer.retry[0], 3)))
    lines = [r.getMessage() for r in caplog.records]
    assert any(
        f"redelivery id={answer.body['id']}" in line and "attempt=3" in line for line in lines
    )


def test_the_outgoing_webhook_answers_a_signed_mention_through_the_app(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Teams signs the raw body with the webhook's token
    # (docs/teams-protocol.md#outgoing-webhook-hmac).
    from devtools.outgoing import OPS_TOKEN, command_request

    monkeypatch.setenv("TEAMS_OUTGOING_TOKEN_OPS", OPS_TOKEN)
    reset_configuration()
    try:
        response = run(indexed().user_function("teams_outgoing")(command_request("ping")))
    finally:
        reset_configuration()
    assert response.status_code == 200
    assert json.loads(response.get_body()) == {"type": "message", "text": "pong"}


# --- timers ---------------------------------------------------------------------------------------


def timer_run(name: str, at: datetime, monkeypatch: pytest.MonkeyPatch) -> Output[list[str]]:
    monkeypatch.setattr(schedule_run, "_now", lambda: at)
    output: Output[list[str]] = Output()
    timer = TimerRequest(past_due=False)  # type: ignore[no-untyped-call]
    run(indexed().user_function(name)(timer, output, Invocation(name)))
    return output


def test_the_digest_timer_posts_at_0800_berlin_and_not_an_hour_earlier(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    channels = configure(monkeypatch, teams, {"ops": "classic"})
    timer_run("schedule_weekday_digest", datetime(2025, 7, 7, 5, 0, tzinfo=UTC), monkeypatch)
    assert channels.received("ops") == []  # 07:00 CEST
    timer_run("schedule_weekday_digest", datetime(2025, 7, 7, 6, 0, tzinfo=UTC), monkeypatch)
    [message] = channels.received("ops")  # 08:00 CEST
    assert message["attachments"][0]["content"]["body"][0]["items"][0]["text"] == (
        "Good morning, on-call"
    )


def test_a_timer_hands_what_teams_did_not_take_to_the_retry_queue(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    configure(monkeypatch, teams, {"ops": "classic"})
    teams.down()
    output = timer_run(
        "schedule_weekday_digest", datetime(2025, 7, 7, 6, 0, tzinfo=UTC), monkeypatch
    )
    [queued] = queue_messages(output)
    assert json.loads(queued)["channel"] == "ops"


def test_the_status_timer_never_leaves_the_allow_list_in_force_when_it_runs(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    # Indexed with www.githubstatus.com allowed; this run's settings allow loopback only, so the
    # run refuses to fetch (and no test ever reaches beyond loopback).
    channels = configure(
        monkeypatch, teams, {"ops": "classic"}, extra={"SOURCE_ALLOW_HOSTS": "127.0.0.1"}
    )
    with caplog.at_level(logging.WARNING, logger="shared.schedules"):
        timer_run("schedule_service_status", datetime(2025, 7, 7, 6, 15, tzinfo=UTC), monkeypatch)
    assert channels.received("ops") == []
    assert any(
        "source www.githubstatus.com failed, nothing posted: host 'www.githubstatus.com' is not "
        "listed in SOURCE_ALLOW_HOSTS" in r.getMessage()
        for r in caplog.records
    )


def test_timer_requests_come_from_the_worker_s_class() -> None:
    # The worker decodes the host's timer payload with azure.functions' own converter.
    from shared.schedules.run import TimerLike

    decoded: Any = TimerRequest(past_due=True)  # type: ignore[no-untyped-call]
    timer: TimerLike = decoded
    assert timer.past_due is True


def test_the_state_purge_timer_runs_hourly_and_never_on_startup() -> None:
    from shared.config.bindings import PURGE_SCHEDULE

    assert PURGE_SCHEDULE == "0 17 * * * *"
    assert indexed().bindings("state_purge") == [
        {
            "direction": "IN",
            "type": "timerTrigger",
            "name": "timer",
            "schedule": PURGE_SCHEDULE,
            "runOnStartup": False,
            "useMonitor": True,
        }
    ]
