"""Every payload fixture says where it comes from (tests/fixtures/payloads/SOURCES.md) and with
which headers its sender posts it."""

from tests.support.paths import PAYLOADS
from tests.support.templates import sources

# Where the public example payloads are published.
PUBLIC_DOCS = (
    "https://docs.github.com/",
    "https://learn.microsoft.com/",
    "https://prometheus.io/docs/",
    "https://grafana.com/docs/",
)


def test_every_fixture_has_a_row_and_every_row_a_fixture() -> None:
    fixtures = {path.stem for path in PAYLOADS.glob("*.json")}
    assert set(sources()) == fixtures


def test_every_source_is_public_documentation() -> None:
    for name, source in sources().items():
        assert source.url.startswith(PUBLIC_DOCS), (name, source.url)


def test_github_fixtures_name_their_event_and_no_other_does() -> None:
    for name, source in sources().items():
        assert ("X-GitHub-Event" in source.headers) == name.startswith("github-"), name
