"""host.json, local.settings.example.json and `python -m shared check`: the app's configuration as
the host, a developer's machine and an operator see it."""

import base64
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from devtools.teams_standin import TeamsStandIn
from shared.config.once import reset_configuration
from tests.support.function_app import (
    call_notify,
    configure,
    notify_request,
)
from tests.support.paths import ROOT

HOST = json.loads((ROOT / "host.json").read_text(encoding="utf-8"))
LOCAL = json.loads((ROOT / "local.settings.example.json").read_text(encoding="utf-8"))


def duration(text: str) -> timedelta:
    hours, minutes, seconds = (int(part) for part in text.split(":"))
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


# --- host.json ------------------------------------------------------------------------------------


def test_host_json_is_version_2_with_the_v4_extension_bundle() -> None:
    assert HOST["version"] == "2.0"
    assert HOST["extensionBundle"] == {
        "id": "Microsoft.Azure.Functions.ExtensionBundle",
        "version": "[4.*, 5.0.0)",
    }


def test_sampling_keeps_every_request_and_exception() -> None:
    sampling = HOST["logging"]["applicationInsights"]["samplingSettings"]
    assert sampling["isEnabled"] is True
    assert {"Request", "Exception"} <= set(sampling["excludedTypes"].split(";"))


def test_the_function_timeout_covers_the_longest_work_a_function_does() -> None:
    from shared.schedules.entries import MAX_SOURCE_TIMEOUT
    from tests.support.infra.bicep import MAIN, parse_infra

    parameters = parse_infra()[MAIN]["parameters"]

    def largest(name: str) -> int:
        [value] = [
            d["argument"] for d in parameters[name]["decorators"] if d["type"] == "max_value"
        ]
        return int(value)

    longest_redelivery = largest("redeliveryBudgetSeconds")
    longest_delivery = largest("deliveryBudgetSeconds")
    timeout = duration(HOST["functionTimeout"])
    assert timeout > timedelta(seconds=longest_redelivery)
    assert timeout > timedelta(seconds=MAX_SOURCE_TIMEOUT + longest_delivery)


def test_the_retry_queue_redelivers_in_small_batches_for_about_two_hours() -> None:
    queues = HOST["extensions"]["queues"]
    # Small batches: each instance rate-limits its own sends, so redelivery must not burst.
    assert queues["batchSize"] <= 4
    assert queues["newBatchThreshold"] < queues["batchSize"]
    # A failed attempt comes back after visibilityTimeout; after maxDequeueCount attempts the
    # message goes to notifications-retry-poison. Together they outlast a long Teams outage.
    span = duration(queues["visibilityTimeout"]) * (queues["maxDequeueCount"] - 1)
    assert timedelta(hours=1) <= span <= timedelta(hours=6)


def test_queue_messages_are_base64_as_delivery_sizes_them() -> None:
    from shared.teams.delivery import QUEUE_MESSAGE_LIMIT

    assert HOST["extensions"]["queues"]["messageEncoding"] == "base64"
    # Azure Storage queue messages are at most 64 KiB; base64 grows the text by 4/3.
    assert QUEUE_MESSAGE_LIMIT * 4 / 3 <= 64 * 1024


# --- local.settings.example.json ------------------------------------------------------------------


def test_local_settings_use_azurite_and_an_outbox_channel() -> None:
    from shared.config.settings import Settings
    from shared.teams.channels import ChannelKind

    values = LOCAL["Values"]
    assert LOCAL["IsEncrypted"] is False
    assert values["FUNCTIONS_WORKER_RUNTIME"] == "python"
    assert values["AzureWebJobsStorage"] == "UseDevelopmentStorage=true"  # Azurite
    settings = Settings.from_environ(values)
    assert settings.problems == ()
    assert settings.channels[settings.default_channel or ""].kind is ChannelKind.OUTBOX


def test_local_settings_turn_on_the_digest_without_problems() -> None:
    from shared.schedules.entries import read_schedules

    found = read_schedules(environ=LOCAL["Values"])
    assert found.problems == ()
    assert [entry.name for entry in found.registered] == ["weekday-digest"]


