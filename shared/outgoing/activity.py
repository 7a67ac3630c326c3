"""The Bot Framework Activity that Teams posts to an Outgoing Webhook.

Only the fields the endpoint uses are typed; everything else Teams sends, now or later, is kept
as is (`model_extra`) and never makes a request fail.
"""

import json
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from shared.api.errors import ErrorCode


class ActivityError(ValueError):
    """The body is not a usable message Activity; `code` is the error code of the answer."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="allow", alias_generator=to_camel, populate_by_name=True, frozen=True
    )


class ChannelAccount(_Model):
    id: str = ""
    name: str = ""
    aad_object_id: str | None = None


class ConversationAccount(_Model):
    id: str = ""
    name: str | None = None
    conversation_type: str | None = None
    tenant_id: str | None = None


class Activity(_Model):
    type: str
    id: str = Field(min_length=1)
    timestamp: AwareDatetime
    local_timestamp: str | None = None
    channel_id: str | None = None
    service_url: str | None = None
    from_: ChannelAccount = Field(default_factory=ChannelAccount, alias="from")
    conversation: ConversationAccount = Field(default_factory=ConversationAccount)
    text_format: str | None = None
    text: str | None = None
    entities: list[dict[str, Any]] = Field(default_factory=list)
    channel_data: dict[str, Any] | None = None


def parse_activity(body: bytes) -> Activity:
    """The message Activity in a request body, or ActivityError saying what is wrong with it."""
    try:
        # Teams sends UTF-8; json.loads would also guess UTF-16 and UTF-32 from raw bytes.
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise ActivityError(ErrorCode.INVALID_JSON, "The body is not UTF-8 encoded JSON.") from None
    except RecursionError:
        raise ActivityError(ErrorCode.INVALID_JSON, "The body nests JSON too deeply.") from None
    except json.JSONDecodeError as error:
        raise ActivityError(
            ErrorCode.INVALID_JSON,
            f"The body is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}.",
        ) from None
    except ValueError:
        # Python refuses to read an integer of more than 4,300 digits (int_max_str_digits, a
        # guard against quadratic conversion); no Activity field holds such a number.
        raise ActivityError(
            ErrorCode.INVALID_JSON, "The body holds a number too long to read."
        ) from None
    if not isinstance(data, dict):
        raise ActivityError(ErrorCode.INVALID_ACTIVITY, "The body is not a JSON object.")
    kind = data.get("type")
    if kind != "message":
        shown = json.dumps(kind[:40]) if isinstance(kind, str) else "that is not a string"
        raise ActivityError(
            ErrorCode.NOT_A_MESSAGE,
            f"Only message activities are answered; this one has type {shown}.",
        )
    try:
        return Activity.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "activity"
        raise ActivityError(
            ErrorCode.INVALID_ACTIVITY,
            f"The activity field '{where}' is not valid: {first['msg']}.",
        ) from None
