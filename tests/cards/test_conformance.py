"""The engine against Microsoft's official SDK (adaptivecards-templating 2.3.1,
adaptive-expressions 4.23.3): same output for every case, and an error wherever the
SDK throws. The SDK's answers are recorded in expected.json and also checked live.

The SDK's output depends on its process's time zone (dates without an offset are local
time) and default locale (Intl's, used when a function gets no locale). Both are pinned for
the SDK's Node process, to what the engine assumes: TZ=UTC and en-US (LC_ALL/LANG
en_US.UTF-8), see devtools/sdk/reference.py NODE_ENV; test_sdk_process_is_pinned checks it.

Cases in the group "real-world" are written here after public templates; each names its
source in "source"."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from devtools.sdk import reference
from devtools.sdk.random_cases import random_cases
from devtools.sdk.random_jpath import random_jpath_cases
from shared.cards import CompiledTemplate, TemplateError, expand
from tests.support.paths import PAYLOADS, TEMPLATES
from tests.support.templates import sources

# What the product passes as $host, fixed so both engines see the same values.
HOST = {"now": "2026-01-02T03:04:05Z", "channel": "ops", "template": "t", "app": "teams-notify"}


def shipped_cases() -> list[dict[str, Any]]:
    """Every shipped template with its own sample data, and the templates made for other
    systems with every real-world payload of theirs in tests/fixtures/payloads."""
    cases = []
    # Each payload with the headers its sender sends (GitHub's X-GitHub-Event), as $host.headers.
    headers = {name: source.headers for name, source in sources().items()}
    for sample in sorted(TEMPLATES.glob("*.data.json")):
        name = sample.name.removesuffix(".data.json")
        template = json.loads((TEMPLATES / f"{name}.json").read_text("utf-8"))
        samples = [sample, *sorted(PAYLOADS.glob(f"{name.removesuffix('-alert')}-*.json"))]
        for data in samples:
            cases.append(
                {
                    "name": f"shipped template {name} with {data.name}",
                    "group": "shipped",
                    "template": template,
                    "data": json.loads(data.read_text("utf-8")),
                    "host": {**HOST, "template": name, "headers": headers.get(data.stem, {})},
                }
            )
    return cases


CASES = reference.load_cases()
SHIPPED = shipped_cases()
EXPECTED: dict[str, dict[str, Any]] = json.loads(reference.EXPECTED.read_text("utf-8"))


def python_answer(case: dict[str, Any], *, generated: bool = False) -> dict[str, Any]:
    """The engine's answer; `generated`: from the template's generated tier (_codegen), which
    a template reaches once it is reused, here from its first expansion."""
    try:
        if generated:
            template = CompiledTemplate(case["template"], tier_up_after=0)
            value = template.expand(case["data"], case["host"])
        else:
            value = expand(case["template"], case["data"], case["host"])
    except TemplateError as error:
        return {"error": str(error)}
    # Through JSON, as the SDK's answer went, so 3.0 and 3 compare as JavaScript sees them.
    return {"ok": json.loads(json.dumps(value))}


def assert_same(case: dict[str, Any], mine: dict[str, Any], sdk: dict[str, Any]) -> None:
    if "error" in sdk:
        assert "error" in mine, f"the SDK throws ({sdk['error']}) but we gave {mine}"
    else:
        assert "ok" in mine, f"we failed ({mine.get('error')}) but the SDK gave {sdk['ok']}"
        assert mine["ok"] == sdk["ok"]


def test_corpus_is_large_and_covers_every_group() -> None:
    groups = Counter(case["group"] for case in CASES)
    assert len(CASES) >= 60
    assert len({case["name"] for case in CASES}) == len(CASES), "case names are unique"
    thin = {group: count for group, count in groups.items() if count < 3}
    assert not thin, f"groups with fewer than three cases: {thin}"
    assert set(EXPECTED) == {case["name"] for case in CASES}, "expected.json is up to date"
    assert sum("error" in answer for answer in EXPECTED.values()) >= 10


@pytest.mark.parametrize("generated", [False, True], ids=["closures", "generated"])
@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_matches_recorded_sdk_answer(case: dict[str, Any], generated: bool) -> None:
    assert_same(case, python_answer(case, generated=generated), EXPECTED[case["name"]])


@pytest.fixture(scope="session")
def sdk_modules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not reference.node_available():
        if os.environ.get("CI") == "true":
            pytest.fail("node and npm are required in CI for the differential test")
        pytest.skip("node/npm not installed: the live differential test against the SDK is skipped")
    return reference.install(tmp_path_factory.mktemp("sdk"))


def test_sdk_process_is_pinned_to_utc_and_en_us(sdk_modules: Path) -> None:
    script = "const o = Intl.DateTimeFormat().resolvedOptions(); console.log(o.timeZone, o.locale)"
    result = subprocess.run(
        ["node", "-e", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**os.environ, **reference.NODE_ENV},
    )
    assert result.stdout.split() == ["UTC", "en-US"]


def test_real_world_cases_name_their_source() -> None:
    real_world = [case for case in CASES if case["group"] == "real-world"]
    assert len(real_world) >= 5
    assert all(case.get("source") for case in real_world)


def test_live_differential_shipped_templates(sdk_modules: Path) -> None:
    assert len(SHIPPED) >= 8 + len(list(PAYLOADS.glob("*.json")))
    answers = reference.expand_all(sdk_modules, SHIPPED)
    for case, sdk in zip(SHIPPED, answers, strict=True):
        assert "ok" in sdk, f"{case['name']}: the SDK fails on our own template: {sdk}"
        assert_same(case, python_answer(case), sdk)
        assert_same(case, python_answer(case, generated=True), sdk)


def test_live_differential_against_official_sdk(sdk_modules: Path) -> None:
    answers = reference.expand_all(sdk_modules, CASES)
    differences = []
    for case, sdk in zip(CASES, answers, strict=True):
        for generated in (False, True):
            try:
                assert_same(case, python_answer(case, generated=generated), sdk)
            except AssertionError as error:
                differences.append(f"{case['name']} (generated: {generated}): {error}")
        recorded = EXPECTED[case["name"]]
        if ("error" in recorded) != ("error" in sdk) or recorded.get("ok") != sdk.get("ok"):
            differences.append(f"{case['name']}: the SDK no longer answers as recorded")
    assert len(answers) >= 60
    assert not differences, "\n".join(differences)


def test_live_differential_on_random_templates(sdk_modules: Path) -> None:
    # A fixed seed, so a failure is reproducible; 3,000 cases take a few seconds.
    cases = random_cases(seed=20261124, count=3000)
    answers = reference.expand_all(sdk_modules, cases)
    differences = []
    for case, sdk in zip(cases, answers, strict=True):
        mine = python_answer(case, generated=True)
        if ("error" in sdk) != ("error" in mine) or sdk.get("ok") != mine.get("ok"):
            differences.append(f"{json.dumps(case['template'])}: sdk {sdk} ours {mine}")
    assert not differences, "\n".join(differences[:10])


def test_live_differential_on_random_jpath_queries(sdk_modules: Path) -> None:
    # JSPath queries from the grammar (a fifth with a character changed), over random data.
    cases = random_jpath_cases(seed=20261203, count=3000)
    answers = reference.expand_all(sdk_modules, cases)
    differences = []
    for case, sdk in zip(cases, answers, strict=True):
        mine = python_answer(case)
        if ("error" in sdk) != ("error" in mine) or sdk.get("ok") != mine.get("ok"):
            differences.append(f"{json.dumps(case['data'])}: sdk {sdk} ours {mine}")
    assert (
        sum("ok" in answer and answer["ok"].get("v") not in (None, []) for answer in answers) > 500
    )
    assert not differences, "\n".join(differences[:10])
