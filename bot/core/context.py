"""What a handler gets besides its command: the unit of work, the clock, the actor and their member row,
the settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar, cast

from bot.core.effects import Effect
from bot.core.errors import Forbidden
from bot.core.events import Event
from bot.core.members import Member
from bot.core.policy import MEMBERS_ONLY
from bot.core.ports import Clock, UnitOfWork
from bot.core.refs import Actor, MemberRef
from bot.core.registry import Registry
from bot.core.settings import CommunitySettings

S = TypeVar("S")


@dataclass
class Context:
    """Per-command context. Emitted events are handled in the same transaction by the bus."""

    uow: UnitOfWork
    clock: Clock
    community: CommunitySettings
    registry: Registry
    actor: Actor | None = None
    member: Member | None = None  # the actor's member row, looked up once by the bus (None: none yet)
    services: Mapping[type, object] = field(default_factory=dict)  # by port; see service()
    events: list[Event] = field(default_factory=list)
    prepared: object = None  # what the command's preparer returned (bot.core.handlers.Preparer)

    def now(self) -> datetime:
        """The injected clock's time (aware UTC)."""
        return self.clock.now()

    def service(self, port: type[S]) -> S | None:
        """The app's implementation of a feature's service port, or None when the app has none (the
        digest is posted without its chart in tests and dry runs)."""
        found = self.services.get(port)
        return cast(S, found) if found is not None else None

    def acting_member(self) -> Member:
        """The member behind the actor; Forbidden when Townsquare itself acts or the actor has no row.

        The bus has already refused MEMBER commands to anyone not admitted; staff-only commands use
        this when they need the acting lead's row.
        """
        if self.actor is None:
            raise Forbidden("That needs a member to do it.")
        if self.member is None:
            raise Forbidden(MEMBERS_ONLY)
        return self.member

    async def member_by_ref(self, ref: MemberRef) -> Member | None:
        """The member row of `ref` in this community. When `ref` is the actor, the row the bus read
        at the start of this transaction (no second query: use it before changing the member)."""
        member = self.member
        if member is not None and member.ref == ref and member.community_id == self.community.id:
            return member
        return await self.uow.members.by_ref(self.community.id, ref)

    def emit(self, event: Event) -> None:
        """Queue a domain event; its handlers run before the transaction commits."""
        self.events.append(event)

    async def send(
        self, effect: Effect, *, dedupe_key: str | None = None, platform: str | None = None
    ) -> bool:
        """Put an effect in the outbox, in this transaction. False when `dedupe_key` was used before.

        It goes to the community's platform unless `platform` names another deliverer (SINKS)."""
        return await self.uow.outbox.add(
            effect, platform=platform or self.community.platform, now=self.now(), dedupe_key=dedupe_key
        )
