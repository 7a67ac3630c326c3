"""The topics declared in shared/topics.json: the names senders use with `?topic=`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from shared.config.once import read_once

__all__ = ["TOPICS_FILE", "Topic", "TopicSet", "current_topics", "read_topics"]

TOPICS_FILE: Final = Path(__file__).resolve().parent.parent / "topics.json"
_NAME: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_MAX_NAME: Final = 60


@dataclass(frozen=True)
class Topic:
    name: str
    description: str


@dataclass(frozen=True)
class TopicSet:
    """Every valid topic, and what is wrong with the file (by position and field)."""

    topics: tuple[Topic, ...] = ()
    problems: tuple[str, ...] = ()

    def names(self) -> list[str]:
        return [topic.name for topic in self.topics]

    def get(self, name: str) -> Topic | None:
        return next((topic for topic in self.topics if topic.name == name), None)


def read_topics(path: Path | None = None) -> TopicSet:
    """Read and check the topics file (default: shared/topics.json); never raises (a problem
    leaves that topic out)."""
    path = TOPICS_FILE if path is None else path
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return TopicSet()
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return TopicSet(problems=(f"{path.name}: cannot be read as JSON ({type(error).__name__})",))
    items = document.get("topics") if isinstance(document, dict) else None
    if not isinstance(items, list):
        return TopicSet(problems=(f'{path.name}: must be {{"topics": [...]}}',))
    topics: list[Topic] = []
    problems: list[str] = []
    for position, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else None
        description = item.get("description") if isinstance(item, dict) else None
        if not (isinstance(name, str) and _NAME.fullmatch(name) and len(name) <= _MAX_NAME):
            problems.append(
                f"topics[{position}].name: lowercase letters and digits joined by single hyphens"
            )
            continue
        if not (isinstance(description, str) and description.strip()):
            problems.append(f"topics[{position}].description: is required (the page shows it)")
            continue
        if any(topic.name == name for topic in topics):
            problems.append(f"topics[{position}].name: {name!r} is declared twice")
            continue
        topics.append(Topic(name, description.strip()))
    return TopicSet(tuple(topics), tuple(problems))


@read_once
def current_topics() -> TopicSet:
    return read_topics()
