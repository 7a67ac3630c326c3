"""Topics from shared/topics.json, and filters parsed and evaluated by the card engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.subscriptions.filters import accepts, filter_problem
from shared.subscriptions.topics import read_topics


def test_the_shipped_topics_are_valid() -> None:
    found = read_topics()
    assert found.problems == ()
    assert found.names() == ["incidents", "deployments", "builds", "announcements"]


def test_a_bad_topic_is_left_out_and_named(tmp_path: Path) -> None:
    path = tmp_path / "topics.json"
    path.write_text(
        json.dumps(
            {
                "topics": [
                    {"name": "ok", "description": "Fine."},
                    {"name": "Not OK", "description": "Bad name."},
                    {"name": "ok", "description": "Twice."},
                    {"name": "quiet"},
                ]
            }
        )
    )
    found = read_topics(path)
    assert found.names() == ["ok"]
    assert [problem.split(":")[0] for problem in found.problems] == [
        "topics[1].name",
        "topics[2].name",
        "topics[3].description",
    ]
    path.write_text("{not json")
    assert read_topics(path).problems[0].startswith("topics.json: cannot be read as JSON")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("${severity <= 2}", None),
        ("${contains(environment, 'prod') && status == 'firing'}", None),
        ("  ${severity <= 2}  ", None),
        ("severity <= 2", "must be one expression written ${...}"),
        ("${a} and ${b}", "with nothing around it"),
        ("${severity <=}", "cannot be parsed"),
        ("${if(severity)}", "cannot be parsed"),
        ("${nosuch(severity)}", "Unknown function nosuch"),
        ("", "is empty"),
        ("${" + "a" * 600 + "}", "longer than 500"),
    ],
)
def test_filters_are_checked_with_the_engine_s_parser(text: str, says: str | None) -> None:
    problem = filter_problem(text)
    if says is None:
        assert problem is None
    else:
        assert problem is not None
        assert says in problem


@pytest.mark.parametrize(
    ("text", "data", "expected"),
    [
        (None, {}, True),
        ("${severity <= 2}", {"severity": 1}, True),
        ("${severity <= 2}", {"severity": 3}, False),
        ("${severity <= 2}", {}, False),  # a property the data lacks rejects, never fails
        ("${environment}", {"environment": "prod"}, True),
        ("${environment}", {"environment": ""}, False),
        ("${count}", {"count": 0}, False),
        ("${labels.team == 'platform'}", {"labels": {"team": "platform"}}, True),
        ("${exists(runbookUrl)}", {}, False),
    ],
)
def test_a_filter_accepts_when_its_value_is_truthy(
    text: str | None, data: Any, expected: bool
) -> None:
    assert accepts(text, data) is expected
