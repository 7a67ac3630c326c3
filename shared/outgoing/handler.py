"""The Outgoing Webhook endpoint: verify, parse, run the command, answer within the deadline.

Every check that can refuse a request runs before any command does, in this order: size (413),
signature (401), Activity (400), replay (401). Failed checks are answered with the JSON error
shape and logged with their reason; the log never holds a token, key or signature.
"""

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import azure.functions as func

from shared.api.errors import ApiError, ErrorCode, error_response, json_response
from shared.config.once import read_once
from shared.heap import settle
from shared.outgoing import (  # noqa: F401  (they register)
    commands_builtin,
    commands_custom,
    commands_state,
)
from shared.outgoing.activity import Activity, ActivityError, parse_activity
from shared.outgoing.commands_builtin import help_text
from shared.outgoing.config import OutgoingConfig, Webhook, current_outgoing_config, is_valid_name
from shared.outgoing.deadline import DeadlineExceeded, TooBusy, run_before
from shared.outgoing.registry import CommandContext, Registry, commands
from shared.outgoing.replay import ReplayGuard
from shared.outgoing.replies import InvalidReplyCard, text_message, to_message
from shared.outgoing.signature import SignatureError, parse_authorization, verify_signature
from shared.outgoing.text import CommandLine, parse_command
from shared.teams.client import load_transport

MAX_BODY_BYTES = 64 * 1024
WEBHOOK_PARAMETER = "webhook"

logger = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Endpoint:
    """The endpoint's state: settings, commands, and the memory of answered activities."""

    config: OutgoingConfig
    registry: Registry = field(default_factory=lambda: commands)
    clock: Callable[[], datetime] = _utc_now
    replay: ReplayGuard = field(init=False)

    def __post_init__(self) -> None:
        self.replay = ReplayGuard(self.config.replay_window_seconds)

    async def handle(self, request: func.HttpRequest) -> func.HttpResponse:
        started = time.monotonic()
        deadline = started + self.config.deadline_seconds
        name = (request.params.get(WEBHOOK_PARAMETER) or "").strip().lower()
        body = request.get_body()
        if len(body) > MAX_BODY_BYTES:
            return _refuse(
                ErrorCode.TOO_LARGE,
                f"The body is over the {MAX_BODY_BYTES} byte limit of this endpoint.",
                f"body of {len(body)} bytes",
                name,
            )
        try:
            webhook = self._authenticate(name, body, request.headers.get("authorization"))
        except SignatureError as error:
            return _unauthorized(error.reason, name)
        try:
            activity = parse_activity(body)
        except ActivityError as error:
            return _refuse(error.code, error.message, error.message, name)
        replayed = self._replay_problem(webhook, activity)
        if replayed is not None:
            return _unauthorized(f"replay: {replayed}", name)

        line = parse_command(activity.text or "")
        message, outcome = await self._answer(line, activity, webhook, deadline)
        logger.info(
            "outgoing webhook %s: activity %s, command %r, %s in %.0f ms",
            webhook.name,
            activity.id,
            line.name[:40],
            outcome,
            (time.monotonic() - started) * 1000,
        )
        return json_response(200, message)

    def _authenticate(self, name: str, body: bytes, authorization: str | None) -> Webhook:
        signature = parse_authorization(authorization)
        webhook = self.config.webhooks.get(name)
        if webhook is None:
            raise SignatureError(self._why_unknown(name))
        if not body:
            raise SignatureError("empty body")
        verify_signature(body, signature, webhook.key)
        return webhook

    def _why_unknown(self, name: str) -> str:
        if not name:
            return f"no ?{WEBHOOK_PARAMETER}=<name> in the callback URL"
        if not is_valid_name(name):
            return "webhook name in the callback URL is not valid"
        setting = self.config.disabled.get(name)
        if setting is not None:
            return f"webhook is disabled by a configuration problem in {setting}"
        return "unknown webhook name (no TEAMS_OUTGOING_TOKEN_<NAME> setting for it)"

    def _replay_problem(self, webhook: Webhook, activity: Activity) -> str | None:
        now = self.clock()
        problem = self.replay.timestamp_problem(activity.timestamp, now)
        if problem is not None:
            return problem
        key = (webhook.name, activity.conversation.id, activity.id)
        if not self.replay.first_time(key, activity.timestamp, now):
            return f"activity {activity.id} was already answered"
        return None

    async def _answer(
        self, line: CommandLine, activity: Activity, webhook: Webhook, deadline: float
    ) -> tuple[dict[str, Any], str]:
        command = self.registry.get(line.name or "help")
        if command is None:
            return text_message(_unknown(line.name, self.registry)), "unknown command"
        context = CommandContext(
            name=command.name,
            args=line.args,
            activity=activity,
            webhook=webhook,
            registry=self.registry,
            deadline=deadline,
        )
        try:
            return await run_before(deadline, command, context, to_message), "answered"
        except DeadlineExceeded:
            budget = self.config.deadline_seconds
            unit = "second" if budget == 1 else "seconds"
            text = (
                f"`{command.name}` took too long (over {budget:g} {unit}) and was left "
                "unfinished. Please try again later."
            )
            return text_message(text), "deadline exceeded"
        except TooBusy:
            text = "Too many earlier commands are still running. Please try again in a minute."
            return text_message(text), "refused: too many commands still running"
        except InvalidReplyCard as error:
            lines = "\n".join(f"- {problem}" for problem in error.problems[:5])
            text = f"`{command.name}` answered with a card Teams cannot show as a reply:\n\n{lines}"
            return text_message(text), "invalid reply card"
        except Exception as error:
            where = _where(error)
            logger.error(
                "outgoing webhook command %s failed: %s at %s",
                command.name,
                type(error).__name__,
                where,
            )
            text = f"`{command.name}` failed ({type(error).__name__}); the app's log has more."
            return text_message(text), "failed"


@read_once
def current_endpoint() -> Endpoint:
    """The process's endpoint, built on first use from the app settings."""
    return Endpoint(current_outgoing_config())


def prepare() -> None:
    """The endpoint built from the settings ahead of the first request's handling, off the
    event loop (shared.triggers.loading); the certificate store and httpx's transport that
    `send` posts with. Then all of it is set aside from the garbage collector (shared.heap)."""
    current_endpoint()
    load_transport()
    settle()


async def handle(request: func.HttpRequest) -> func.HttpResponse:
    """Answer one Outgoing Webhook request (the function behind `POST /api/teams/outgoing`)."""
    return await current_endpoint().handle(request)


def _unknown(name: str, registry: Registry) -> str:
    shown = name.replace("`", "")[:40]
    closest = registry.closest(name)
    hint = f" Did you mean `{closest}`?" if closest else ""
    return f"I don't know the command `{shown}`.{hint}\n\n{help_text(registry)}"


def _where(error: BaseException) -> str:
    # The place, not the message: exception texts can hold URLs or other secrets.
    frames = traceback.extract_tb(error.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "unknown place"


def _unauthorized(reason: str, name: str) -> func.HttpResponse:
    # One answer for every reason: callers learn nothing about names, tokens or signatures.
    return _refuse(
        ErrorCode.UNAUTHORIZED,
        "The request is not signed by a configured Teams Outgoing Webhook.",
        reason,
        name,
    )


def _refuse(code: ErrorCode, message: str, reason: str, name: str) -> func.HttpResponse:
    logger.warning(
        "outgoing webhook %r: refused with %d: %s", name[:64] or "(none)", code.status, reason
    )
    return error_response(ApiError(code, message))
