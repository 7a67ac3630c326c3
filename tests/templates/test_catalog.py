"""The template catalog: which templates exist, what they hold, and how names are looked up."""

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import shared
from shared import catalog

TEMPLATES = Path(shared.__file__).parent / "templates"
SHIPPED = [
    "message",
    "build-status",
    "deployment",
    "alert",
    "azure-monitor-alert",
    "alertmanager",
    "github",
    "azure-devops",
    "digest",
    "command-help",
]
# The functions the app's engine implements (issue 2, "Expressions").
ENGINE_FUNCTIONS = set(
    [
        "if",
        "and",
        "or",
        "not",
        "equals",
        "exists",
        "empty",
        "concat",
        "string",
        "int",
        "float",
        "bool",
        "toUpper",
        "toLower",
        "trim",
        "substring",
        "length",
        "indexOf",
        "lastIndexOf",
        "replace",
        "split",
        "join",
        "count",
        "first",
        "last",
        "contains",
        "startsWith",
        "endsWith",
        "select",
        "foreach",
        "where",
        "sortBy",
        "round",
        "isFloat",
        "isInteger",
        "isArray",
        "indicesAndValues",
        "sum",
        "min",
        "max",
        "average",
        "formatNumber",
        "formatDateTime",
        "addDays",
        "addHours",
        "utcNow",
        "json",
        "coalesce",
    ]
)


def template_files() -> set[str]:
    return {path.name for path in TEMPLATES.glob("*.json") if path.name != "catalog.json"}


# --- what ships ---------------------------------------------------------------------------------


def test_the_catalog_lists_every_shipped_template() -> None:
    assert set(SHIPPED) <= set(catalog.template_names())


def test_template_names_follow_catalog_order() -> None:
    raw = json.loads((TEMPLATES / "catalog.json").read_text(encoding="utf-8"))
    assert catalog.template_names() == list(raw)


def test_every_catalog_entry_has_a_template_and_sample_data_file() -> None:
    for name in catalog.template_names():
        assert (TEMPLATES / f"{name}.json").is_file(), name
        assert (TEMPLATES / f"{name}.data.json").is_file(), name


def test_every_template_file_belongs_to_a_catalog_entry() -> None:
    expected = {
        f"{name}{suffix}" for name in catalog.template_names() for suffix in (".json", ".data.json")
    }
    assert template_files() == expected


@pytest.mark.parametrize("filename", sorted(template_files() | {"catalog.json"}))
def test_every_template_file_is_valid_json(filename: str) -> None:
    json.loads((TEMPLATES / filename).read_text(encoding="utf-8"))


def test_every_entry_has_a_one_line_description() -> None:
    for name in catalog.template_names():
        description = catalog.get(name).description
        assert description.strip(), name
        assert "\n" not in description, name
        assert len(description) <= 140, name


