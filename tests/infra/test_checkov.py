"""Checkov scans infra/ offline: no failed check, nothing it cannot parse, every skip reasoned.

Checkov lives in its own environment (tests/support/infra/checkov.py says why), built on first use
from the pinned tests/support/infra/checkov-requirements.txt. It runs with its update check off and
every HTTP(S) request routed to a recording proxy on 127.0.0.1, so a request that tries to leave
the machine reaches only loopback and fails the test.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.infra.bicep import INFRA, bicep_files
from tests.support.infra.checkov import (
    CheckovReport,
    ensure_checkov,
    installed_version,
    offline_environment,
    run_checkov,
)
from tests.support.infra.loopback_proxy import RecordingProxy

SKIPS_FILE = INFRA / "checkov-skips.json"
# Passed checks today: 26 (the virtual network added CKV_AZURE_182 and CKV_AZURE_183). Fewer
# means a check stopped applying (a resource or property vanished from checkov's view): look
# before lowering this.
MIN_PASSED = 26
# The checks that carry the promises; each must pass, not merely be absent.
ESSENTIAL_PASSES = {
    ("CKV_AZURE_70", "Microsoft.Web/sites.site"),  # HTTPS only
    ("CKV_AZURE_145", "Microsoft.Web/sites.site"),  # minimum TLS 1.2
    ("CKV_AZURE_78", "Microsoft.Web/sites.site"),  # FTP(S) disabled
    ("CKV_AZURE_71", "Microsoft.Web/sites.site"),  # managed identity
    ("CKV_AZURE_42", "Microsoft.KeyVault/vaults.vault"),  # soft delete + purge protection
    ("CKV_AZURE_110", "Microsoft.KeyVault/vaults.vault"),  # purge protection
    ("CKV_AZURE_44", "Microsoft.Storage/storageAccounts.storage"),  # storage TLS 1.2
    ("CKV_AZURE_3", "Microsoft.Storage/storageAccounts.storage"),  # HTTPS traffic only
    (
        "CKV_AZURE_34",
        "Microsoft.Storage/storageAccounts/blobServices/containers.deploymentContainer",
    ),
}
_SKIP_COMMENT = re.compile(r"//\s*checkov:skip=([A-Z0-9_]+):(.*)")


@pytest.fixture(scope="session")
def report() -> CheckovReport:
    return run_checkov(INFRA)


def _copy_infra(tmp_path: Path) -> Path:
    copy = tmp_path / "infra"
    shutil.copytree(INFRA, copy)
    return copy


def test_checkov_reports_no_failed_check(report: CheckovReport) -> None:
    assert report.failed == []
    assert report.exit_code == 0


def test_checkov_parses_every_bicep_file(report: CheckovReport) -> None:
    # Checkov exits 0 when it cannot parse a file, so its report is read instead.
    assert report.parsing_errors == []


def test_checkov_passes_at_least_the_known_number_of_checks(report: CheckovReport) -> None:
    assert len(report.passed) >= MIN_PASSED


def test_checkov_passes_the_essential_checks(report: CheckovReport) -> None:
    passed = {(finding.check_id, finding.resource) for finding in report.passed}
    assert passed >= ESSENTIAL_PASSES


def test_checkov_scans_every_bicep_file(report: CheckovReport) -> None:
    scanned = {finding.file for finding in report.passed + report.skipped}
    with_checks = {
        "app/function.bicep",
        "app/keyvault.bicep",
        "app/network.bicep",
        "app/storage.bicep",
    }
    assert with_checks <= scanned


def test_checkov_makes_no_outbound_request(report: CheckovReport) -> None:
    assert report.outbound_requests == []


def test_skipped_checks_are_the_committed_list_with_its_reasons(report: CheckovReport) -> None:
    committed = json.loads(SKIPS_FILE.read_text())["skips"]
    expected = {(s["check"], s["file"], s["resource"], s["reason"]) for s in committed}
    actual = {(f.check_id, f.file, f.resource, (f.comment or "").strip()) for f in report.skipped}
    assert actual == expected
    assert len(committed) == len(expected), "checkov-skips.json lists a skip twice"
    assert all(s["reason"].strip() for s in committed)


def test_every_skip_comment_in_the_bicep_takes_effect(report: CheckovReport) -> None:
    # A skip written above a resource instead of inside its body is ignored by checkov: the count
    # of comments would then exceed the count of skipped checks.
    comments = [
        match.group(1)
        for path in bicep_files()
        for match in _SKIP_COMMENT.finditer(path.read_text())
    ]
    assert sorted(comments) == sorted(f.check_id for f in report.skipped)


def test_checkov_fails_a_copy_with_https_only_off(tmp_path: Path) -> None:
    copy = _copy_infra(tmp_path)
    function = copy / "app" / "function.bicep"
    text = function.read_text()
    assert text.count("httpsOnly: true") == 1
    function.write_text(text.replace("httpsOnly: true", "httpsOnly: false"))
    result = run_checkov(copy)
    failed = {(f.check_id, f.resource) for f in result.failed}
    # Three of checkov's checks read httpsOnly on a web app; nothing else may change.
    assert failed == {
        ("CKV_AZURE_14", "Microsoft.Web/sites.site"),
        ("CKV_AZURE_70", "Microsoft.Web/sites.site"),
        ("CKV_AZURE_153", "Microsoft.Web/sites.site"),
    }
    assert result.exit_code == 1


def test_checkov_reports_bicep_it_cannot_parse(tmp_path: Path) -> None:
    # Lambdas are newer than checkov's pycep-parser: a file using one is reported, not scanned.
    copy = _copy_infra(tmp_path)
    identity = copy / "app" / "identity.bicep"
    identity.write_text(identity.read_text() + "\nvar doubled = map([1, 2], n => n * 2)\n")
    result = run_checkov(copy)
    assert [Path(error).name for error in result.parsing_errors] == ["identity.bicep"]
    assert result.exit_code == 0  # why the check reads parsing_errors rather than the exit code


def test_the_recording_proxy_catches_a_request_that_tries_to_leave() -> None:
    # Proof that an empty outbound list means something: a request from checkov's environment,
    # with the same settings, lands at the loopback proxy instead of the internet.
    python = str(ensure_checkov().with_name("python"))
    script = (
        "import requests\n"
        "try:\n"
        "    requests.get('https://pypi.org/pypi/checkov/json', timeout=5)\n"
        "except requests.RequestException:\n"
        "    pass\n"
    )
    with RecordingProxy() as proxy:
        subprocess.run(
            [python, "-c", script],
            env=offline_environment(proxy.url),
            timeout=60,
            check=True,
        )
        seen = proxy.requests
    assert len(seen) == 1
    assert seen[0].startswith("CONNECT pypi.org:443 ")


def test_pycep_parser_here_is_the_version_checkov_uses() -> None:
    ensure_checkov()
    assert importlib.metadata.version("pycep-parser") == installed_version("pycep-parser")
