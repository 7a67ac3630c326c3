"""`python -m shared preview`: a template's card as a PNG or as the standalone preview page."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shared.cli import main
from shared.cli.common import EXIT_OK, EXIT_USAGE
from tests.preview.pictures import colours, size
from tests.support.paths import ROOT


@pytest.mark.usefixtures("commands_share_the_browser")
def test_preview_writes_the_png(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "card.png"
    code = main(["preview", "build-status", "--out", str(out), "--theme", "dark", "--width", "360"])
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured
    assert captured.out == ""  # no problems
    png = out.read_bytes()
    assert size(png)[0] == 360
    assert colours(png) > 50


@pytest.mark.usefixtures("commands_share_the_browser")
def test_preview_reads_data_from_stdin_and_lists_problems(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO('{"title": "Backup", "style": "loud"}'))
    out = tmp_path / "card.png"
    code = main(["preview", "message", "--data", "-", "--out", str(out)])
    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert '$.body[0].style: renderer: Invalid value "loud" for property "style".' in lines
    assert out.stat().st_size > 1000


def test_preview_html_needs_no_browser(tmp_path: Path) -> None:
    # A process of its own, with no Chromium to be found: the page is written all the same.
    out = tmp_path / "card.html"
    result = subprocess.run(
        [sys.executable, "-m", "shared", "preview", "alert", "--html", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/nonexistent", "PREVIEW_CHROMIUM": "/nonexistent"},
        timeout=60,
    )
    assert result.returncode == EXIT_OK, result.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert 'http-equiv="Content-Security-Policy"' in page
    assert "Disk almost full on sql-prod-01" in page


@pytest.mark.parametrize(
    "argv",
    [
        ["preview", "nope"],
        ["preview", "alert", "--width", "50"],
        ["preview", "alert", "--theme", "blue"],
        ["preview", "alert", "--data", "/nonexistent.json"],
    ],
)
def test_bad_input_exits_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse refuses a choice itself
        code = int(exit_.code or 0)
    assert code == EXIT_USAGE
    assert "error:" in capsys.readouterr().err


def test_without_chromium_preview_exits_2_saying_how_to_get_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PREVIEW_CHROMIUM", str(tmp_path / "no-chromium"))
    code = main(["preview", "alert", "--out", str(tmp_path / "x.png")])
    assert code == EXIT_USAGE
    assert "apt-get install chromium" in capsys.readouterr().err
