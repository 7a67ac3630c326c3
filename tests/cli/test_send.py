"""`python -m shared send`: expand, check and deliver a template from a shell.

The command is built the way shared/cli/__init__.py builds it (`add_parser(subparsers)`, then
`args.command(args)`), over real templates, the real engine and a loopback Teams stand-in.
"""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.teams_standin import Answer, TeamsStandIn, closed_port
from shared.cli import send as cli_send
from shared.cli.common import CliError
from shared.config.once import reset_configuration
from shared.teams.splitting import TEAMS_MESSAGE_LIMIT


def send(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared")
    cli_send.add_parser(parser.add_subparsers())
    args = parser.parse_args(["send", *argv])
    code: int = args.command(args)
    return code


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name in ("TEAMS_DEFAULT_CHANNEL", "TEAMS_ALLOW_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TEAMS_ALLOW_HOSTS", "127.0.0.1")
    reset_configuration()
    yield monkeypatch
    reset_configuration()


def channel(monkeypatch: pytest.MonkeyPatch, name: str, url: str) -> None:
    monkeypatch.setenv(f"TEAMS_WEBHOOK_{name.upper()}", url)
    reset_configuration()


def test_sample_data_to_an_outbox_is_delivered_and_exits_0(
    fresh_settings: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    channel(fresh_settings, "local", f"file://{tmp_path}")
    assert send("message", "--channel", "local") == 0
    [written] = list(tmp_path.iterdir())
    card = json.loads(written.read_text())["attachments"][0]["content"]
    assert "Nightly backup finished" in json.dumps(card)
    out = capsys.readouterr().out
    assert "local: delivered after 1 attempt(s)" in out
    assert out.splitlines()[0].split()[1] in written.name  # the notification id


def test_several_channels_over_http_in_one_run(
    fresh_settings: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    ops, flow = teams.url("classic"), teams.url("workflows")
    channel(fresh_settings, "ops", ops)
    channel(fresh_settings, "flow", flow)
    assert send("deployment", "--channel", "ops,FLOW") == 0
    assert teams.count("delivered", ops) == 1
    assert teams.count("accepted", flow) == 1


def test_teams_refusal_exits_1_with_teams_own_reason(
    fresh_settings: pytest.MonkeyPatch, teams: TeamsStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    ops = teams.url("classic")
    channel(fresh_settings, "ops", ops)
    teams.script(ops, Answer.summary_required())
    assert send("message", "--channel", "ops") == 1
    assert "Summary or Text is required." in capsys.readouterr().out


def test_teams_unreachable_is_reported_as_not_delivered(
    fresh_settings: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    channel(
        fresh_settings, "ops", f"http://127.0.0.1:{closed_port()}/webhookb2/a/IncomingWebhook/b/c"
    )
    assert send("message", "--channel", "ops", "--budget", "0.6") == 1
    out = capsys.readouterr().out
    assert "ops: not delivered" in out
    assert "no retry queue" in out


def test_data_from_stdin(fresh_settings: pytest.MonkeyPatch, teams: TeamsStandIn) -> None:
    ops = teams.url("classic")
    channel(fresh_settings, "ops", ops)
    fresh_settings.setattr("sys.stdin", io.StringIO(json.dumps({"title": "From stdin"})))
    assert send("message", "--channel", "ops", "--data", "-") == 0
    [received] = teams.received(ops)
    assert "From stdin" in received.body


def test_unresolved_bindings_send_nothing_and_exit_1(
    fresh_settings: pytest.MonkeyPatch,
    teams: TeamsStandIn,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    channel(fresh_settings, "ops", teams.url("classic"))
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"facts": [{"name": "no title or value"}]}))
    assert send("message", "--channel", "ops", "--data", str(data)) == 1
    err = capsys.readouterr().err
    assert "unresolved" in err
    assert "${title}" in err
    assert teams.records == []


def test_a_card_with_problems_is_not_sent(
    fresh_settings: pytest.MonkeyPatch,
    teams: TeamsStandIn,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    channel(fresh_settings, "ops", teams.url("classic"))
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"title": "x", "style": "nonsense"}))
    assert send("message", "--channel", "ops", "--data", str(data)) == 1
    assert "$.body[0].style" in capsys.readouterr().err
    assert teams.records == []


def test_the_default_channel_is_used_without_channel(
    fresh_settings: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fresh_settings.setenv("TEAMS_DEFAULT_CHANNEL", "local")
    channel(fresh_settings, "local", f"file://{tmp_path}")
    assert send("alert") == 0
    assert len(list(tmp_path.iterdir())) == 1


def test_no_channel_and_no_default_is_a_usage_error() -> None:
    with pytest.raises(CliError, match="TEAMS_DEFAULT_CHANNEL"):
        send("alert")


def test_an_unknown_template_is_a_usage_error_listing_the_known_ones() -> None:
    with pytest.raises(CliError, match=r"known: .*digest"):
        send("nope", "--channel", "x")


def test_an_unknown_channel_fails_listing_the_configured_ones(
    fresh_settings: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    channel(fresh_settings, "local", f"file://{tmp_path}")
    assert send("alert", "--channel", "elsewhere") == 1
    assert "configured channels: local" in capsys.readouterr().out


def test_a_digest_too_large_for_one_message_arrives_in_parts(
    fresh_settings: pytest.MonkeyPatch, teams: TeamsStandIn, tmp_path: Path
) -> None:
    # The engine's RepeatSpans for `$data: ${items}` tell delivery where it may split.
    ops = teams.url("classic")
    channel(fresh_settings, "ops", ops)
    items = [{"name": f"service-{i:03d}", "count": i, "detail": "d" * 120} for i in range(400)]
    data = tmp_path / "digest.json"
    data.write_text(json.dumps({"title": "Weekly", "items": items}))
    assert send("digest", "--channel", "ops", "--data", str(data), "--budget", "30") == 0
    received = teams.received(ops)
    assert len(received) > 1
    assert all(r.size <= TEAMS_MESSAGE_LIMIT and r.outcome == "delivered" for r in received)
    names = [name for r in received for name in _service_names(r.body)]
    assert names == [f"service-{i:03d}" for i in range(400)]


def _service_names(body: str) -> list[str]:
    card = json.loads(body)["attachments"][0]["content"]
    found = []
    for element in card["body"]:
        if element.get("type") == "ColumnSet":
            text = element["columns"][0]["items"][0]["text"]
            if text.startswith("service-"):
                found.append(text)
    return found
