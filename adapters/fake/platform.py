"""An in-memory platform: feeds invocations and events to the core, records the effects it is asked to
carry out. Used by the core's tests and by `townsquare demo`."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.effects import (
    AddToSpace,
    CreateScheduledEvent,
    DirectMessage,
    EditMessage,
    Effect,
    OpenPrivateSpace,
    PostMessage,
)
from bot.core.events import Event
from bot.core.invoke import invoke_button, invoke_form, invoke_message_action, invoke_slash
from bot.core.ports import Attempt, DeliveryError, PlatformRef
from bot.core.refs import Actor, MemberRef, Role
from bot.core.registry import Invocation, MessageTarget
from bot.core.replies import OpenForm, Reply

PLATFORM = "fake"


@dataclass
class FakeNotifier:
    """Records every effect delivered. `fail_next(n)` makes the next n deliveries fail. Like Discord
    with a message nonce, a second attempt with the same key makes nothing new: it answers with what
    the first made."""

    platform: str = PLATFORM
    delivered: list[Effect] = field(default_factory=list)
    messages: dict[str, str] = field(default_factory=dict)  # message id -> current text
    _failures: int = 0
    _permanent: bool = False
    attempts: list[Attempt | None] = field(default_factory=list)  # what the relay said of each try
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _made: dict[str, Mapping[str, PlatformRef]] = field(default_factory=dict)  # attempt key -> refs

    def fail_next(self, times: int, *, permanent: bool = False) -> None:
        self._failures, self._permanent = times, permanent

    async def deliver(
        self, effect: Effect, refs: Mapping[str, PlatformRef], attempt: Attempt | None = None
    ) -> Mapping[str, PlatformRef]:
        self.attempts.append(attempt)
        if self._failures > 0:
            self._failures -= 1
            raise DeliveryError("fake platform failure", retryable=not self._permanent)
        if attempt is not None and attempt.key in self._made:
            return self._made[attempt.key]
        made = self._carry_out(effect, refs)
        if attempt is not None:
            self._made[attempt.key] = made
        return made

    def absorbs_resend(self, effect: Effect) -> bool:
        """Every resend with the same key is absorbed (see the class docstring)."""
        return True

    def _carry_out(self, effect: Effect, refs: Mapping[str, PlatformRef]) -> Mapping[str, PlatformRef]:
        self.delivered.append(effect)
        if isinstance(effect, PostMessage):
            message_id = str(next(self._ids))
            channel = refs[effect.channel].channel_id if effect.channel in refs else effect.channel
            self.messages[message_id] = effect.text
            return {effect.message_key: PlatformRef(channel, message_id)} if effect.message_key else {}
        if isinstance(effect, EditMessage):
            ref = refs[effect.message_key]
            self.messages[ref.message_id or ""] = effect.text
        if isinstance(effect, OpenPrivateSpace):
            return {effect.space_key: PlatformRef(f"space-{next(self._ids)}")}
        if isinstance(effect, AddToSpace):
            _ = refs[effect.space_key]
        if isinstance(effect, CreateScheduledEvent):  # Discord returns the event's id
            return {effect.event_key: PlatformRef(effect.channel, f"event-{next(self._ids)}")}
        return {}

    def of_kind(self, kind: type[Any]) -> list[Any]:
        """Delivered effects of one type, in order."""
        return [e for e in self.delivered if isinstance(e, kind)]

    def dms_to(self, member: MemberRef) -> list[DirectMessage]:
        return [e for e in self.of_kind(DirectMessage) if e.member == member]


@dataclass
class FakePlatform:
    """Drives the core as a platform adapter would: actors, invocations, button presses, events."""

    bus: Any
    community_id: str
    notifier: FakeNotifier = field(default_factory=FakeNotifier)
    _event_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def actor(self, user_id: str | int, *roles: Role, name: str = "") -> Actor:
        """An actor on this platform; roles as the adapter would map them from platform roles."""
        return Actor(
            ref=MemberRef(PLATFORM, str(user_id)),
            community_id=self.community_id,
            roles=frozenset(roles),
            display_name=name or f"user{user_id}",
        )

    def _inv(self, actor: Actor, channel_id: str | None = None, **options: Any) -> Invocation:
        return Invocation(actor=actor, community_id=self.community_id, channel_id=channel_id, options=options)

    async def slash(self, actor: Actor, name: str, **options: Any) -> Reply | OpenForm:
        return await invoke_slash(self.bus, name, self._inv(actor, **options))

    async def press(self, actor: Actor, key: str) -> Reply | OpenForm:
        return await invoke_button(self.bus, key, self._inv(actor))

    async def submit(
        self, actor: Actor, form: OpenForm | str, answers: Mapping[str, str], context: str = ""
    ) -> Reply | OpenForm:
        key = form.form_key if isinstance(form, OpenForm) else form
        ctx = form.context if isinstance(form, OpenForm) and not context else context
        return await invoke_form(self.bus, key, self._inv(actor), answers, ctx)

    async def message_action(self, actor: Actor, key: str, target: MessageTarget) -> Reply | OpenForm:
        return await invoke_message_action(self.bus, key, self._inv(actor), target)

    async def event(self, event: Event, event_id: str | None = None) -> Reply | Any:
        """Deliver a platform event, deduplicated by `event_id` (a fresh id when None)."""
        from bot.core.bus import Source

        eid = event_id or f"evt-{next(self._event_ids)}"
        return await self.bus.handle(event, source=Source(PLATFORM, eid))


def at(value: str) -> datetime:
    """Parse an ISO timestamp into an aware UTC datetime (test and demo convenience)."""
    from datetime import UTC

    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
