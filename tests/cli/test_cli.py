"""`python -m shared`: templates, render and check, as a user or a CI job runs them."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from shared import catalog
from shared.cards.check import check_card
from shared.cli import main
from shared.cli.check import CheckResult, CheckSection
from shared.cli.common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE
from tests.support.paths import ROOT


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write_json(tmp_path: Path, value: Any, name: str = "data.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(value), encoding="utf-8")
    return str(path)


def one_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, text
    return lines[0]


# --- templates -------------------------------------------------------------------------------


def test_templates_lists_every_template_with_its_description(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "templates")
    assert (code, err) == (EXIT_OK, "")
    lines = out.splitlines()
    assert len(lines) == len(catalog.template_names())
    for line, name in zip(lines, catalog.template_names(), strict=True):
        listed_name, description = line.split(maxsplit=1)
        assert listed_name == name
        assert description == catalog.get(name).description


# --- render ----------------------------------------------------------------------------------


def test_render_prints_the_card_expanded_with_the_sample_data(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "render", "message")
    assert (code, err) == (EXIT_OK, "")
    card = json.loads(out)
    assert card["type"] == "AdaptiveCard"
    assert check_card(card, "incoming") == []
    assert "${" not in out


def test_render_prints_pretty_json(capsys: pytest.CaptureFixture[str]) -> None:
    _code, out, _err = run(capsys, "render", "message")
    assert out.startswith("{\n  ")


def test_render_uses_the_given_data_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = dict(catalog.get("message").sample_data)
    data["title"] = "Rendered from a file"
    code, out, _err = run(capsys, "render", "message", "--data", write_json(tmp_path, data))
    assert code == EXIT_OK
    assert "Rendered from a file" in out


def test_render_reads_data_from_stdin_with_a_dash(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = dict(catalog.get("message").sample_data)
    data["title"] = "Rendered from stdin"
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(data)))
    code, out, _err = run(capsys, "render", "message", "--data", "-")
    assert code == EXIT_OK
    assert "Rendered from stdin" in out


def test_render_with_envelope_prints_the_whole_teams_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Incoming Webhook payload: {"type":"message","attachments":[{"contentType":
    # "application/vnd.microsoft.card.adaptive","contentUrl":null,"content":{...}}]}
    code, out, _err = run(capsys, "render", "message", "--envelope")
    assert code == EXIT_OK
    message = json.loads(out)
    assert message["type"] == "message"
    attachment = message["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["content"]["type"] == "AdaptiveCard"


def test_render_lists_the_bindings_the_data_leaves_unresolved(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A fact without its title: the message template binds ${title} in each fact.
    data = {"facts": [{"value": "1"}]}
    code, out, err = run(capsys, "render", "message", "--data", write_json(tmp_path, data))
    assert code == EXIT_PROBLEMS
    assert out == ""
    assert err.splitlines() == [
        "error: message: the data leaves 1 binding(s) unresolved",
        "  $.body[0].facts[0].title: ${title}",
    ]


# --- check -----------------------------------------------------------------------------------


def test_check_passes_every_shipped_template(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check")
    assert (code, err) == (EXIT_OK, ""), out
    for name in catalog.template_names():
        assert f"  {name} (" in out
    assert out.splitlines()[-1] == "no problems"


def test_check_checks_the_outgoing_webhook_reply_as_a_reply(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # command-help is the Outgoing Webhook's answer: only Action.OpenUrl works there.
    code, out, _err = run(capsys, "check", "command-help")
    assert code == EXIT_OK
    assert "  command-help (reply): ok" in out


def test_check_only_the_named_templates(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(capsys, "check", "message", "alert")
    assert code == EXIT_OK
    checked = [line.split()[0] for line in out.splitlines() if line.startswith("  ")]
    assert checked == ["message", "alert"]


def test_check_reports_problems_with_their_paths_and_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Teams refuses a message over 28 KB; a single TextBlock this big cannot be split.
    data = dict(catalog.get("message").sample_data)
    data["text"] = "x" * 30_000
    code, out, _err = run(capsys, "check", "message", "--data", write_json(tmp_path, data))
    assert code == EXIT_PROBLEMS
    assert "  message (incoming): 1 problem(s)" in out
    assert "    $.body[" in out
    assert "28,672" in out
    assert out.splitlines()[-1] == "1 problem(s) in 1 item(s)"


def test_check_reports_unresolved_bindings_as_problems(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = {"facts": [{"value": "1"}]}
    code, out, _err = run(capsys, "check", "message", "--data", write_json(tmp_path, data))
    assert code == EXIT_PROBLEMS
    assert "    $.body[0].facts[0].title: unresolved binding ${title}\n" in out


def test_check_reports_schema_problems_the_data_causes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A title that is an object keeps its type through "${title}" and is no TextBlock text.
    code, out, _err = run(
        capsys, "check", "message", "--data", write_json(tmp_path, {"title": {"a": 1}})
    )
    assert code == EXIT_PROBLEMS
    assert "    $.body[0].items[0].text: must be a string, not an object\n" in out


def test_check_with_data_needs_exactly_one_template(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "check", "--data", write_json(tmp_path, {}))
    assert code == EXIT_USAGE
    assert out == ""
    assert "exactly one" in one_line(err)


def test_check_runs_every_section_in_order(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Later issues add sections (settings); each prints under its title and counts.
    from shared.cli import check as cli

    extra = CheckSection("settings", lambda _args: [CheckResult("TEAMS_WEBHOOK_OPS", ["bad"])])
    original = cli.check_sections
    monkeypatch.setattr(cli, "check_sections", lambda: [*original(), extra])
    code, out, _err = run(capsys, "check", "message")
    assert code == EXIT_PROBLEMS
    assert out.index("templates:") < out.index("settings:")
    assert "  TEAMS_WEBHOOK_OPS: 1 problem(s)\n    bad\n" in out


# --- errors: one line on stderr, exit 2 --------------------------------------------------------


@pytest.mark.parametrize("command", ["render", "check"])
def test_an_unknown_template_is_one_line_naming_the_known_ones(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    code, out, err = run(capsys, command, "no-such-template")
    assert code == EXIT_USAGE
    assert out == ""
    line = one_line(err)
    assert "no-such-template" in line
    assert "message" in line


def test_a_path_trick_is_an_unknown_template(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "render", "../../pyproject")
    assert code == EXIT_USAGE
    assert "unknown template" in one_line(err)


@pytest.mark.parametrize("command", ["render", "check"])
def test_an_unreadable_data_file_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    missing = str(tmp_path / "missing.json")
    code, out, err = run(capsys, command, "message", "--data", missing)
    assert code == EXIT_USAGE
    assert out == ""
    line = one_line(err)
    assert "cannot read" in line
    assert "missing.json" in line


@pytest.mark.parametrize("command", ["render", "check"])
def test_invalid_json_data_is_one_line_with_its_position(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"title": "x",\n  oops}', encoding="utf-8")
    code, out, err = run(capsys, command, "message", "--data", str(path))
    assert code == EXIT_USAGE
    assert out == ""
    line = one_line(err)
    assert "not valid JSON" in line
    assert "line 2" in line


def test_data_that_is_not_utf8_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('{"title": "caf\xe9"}'.encode("latin-1"))
    code, _out, err = run(capsys, "render", "message", "--data", str(path))
    assert code == EXIT_USAGE
    assert "not UTF-8" in one_line(err)


def test_python_dash_m_shared_runs_without_a_traceback_on_bad_input(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "shared", "render", "no-such-template"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == EXIT_USAGE
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert one_line(result.stderr).startswith("error: unknown template")


def test_python_dash_m_shared_check_runs_end_to_end() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "shared", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "no problems"


def test_a_broken_catalog_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> list[str]:
        raise catalog.CatalogError("shared/templates/catalog.json is not valid JSON")

    monkeypatch.setattr(catalog, "template_names", broken)
    code, out, err = run(capsys, "templates")
    assert code == EXIT_USAGE
    assert out == ""
    assert one_line(err) == "error: shared/templates/catalog.json is not valid JSON"


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == EXIT_USAGE
    assert "Traceback" not in capsys.readouterr().err


def test_a_reader_that_goes_away_early_causes_no_traceback() -> None:
    # `python -m shared render NAME | head -1`: the pipe closes before the card is written.
    process = subprocess.Popen(
        [sys.executable, "-m", "shared", "render", "digest", "--envelope"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    process.stdout.close()
    stderr = process.stderr.read().decode()
    process.wait(timeout=30)
    process.stderr.close()
    assert "Traceback" not in stderr
    assert stderr == ""


def test_send_is_a_command_of_the_cli_and_delivers_to_an_outbox(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from shared.config.once import reset_configuration

    monkeypatch.setenv("TEAMS_WEBHOOK_LOCAL_TEST", f"file://{tmp_path}")
    reset_configuration()
    try:
        code, out, _ = run(capsys, "send", "message", "--channel", "local-test")
    finally:
        reset_configuration()
    assert code == EXIT_OK
    assert "local-test: delivered" in out
    [written] = list(tmp_path.iterdir())
    assert json.loads(written.read_text())["type"] == "message"
