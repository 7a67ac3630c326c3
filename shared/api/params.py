"""Query parameters of the notify and render routes, validated with pydantic.

The Functions host joins a repeated query key with commas (`?channel=ops&channel=dev` arrives as
`channel=ops,dev`), so every list parameter is comma-separated, and both spellings work:
- `channel`: channel names (any case); at most 10;
- `topic`: one topic name (shared/topics.json): the subscriptions of it get the card too;
- `mention`: people to @mention, each a UPN (`adele.vance@contoso.com`) or an Entra object id (a
  GUID); at most 20.
Other parameters are ignored; `code` (the function key) in particular is never read or repeated.
"""

import re
from collections.abc import Mapping
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared.api.errors import ApiError, ErrorCode

__all__ = ["MAX_CHANNELS", "MAX_MENTIONS", "Params", "parse_params"]

MAX_CHANNELS: Final = 10
MAX_MENTIONS: Final = 20
MAX_NAME_LENGTH: Final = 100
# A UPN: a local part without spaces, commas or markup, then a domain. Entra allows at most 113
# characters; `<` and `>` would break the `<at>` text the card carries.
_UPN: Final = re.compile(
    r"[A-Za-z0-9'._!#^~+$%&*=?`{|}/-]{1,64}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_OBJECT_ID: Final = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_MAX_UPN: Final = 113
_TOPIC: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _split(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Params(BaseModel):
    """What a notify or render request asks for besides its template and data."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    channels: list[str] = Field(default_factory=list, alias="channel")
    mentions: list[str] = Field(default_factory=list, alias="mention")
    topic: str | None = Field(None, alias="topic")

    @field_validator("topic", mode="before")
    @classmethod
    def _topic_name(cls, value: Any) -> Any:
        if isinstance(value, str):
            name = value.strip().lower()
            if not name:
                return None
            if len(name) > MAX_NAME_LENGTH or not _TOPIC.fullmatch(name):
                raise ValueError("one topic name: lowercase letters, digits and hyphens")
            return name
        return value

    @field_validator("channels", mode="before")
    @classmethod
    def _channel_list(cls, value: Any) -> Any:
        names = _split(value)
        if isinstance(names, list):
            if len(names) > MAX_CHANNELS:
                raise ValueError(f"at most {MAX_CHANNELS} channels per request")
            if any(len(name) > MAX_NAME_LENGTH for name in names):
                raise ValueError(f"a channel name is at most {MAX_NAME_LENGTH} characters")
        return names

    @field_validator("mentions", mode="before")
    @classmethod
    def _mention_list(cls, value: Any) -> Any:
        people = _split(value)
        if not isinstance(people, list):
            return people
        if len(people) > MAX_MENTIONS:
            raise ValueError(f"at most {MAX_MENTIONS} people per request")
        for position, person in enumerate(people, start=1):
            upn = len(person) <= _MAX_UPN and _UPN.fullmatch(person)
            if not (upn or _OBJECT_ID.fullmatch(person)):
                raise ValueError(
                    f"mention {position} is neither a UPN (name@domain) nor an Entra object id "
                    "(a GUID)"
                )
        # The same person once, however the caller spelled the case.
        return list({person.lower(): person for person in people}.values())


def parse_params(params: Mapping[str, str]) -> Params:
    """The request's parameters. Raises ApiError (400 `invalid_parameter`)."""
    try:
        return Params.model_validate(
            {key: value for key, value in params.items() if key in ("channel", "mention", "topic")}
        )
    except ValidationError as error:
        problems = []
        for item in error.errors(include_input=False, include_url=False):
            parameter = str(item["loc"][0]) if item["loc"] else "query"
            cause = item.get("ctx", {}).get("error")
            problems.append({"parameter": parameter, "message": str(cause or item["msg"])})
        first = problems[0]
        raise ApiError(
            ErrorCode.INVALID_PARAMETER,
            f"query parameter {first['parameter']}: {first['message']}",
            {"problems": problems},
        ) from None