def test_with_local_settings_a_notification_lands_in_the_outbox(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with TeamsStandIn() as teams:
        configure(monkeypatch, teams, {}, default=None, extra=LOCAL["Values"])
        monkeypatch.chdir(tmp_path)  # file://./outbox is relative to the app's directory
        try:
            answer = call_notify(notify_request("message", {"title": "Hello from make run"}))
        finally:
            reset_configuration()
    assert answer.status == 200
    assert answer.body["results"][0]["channel"] == "local"
    [written] = list((tmp_path / "outbox").iterdir())
    assert answer.body["id"] in written.name
    message = json.loads(written.read_text(encoding="utf-8"))
    assert message["attachments"][0]["content"]["body"][0]["items"][0]["text"] == (
        "Hello from make run"
    )


# --- python -m shared check -----------------------------------------------------------------------


def check(environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("TEAMS_", "SCHEDULE_"))}
    return subprocess.run(
        [sys.executable, "-m", "shared", "check"],
        cwd=ROOT,
        env={**keep, **environ},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def sections(output: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    current = ""
    for line in output.splitlines():
        if re.fullmatch(r"[a-z ]+:", line):
            current = line[:-1]
            found[current] = []
        elif line.startswith("  ") and current:
            found[current].append(line.strip())
    return found


def test_check_prints_every_configuration_part_after_the_templates() -> None:
    result = check({})
    assert result.returncode == 0, result.stdout
    assert list(sections(result.stdout)) == [
        "templates",
        "app settings",
        "outgoing webhooks",
        "schedules",
        "subscriptions",
    ]
    assert "weekday-digest (off until SCHEDULE_WEEKDAY_DIGEST is set): ok" in result.stdout
    assert "weather (subscribable: runs per subscription): ok" in result.stdout
    assert "subscriptions off (SUBSCRIPTIONS_KEY or SUBSCRIPTIONS_KEY_ID not set): ok" in (
        result.stdout
    )


def test_check_names_every_problem_by_setting_or_entry_and_exits_1() -> None:
    secret = "https://evil.example/hook?sig=LEAKED"
    result = check(
        {
            "TEAMS_WEBHOOK_OPS": secret,
            "TEAMS_OUTGOING_TOKEN_TEAM_A": "!!",
            "TEAMS_DELIVERY_BUDGET_SECONDS": "-3",
            "SCHEDULE_WEEKDAY_DIGEST": "yes",
        }
    )
    assert result.returncode == 1
    found: dict[str, Any] = sections(result.stdout)
    assert "TEAMS_WEBHOOK_OPS: 1 problem(s)" in found["app settings"]
    assert "TEAMS_DELIVERY_BUDGET_SECONDS: 1 problem(s)" in found["app settings"]
    assert "TEAMS_OUTGOING_TOKEN_TEAM_A: 1 problem(s)" in found["outgoing webhooks"]
    assert "weekday-digest: 1 problem(s)" in found["schedules"]
    assert "channel: none given and TEAMS_DEFAULT_CHANNEL is not set" in found["schedules"]
    assert result.stdout.splitlines()[-1] == "4 problem(s) in 4 item(s)"
    assert "LEAKED" not in result.stdout + result.stderr
    assert "evil.example" not in result.stdout + result.stderr


def test_check_shows_what_an_enabled_schedule_is_registered_as() -> None:
    result = check(
        {
            "SCHEDULE_WEEKDAY_DIGEST": "true",
            "TEAMS_DEFAULT_CHANNEL": "ops",
            "TEAMS_WEBHOOK_OPS": "file://./outbox",
        }
    )
    assert result.returncode == 0, result.stdout
    assert "weekday-digest (on, registered as '0 0 6-7 * * *' UTC): ok" in result.stdout


def test_check_of_named_templates_leaves_the_configuration_out(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import shared.cli as cli

    monkeypatch.setenv("TEAMS_WEBHOOK_OPS", "not a url")
    reset_configuration()
    assert cli.main(["check", "message"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "templates:",
        "  message (incoming): ok",
        "no problems",
    ]


def test_the_schedules_check_finds_what_only_the_card_engine_can(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import shared.schedules as package
    from shared import health as problems
    from shared.schedules.entries import read_schedules

    document = {
        "schedules": [
            {"name": "bad-when", "schedule": "0 0 9 * * *", "template": "message", "when": "${(}"},
            {
                "name": "bad-data",
                "schedule": "0 0 9 * * *",
                "template": "message",
                "data": {"facts": [{"value": 1}]},
            },
        ]
    }
    path = tmp_path / "schedules.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    environ = {"TEAMS_DEFAULT_CHANNEL": "ops", "TEAMS_WEBHOOK_OPS": "x"}
    monkeypatch.setattr(package, "current_schedules", lambda: read_schedules(path, environ))
    section = problems.configuration_sections()[2]
    found = {finding.subject.split(" ")[0]: finding.problems for finding in section.findings}
    assert found["bad-when"][0].startswith("when: ")
    assert found["bad-data"] == ["data: unresolved bindings: $.body[0].facts[0].title ${title}"]


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    reset_configuration()
    yield
    reset_configuration()


def test_make_run_settings_turn_subscriptions_on_without_problems(tmp_path: Path) -> None:
    """`make run` writes local.settings.json from the example with a key of its own."""
    from devtools.local_settings import main
    from shared.subscriptions.checks import subscriptions_state

    out = tmp_path / "local.settings.json"
    assert main(["--out", str(out)]) == 0
    written = json.loads(out.read_text(encoding="utf-8"))
    values = written["Values"]
    assert LOCAL["Values"]["SUBSCRIPTIONS_KEY"] == ""  # the committed example carries no key
    assert len(base64.b64decode(values["SUBSCRIPTIONS_KEY"], validate=True)) == 32
    state = subscriptions_state(values)
    assert state.on
    assert state.problems == {}
    # Run again: an existing file (and its key, which encrypts stored URLs) is kept.
    assert main(["--out", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8")) == written