@pytest.mark.parametrize("name", SHIPPED)
def test_templates_are_full_width_adaptive_cards_of_version_1_5(name: str) -> None:
    # Teams renders Adaptive Cards up to 1.5; full width is `msteams.width: Full`
    # (docs/teams-protocol.md#adaptive-card-support).
    template = catalog.get(name).template
    assert template["type"] == "AdaptiveCard"
    assert template["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert template["version"] == "1.5"
    assert template["msteams"]["width"] == "Full"


def nodes(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value, *(n for v in value.values() for n in nodes(v))]
    if isinstance(value, list):
        return [n for v in value for n in nodes(v)]
    return []


@pytest.mark.parametrize("name", SHIPPED)
def test_templates_use_only_actions_teams_webhooks_support(name: str) -> None:
    # Incoming Webhooks: OpenUrl, ShowCard, ToggleVisibility; replies: OpenUrl only
    # (docs/teams-protocol.md#adaptive-card-support).
    info = catalog.get(name)
    allowed = (
        {"Action.OpenUrl"}
        if info.options.get("target") == "reply"
        else {"Action.OpenUrl", "Action.ShowCard", "Action.ToggleVisibility"}
    )
    used = {
        node["type"]
        for node in nodes(info.template)
        if isinstance(node.get("type"), str) and node["type"].startswith("Action.")
    }
    assert used <= allowed


def test_the_command_help_card_is_a_reply_card() -> None:
    assert catalog.get("command-help").options["target"] == "reply"


def expressions_in(text: str) -> list[str]:
    """The `${...}` expressions in one string, skipping braces inside quoted literals."""
    found: list[str] = []
    start = text.find("${")
    while start != -1:
        end, depth, quote = start + 2, 0, ""
        while end < len(text):
            char = text[end]
            if quote:
                if char == "\\":
                    end += 1
                elif char == quote:
                    quote = ""
            elif char in "'\"":
                quote = char
            elif char == "{":
                depth += 1
            elif char == "}":
                if depth == 0:
                    break
                depth -= 1
            end += 1
        found.append(text[start + 2 : end])
        start = text.find("${", end)
    return found


def expressions(value: Any) -> list[str]:
    if isinstance(value, str):
        return expressions_in(value)
    if isinstance(value, dict):
        return [e for k, v in value.items() for e in expressions(k) + expressions(v)]
    if isinstance(value, list):
        return [e for v in value for e in expressions(v)]
    return []


@pytest.mark.parametrize("name", SHIPPED)
def test_templates_call_only_functions_the_engine_implements(name: str) -> None:
    called: set[str] = set()
    for expression in expressions(catalog.get(name).template):
        without_strings = re.sub(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", "''", expression)
        called |= set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", without_strings))
    assert called <= ENGINE_FUNCTIONS, called - ENGINE_FUNCTIONS


# --- get() --------------------------------------------------------------------------------------


def test_get_returns_the_files_content_and_the_entry() -> None:
    info = catalog.get("alert")
    assert info.name == "alert"
    assert info.template == json.loads((TEMPLATES / "alert.json").read_text(encoding="utf-8"))
    assert info.sample_data == json.loads(
        (TEMPLATES / "alert.data.json").read_text(encoding="utf-8")
    )
    assert info.description.startswith("A generic alert")
    assert "description" not in info.options


def test_changing_what_get_returned_does_not_change_the_catalog() -> None:
    first = catalog.get("message")
    first.template["body"].clear()
    first.sample_data["title"] = "changed"
    again = catalog.get("message")
    assert again.template["body"]
    assert again.sample_data["title"] != "changed"


def test_an_unknown_name_is_an_error_listing_the_known_names() -> None:
    with pytest.raises(catalog.UnknownTemplateError) as caught:
        catalog.get("build-satus")
    assert caught.value.name == "build-satus"
    assert caught.value.known == catalog.template_names()
    assert "unknown template 'build-satus'" in str(caught.value)
    assert "build-status" in str(caught.value)


def test_a_long_unknown_name_is_shortened_in_the_message() -> None:
    with pytest.raises(catalog.UnknownTemplateError) as caught:
        catalog.get("x" * 500)
    assert "x" * 100 not in str(caught.value)


UNSAFE_NAMES = [
    "",
    "..",
    "../x",
    "../templates/message",
    "message/../alert",
    "%2e%2e",
    "%2e%2e%2fmessage",
    "/etc/passwd",
    "C:\\Windows\\win.ini",
    "..\\message",
    "message\\",
    "message.json",
    "message.data",
    "Message",
    " message",
    "message\n",
    "message\x00",
    "catalog",
    "-message",
    "message-",
    "build--status",
    "a" * 65,
]


@pytest.mark.parametrize("name", UNSAFE_NAMES)
def test_unsafe_names_are_unknown_without_reading_any_file(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog.template_names()  # the catalog itself is read once; nothing after that
    reads: list[Path] = []
    original = Path.read_text

    def spy(self: Path, *args: Any, **kwargs: Any) -> str:
        reads.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", spy)
    with pytest.raises(catalog.UnknownTemplateError):
        catalog.get(name)
    with pytest.raises(catalog.UnknownTemplateError):
        catalog.compiled(name)
    assert reads == []


def test_a_name_of_the_wrong_type_is_unknown() -> None:
    with pytest.raises(catalog.UnknownTemplateError):
        catalog.get(None)  # type: ignore[arg-type]


def test_every_file_read_is_inside_the_templates_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[Path] = []
    original = Path.read_text

    def spy(self: Path, *args: Any, **kwargs: Any) -> str:
        reads.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", spy)
    catalog._files.cache_clear()
    catalog._catalog.cache_clear()
    for name in catalog.template_names():
        catalog.get(name)
    assert reads
    assert all(path.resolve().parent == TEMPLATES.resolve() for path in reads)


def test_importing_the_catalog_reads_nothing_and_loads_no_engine() -> None:
    # Cold start of the function app must stay cheap (common rules): files load on first use.
    probe = (
        "import pathlib, sys\n"
        "reads = []\n"
        "original = pathlib.Path.read_text\n"
        "def spy(self, *a, **k):\n"
        "    reads.append(str(self))\n"
        "    return original(self, *a, **k)\n"
        "pathlib.Path.read_text = spy\n"
        "import shared.catalog\n"
        "print(reads, 'shared.cards' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(shared.__file__).parent.parent,
    )
    assert result.stdout.strip() == "[] False"


def test_a_broken_catalog_file_is_reported_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "catalog.json").write_text('{"message": {"description": "x"},}', encoding="utf-8")
    monkeypatch.setattr(catalog, "CATALOG_FILE", tmp_path / "catalog.json")
    catalog._catalog.cache_clear()
    try:
        with pytest.raises(catalog.CatalogError, match=r"catalog\.json: invalid JSON at line 1"):
            catalog.template_names()
    finally:
        monkeypatch.undo()
        catalog._catalog.cache_clear()


def test_a_catalog_entry_without_description_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "catalog.json").write_text('{"message": {"target": "incoming"}}', encoding="utf-8")
    monkeypatch.setattr(catalog, "CATALOG_FILE", tmp_path / "catalog.json")
    catalog._catalog.cache_clear()
    try:
        with pytest.raises(catalog.CatalogError, match="'message' needs a \"description\""):
            catalog.template_names()
    finally:
        monkeypatch.undo()
        catalog._catalog.cache_clear()


# --- compiled() ---------------------------------------------------------------------------------


def test_compiled_parses_each_template_once_per_process() -> None:
    assert catalog.compiled("digest") is catalog.compiled("digest")


def test_compiled_expands_like_the_template_file() -> None:
    from shared.cards import expand

    info = catalog.get("message")
    host = catalog.host_object("message", "ops", datetime(2024, 5, 1, tzinfo=UTC))
    assert catalog.compiled("message").expand(info.sample_data, host) == expand(
        info.template, info.sample_data, host
    )


# --- host_object() ------------------------------------------------------------------------------


def test_the_host_object_holds_time_channel_template_app_and_version() -> None:
    host = catalog.host_object("digest", "ops", datetime(2024, 5, 1, 6, 30, 15, tzinfo=UTC))
    assert host == {
        "now": "2024-05-01T06:30:15Z",
        "channel": "ops",
        "template": "digest",
        "app": "teams-notify",
        "version": shared.__version__,
        "headers": {},
    }


def test_the_host_object_passes_only_the_allow_listed_headers_named_as_documented() -> None:
    sent = {
        "x-github-event": "issue_comment",
        "X-GITHUB-DELIVERY": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        "X-GitHub-Hook-Installation-Target-Type": "repository",
        "Authorization": "Bearer s3cret",
        "X-Hub-Signature-256": "sha256=00ff",
        "Cookie": "session=abc",
        "X-Functions-Key": "k3y",
        "Content-Type": "application/json",
    }
    host = catalog.host_object("github", "dev", datetime(2024, 5, 1, tzinfo=UTC), sent)
    assert host["headers"] == {
        "X-GitHub-Event": "issue_comment",
        "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        "X-GitHub-Hook-Installation-Target-Type": "repository",
    }


def test_no_credential_header_can_be_on_the_allow_list() -> None:
    for name in catalog.FORWARDED_HEADERS:
        lowered = name.lower()
        assert not any(
            word in lowered for word in ("auth", "signature", "cookie", "key", "token", "secret")
        ), name


def test_a_long_header_value_is_cut() -> None:
    host = catalog.host_object("github", None, None, {"X-GitHub-Event": "x" * 5000})
    assert host["headers"]["X-GitHub-Event"] == "x" * 200


def test_the_host_time_is_converted_to_utc_without_fractions() -> None:
    berlin = timezone(timedelta(hours=2))
    host = catalog.host_object("alert", None, datetime(2024, 5, 1, 8, 0, 0, 999_999, tzinfo=berlin))
    assert host["now"] == "2024-05-01T06:00:00Z"


def test_a_naive_host_time_is_taken_as_utc() -> None:
    host = catalog.host_object("alert", None, datetime(2024, 5, 1, 8, 0))
    assert host["now"] == "2024-05-01T08:00:00Z"


def test_the_host_time_defaults_to_now() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    now = datetime.strptime(catalog.host_object("alert", None)["now"], "%Y-%m-%dT%H:%M:%SZ")
    after = datetime.now(UTC)
    assert before <= now.replace(tzinfo=UTC) <= after


def test_a_missing_channel_is_null() -> None:
    host = catalog.host_object("message", None, datetime(2024, 5, 1, tzinfo=UTC))
    assert host["channel"] is None
    assert json.loads(json.dumps(host)) == host
