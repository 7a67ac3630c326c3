"""The subscriptions service the configuration page calls (shared.connect): create, list, edit,
pause, resume and delete a person's subscriptions, what the form offers, and city lookup.

Configured once per process (`current_subscriptions()`), then called. Every change is checked
first (`SubscriptionProblem` names the field), a new or changed webhook gets the welcome card and
is stored only when Teams took it (`TeamsRefused` carries Teams' reason), and the URL is sealed
before it reaches the table (crypto.py). A subscription is only ever seen or changed by the
person who created it; anyone else gets `NotFound`, as for an id that does not exist.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Final, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.config.once import read_once
from shared.config.settings import Settings, current_settings
from shared.state.store import StateUnavailable
from shared.subscriptions.configured import current_subscription_store
from shared.subscriptions.crypto import KeyProblem, UrlSealer
from shared.subscriptions.filters import filter_problem
from shared.subscriptions.greeting import GOODBYE, WELCOME, goodbye_data, post_card, welcome_data
from shared.subscriptions.model import (
    Draft,
    NotFound,
    Offer,
    Person,
    Place,
    ScheduleChoice,
    SubscriptionProblem,
    SubscriptionsUnavailable,
    SubscriptionView,
    TeamsRefused,
    TopicChoice,
)
from shared.subscriptions.names import CHANNEL_PREFIX, ID, channel_name_for, subscription_id_of
from shared.subscriptions.offer import current_offer, subscribable_entries
from shared.subscriptions.places import find_places
from shared.subscriptions.table import Changed, StoredSubscription, SubscriptionTable
from shared.subscriptions.topics import current_topics
from shared.teams.channels import ChannelKind, Usable, classify_url

__all__ = [
    "CHANNEL_PREFIX",
    "Subscriptions",
    "channel_name_for",
    "current_subscriptions",
    "fingerprint",
    "subscription_id_of",
]

logger = logging.getLogger("shared.subscriptions")

_ID: Final = ID
MAX_TOPICS: Final = 20
MAX_SCHEDULES: Final = 5
MAX_CHANNEL_NAME: Final = 80
_TIME: Final = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")

T = TypeVar("T")


def fingerprint(url: str) -> str:
    """12 hex characters that tell two webhook URLs apart and reveal neither."""
    return hashlib.sha256(url.encode()).hexdigest()[:12]


def _view(item: StoredSubscription) -> SubscriptionView:
    return SubscriptionView(
        id=item.id,
        channel_name=item.channel_name,
        fingerprint=item.fingerprint,
        topics=item.topics,
        schedules=item.schedules,
        active=item.active,
        paused_reason=item.paused_reason,
        created_by=item.created_by,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _now() -> datetime:
    return datetime.now(UTC)


class Subscriptions:
    """A person's subscriptions, in the table; configured once per process."""

    def __init__(self, table: SubscriptionTable, sealer: UrlSealer, settings: Settings) -> None:
        self.table = table
        self.sealer = sealer
        self.settings = settings

    # --- what the page offers ----------------------------------------------------------------

    def offer(self) -> Offer:
        return current_offer()

    async def places(self, query: str) -> list[Place]:
        return await find_places(query)

    # --- reading -------------------------------------------------------------------------------

    async def mine(self, by: Person) -> list[SubscriptionView]:
        rows = await self._call(lambda: self.table.by_creator(by.id))
        return [_view(row) for row in sorted(rows, key=lambda r: r.created_at)]

    async def _owned(self, id: str, by: Person) -> StoredSubscription:
        if not _ID.fullmatch(id):
            raise NotFound(id)
        row = await self._call(lambda: self.table.get(id))
        if row.created_by.id != by.id:
            raise NotFound(id)
        return row

    # --- changes -------------------------------------------------------------------------------

    async def create(self, draft: Draft, by: Person) -> SubscriptionView:
        if draft.webhook_url is None:
            raise SubscriptionProblem("webhookUrl", "is required: paste the workflow's URL")
        name, url, kind = self._checked(draft, draft.webhook_url)
        # The table must answer before Teams is told the channel is connected.
        await self._call(lambda: self.table.store.table("subscriptions"))
        id = secrets.token_hex(10)
        await self._welcome(id, name, draft, by, url, kind)
        now = _now()
        row = StoredSubscription(
            id=id,
            channel_name=name,
            kind=kind.value,
            fingerprint=fingerprint(url),
            sealed=self.sealer.seal(url, id),
            topics=draft.topics,
            schedules=draft.schedules,
            active=True,
            paused_reason=None,
            created_by=by,
            created_at=now,
            updated_at=now,
        )
        await self._call(lambda: self.table.insert(row))
        logger.info(
            "subscription created id=%s webhook=#%s topics=%d schedules=%d",
            id,
            row.fingerprint,
            len(row.topics),
            len(row.schedules),
        )
        return _view(row)

    async def update(self, id: str, draft: Draft, by: Person) -> SubscriptionView:
        row = await self._owned(id, by)
        if draft.webhook_url is not None and draft.webhook_url.strip():
            name, url, kind = self._checked(draft, draft.webhook_url)
            await self._welcome(id, name, draft, by, url, kind)
            row = row.changed(
                kind=kind.value,
                fingerprint=fingerprint(url),
                sealed=self.sealer.seal(url, id),
                gone_count=0,
            )
        else:
            name, _, _ = self._checked(draft, None)
        updated = row.changed(
            channel_name=name, topics=draft.topics, schedules=draft.schedules, updated_at=_now()
        )
        try:
            stored = await self._call(lambda: self.table.replace(updated))
        except Changed:
            raise SubscriptionProblem(
                "subscription", "was changed elsewhere meanwhile: reload the page and try again"
            ) from None
        return _view(stored)

    async def pause(self, id: str, by: Person) -> SubscriptionView:
        await self._owned(id, by)
        return _view(await self.set_active(id, False, f"paused by {by.name or 'its creator'}"))

    async def resume(self, id: str, by: Person) -> SubscriptionView:
        await self._owned(id, by)
        return _view(await self.set_active(id, True, None))

    async def delete(self, id: str, by: Person) -> None:
        row = await self._owned(id, by)
        try:
            url = self.sealer.open(row.sealed, row.id)
            await post_card(
                GOODBYE,
                goodbye_data(row.channel_name, by.name),
                name=channel_name_for(row.id),
                kind=ChannelKind(row.kind),
                url=url,
            )
        except (TeamsRefused, KeyProblem) as error:
            # Best effort: a webhook already removed in Teams must not keep the row alive.
            logger.info(
                "subscription id=%s goodbye card not posted (%s)", row.id, type(error).__name__
            )
        await self._call(lambda: self.table.delete(row.id))
        logger.info("subscription deleted id=%s webhook=#%s", row.id, row.fingerprint)

    async def set_active(
        self, id: str, active: bool, reason: str | None, *, gone_count: int | None = None
    ) -> StoredSubscription:
        """Pause (with a reason) or resume a row, whoever asks (the fan-out pauses gone
        webhooks); re-read and retried when another instance wrote the row meanwhile."""

        def change() -> StoredSubscription:
            for _ in range(5):
                row = self.table.get(id)
                updated = row.changed(
                    active=active,
                    paused_reason=None if active else reason,
                    gone_count=0
                    if active
                    else (row.gone_count if gone_count is None else gone_count),
                    updated_at=_now(),
                )
                try:
                    return self.table.replace(updated)
                except Changed:
                    continue
            raise StateUnavailable("the subscription kept changing under this update")

        return await self._call(change)

    # --- checks --------------------------------------------------------------------------------

    def _checked(self, draft: Draft, url: str | None) -> tuple[str, str, ChannelKind]:
        """The draft's channel name, URL and kind; SubscriptionProblem names the first bad
        field."""
        name = " ".join(draft.channel_name.split())
        if not name:
            raise SubscriptionProblem(
                "channelName", "is required: the team and channel, as you will recognise them"
            )
        if len(name) > MAX_CHANNEL_NAME or _CONTROL.search(name):
            raise SubscriptionProblem(
                "channelName", f"must be at most {MAX_CHANNEL_NAME} printable characters"
            )
        kind = ChannelKind.WORKFLOWS
        checked_url = ""
        if url is not None:
            verdict = classify_url(
                url, allow_hosts=self.settings.allow_hosts, in_azure=self.settings.in_azure
            )
            if not isinstance(verdict, Usable):
                raise SubscriptionProblem("webhookUrl", "the URL " + verdict.reason)
            if verdict.kind is ChannelKind.OUTBOX:
                raise SubscriptionProblem(
                    "webhookUrl", "must be a Teams webhook URL (a workflow's https URL)"
                )
            kind, checked_url = verdict.kind, verdict.url
        self._check_topics(draft.topics)
        self._check_schedules(draft.schedules)
        if not draft.topics and not draft.schedules:
            raise SubscriptionProblem(
                "topics", "choose at least one topic or scheduled update for this channel"
            )
        return name, checked_url, kind

    def _check_topics(self, topics: tuple[TopicChoice, ...]) -> None:
        known = current_topics()
        if len(topics) > MAX_TOPICS:
            raise SubscriptionProblem("topics", f"at most {MAX_TOPICS} topics per subscription")
        seen: set[str] = set()
        for position, topic in enumerate(topics):
            where = f"topics[{position}]"
            if known.get(topic.name) is None:
                listed = ", ".join(known.names()) or "none"
                raise SubscriptionProblem(
                    f"{where}.name", f"is not a topic this app offers (topics: {listed})"
                )
            if topic.name in seen:
                raise SubscriptionProblem(f"{where}.name", f"{topic.name!r} is chosen twice")
            seen.add(topic.name)
            if topic.filter is not None:
                problem = filter_problem(topic.filter)
                if problem is not None:
                    raise SubscriptionProblem(f"{where}.filter", "the filter " + problem)

    def _check_schedules(self, schedules: tuple[ScheduleChoice, ...]) -> None:
        entries = subscribable_entries()
        if len(schedules) > MAX_SCHEDULES:
            raise SubscriptionProblem(
                "schedules", f"at most {MAX_SCHEDULES} scheduled updates per subscription"
            )
        for position, choice in enumerate(schedules):
            where = f"schedules[{position}]"
            entry = entries.get(choice.entry)
            if entry is None:
                listed = ", ".join(entries) or "none"
                raise SubscriptionProblem(
                    f"{where}.entry", f"is not a scheduled update this app offers ({listed})"
                )
            if not _TIME.fullmatch(choice.time_of_day):
                raise SubscriptionProblem(f"{where}.timeOfDay", "must be a time of day as HH:MM")
            try:
                ZoneInfo(choice.time_zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise SubscriptionProblem(
                    f"{where}.timeZone", "must be an IANA time zone name such as Europe/Berlin"
                ) from None
            for parameter in entry.parameters:
                _check_parameter(
                    f"{where}.parameters", parameter.name, parameter.kind, choice.parameters
                )

    # --- plumbing ------------------------------------------------------------------------------

    async def _welcome(
        self, id: str, name: str, draft: Draft, by: Person, url: str, kind: ChannelKind
    ) -> None:
        topics = {topic.name: topic.description for topic in current_topics().topics}
        labels = {entry.name: entry.label for entry in subscribable_entries().values()}
        data = welcome_data(name, by.name, draft.topics, topics, draft.schedules, labels)
        await post_card(WELCOME, data, name=channel_name_for(id), kind=kind, url=url)

    async def _call(self, call: Callable[[], T]) -> T:
        try:
            return await asyncio.to_thread(call)
        except StateUnavailable as error:
            raise SubscriptionsUnavailable(
                f"the subscriptions table did not answer ({error})"
            ) from None


def _check_parameter(where: str, name: str, kind: str, given: Mapping[str, str]) -> None:
    if kind == "place":
        city = given.get("city", "").strip()
        if not city:
            raise SubscriptionProblem(f"{where}.city", "choose a city from the list")
        for field, limit in (("latitude", 90.0), ("longitude", 180.0)):
            try:
                value = float(given.get(field, ""))
            except ValueError:
                value = float("nan")
            if not (-limit <= value <= limit):
                raise SubscriptionProblem(
                    f"{where}.{field}", "choose a city from the list (its coordinates are missing)"
                )
        return
    if not given.get(name, "").strip():
        raise SubscriptionProblem(f"{where}.{name}", "is required")


@read_once
def current_subscriptions() -> Subscriptions:
    """The process's subscriptions service. Raises SubscriptionsUnavailable naming the setting
    when storage or the key is not configured."""
    configured = current_subscription_store()
    return Subscriptions(configured.table, configured.sealer, current_settings())
