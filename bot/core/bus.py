"""The message bus: one unit of work per command or inbound event, deduplicated by platform event id.

A command runs its handler; the domain events the handler emits run their subscribers in the same
transaction, so state and the effects it causes commit together (or not at all). A platform event
id is claimed in that same transaction: a replay or a concurrent retry finds it claimed and changes
nothing.

Write transactions stay short: a command with a preparer (the digest) reads and renders on a
read-only unit of work first, and only then opens its write transaction. A command that only reads
(`Command.reads_only`: /badges, /profile) runs wholly on a read-only unit of work, so it never waits
for a writer (on SQLite, WAL readers run beside the one writer). A transaction that meets
a busy database ("database is locked", a PostgreSQL serialization failure or deadlock) is rolled
back and run again after a backoff, instead of failing the command.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.core.commands import Command, Permission
from bot.core.context import Context
from bot.core.errors import Forbidden, UserFacingError
from bot.core.events import Event
from bot.core.handlers import HandlerTable, Preparer
from bot.core.policy import refusal
from bot.core.ports import Clock, UnitOfWork
from bot.core.pseudonyms import keyed_hash, member_pseudonym, pseudonym
from bot.core.refs import Actor
from bot.core.registry import Built, Registry
from bot.core.replies import Reply
from bot.core.settings import CommunitySettings

log = logging.getLogger("townsquare.bus")

Message = Command | Event
BUSY_RETRY_DELAYS = (0.02, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6)
"""Seconds to wait before each retry of a transaction that found the database busy (about 3 s in all,
on top of each attempt's own busy timeout)."""


@dataclass(frozen=True)
class Source:
    """Where an inbound message came from, for deduplication: ("discord", gateway event id)."""

    platform: str
    event_id: str


@dataclass(frozen=True)
class JobRun:
    """A scheduled run of a job: its key and the instant it was scheduled for. Claimed (job_run) in
    the command's own transaction, so a job fired twice for one time, or run again after a restart,
    does its work once, and a run that fails leaves nothing claimed and can be tried again.

    `stamp`, when given, is the schedule stamp the scheduler built the run's job from: the run's own
    transaction reads the stamp first and, if it moved, raises ScheduleMoved with nothing done (so
    a scheduler pass may check the stamp there instead of in a read of its own). `recorded` is told
    once the run record is known to exist: True when this run made it (and committed), False when an
    earlier run had (nothing done); a refused or failed run tells nothing."""

    key: str
    scheduled_for: datetime
    stamp: int | None = None
    recorded: Callable[[bool], None] | None = field(default=None, compare=False, repr=False)

    def settled(self, fresh: bool) -> None:
        """The run record exists: `fresh` if this run made it."""
        if self.recorded is not None:
            self.recorded(fresh)


class ScheduleMoved(Exception):
    """A job run given a schedule stamp found the database's stamp moved: its job may be outdated
    (another change to the programme or the polls), so it did nothing; the scheduler rebuilds."""


async def check_stamp(uow: UnitOfWork, job: JobRun) -> None:
    """Raise ScheduleMoved when `job` carries a stamp and the database's is not that one."""
    if job.stamp is not None and await uow.job_runs.schedule_stamp() != job.stamp:
        raise ScheduleMoved(job.key)


class Bus(Protocol):
    """The message bus as its callers see it: the registry (for invoking), the handler table (for the
    scheduler's jobs), and handling one command or event."""

    @property
    def registry(self) -> Registry: ...

    @property
    def handlers(self) -> HandlerTable: ...

    async def handle(
        self,
        message: Message,
        actor: Actor | None = None,
        *,
        source: Source | None = None,
        job: JobRun | None = None,
    ) -> Reply | Built:
        """Handle one command or event in its own unit of work."""
        ...


class UnknownCommunity(LookupError):
    """A message named a community that is not configured."""


class MessageBus:
    """Routes commands and events to handlers inside a unit of work."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        handlers: HandlerTable,
        registry: Registry,
        communities: Mapping[str, CommunitySettings],
        on_commit: Callable[[], None] | None = None,
        services: Mapping[type, object] | None = None,
        *,
        read_factory: Callable[[], UnitOfWork] | None = None,
        busy: Callable[[BaseException], bool] | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        # Units of work that never take the write lock, for preparers (default: the same factory).
        self.read_factory = read_factory or uow_factory
        # Whether a failure means "the database was busy, try again" (storage.db.is_busy).
        self.busy = busy or (lambda _exc: False)
        self.clock = clock
        self.handlers = handlers
        self.registry = registry
        self.communities = communities
        self.on_commit = on_commit or (lambda: None)
        self.services = dict(services or {})  # feature services by port (the digest chart renderer)
        self._salts: dict[str, str] = {}

    async def handle(
        self,
        message: Message,
        actor: Actor | None = None,
        *,
        source: Source | None = None,
        job: JobRun | None = None,
    ) -> Reply | Built:
        """Handle one command or event; a UserFacingError becomes a private reply, nothing committed."""
        started = time.perf_counter()
        name = type(message).__name__
        outcome = "ok"
        try:
            result, duplicate = await self._handle(message, actor, source, job)
            if duplicate:
                outcome = "duplicate"
            return result
        except UserFacingError as exc:
            outcome = f"refused ({type(exc).__name__})"
            return Reply(text=exc.message, private=True)
        except ScheduleMoved:
            outcome = "not run (the schedule moved)"
            raise
        except BaseException as exc:
            outcome = f"failed ({type(exc).__name__})"
            raise
        finally:
            if log.isEnabledFor(logging.INFO):  # the pseudonyms are HMACs: not made for a line not logged
                log.info(
                    "handled %s community=%s actor=%s source=%s outcome=%s in %.1f ms",
                    name,
                    message.community_id,
                    member_pseudonym(actor.ref) if actor else "system",
                    f"{source.platform}:{pseudonym(source.event_id)}"
                    if source
                    else f"job {job.key}"
                    if job
                    else "-",
                    outcome,
                    (time.perf_counter() - started) * 1000,
                )

    async def _handle(
        self, message: Message, actor: Actor | None, source: Source | None, job: JobRun | None
    ) -> tuple[Reply | Built, bool]:
        """The result, and whether the message was a duplicate (its event id or run was claimed)."""
        settings = self.communities.get(message.community_id)
        if settings is None:
            raise UnknownCommunity(message.community_id)
        prepared: object = None
        if isinstance(message, Command) and (prepare := self.handlers.preparers.get(type(message))):
            prepared = await self._prepare(prepare, message, actor, job, settings)
        for delay in (*BUSY_RETRY_DELAYS, None):
            try:
                result, duplicate = await self._transaction(message, actor, source, job, settings, prepared)
            except BaseException as exc:
                if delay is None or not self.busy(exc):
                    raise
                log.warning("database busy for %s; trying again in %.2f s", type(message).__name__, delay)
            else:
                if job is not None:
                    job.settled(not duplicate)
                return result, duplicate
            await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _prepare(
        self,
        prepare: Preparer,
        message: Command,
        actor: Actor | None,
        job: JobRun | None,
        settings: CommunitySettings,
    ) -> object:
        """Run a command's preparer on a read-only unit of work, after the same permission check;
        not for a job run already done (its transaction will find the run claimed)."""
        async with self.read_factory() as uow:
            if job is not None and await uow.job_runs.ran([(job.key, job.scheduled_for)]):
                return None
            ctx = Context(
                uow=uow,
                clock=self.clock,
                community=settings,
                registry=self.registry,
                actor=actor,
                services=self.services,
            )
            if actor is not None:
                ctx.member = await uow.members.by_ref(message.community_id, actor.ref)
            self._authorize(message, ctx)
            return await prepare(message, ctx)

    async def _transaction(
        self,
        message: Message,
        actor: Actor | None,
        source: Source | None,
        job: JobRun | None,
        settings: CommunitySettings,
        prepared: object,
    ) -> tuple[Reply | Built, bool]:
        """One attempt: the whole command or event in one write transaction (a read transaction for
        a command that only reads: it waits for no writer and commits nothing)."""
        reads_only = source is None and job is None and isinstance(message, Command) and message.reads_only
        async with (self.read_factory if reads_only else self.uow_factory)() as uow:
            now = self.clock.now()
            salt = ""
            if source is not None:
                salt = self._salts.get(message.community_id) or await uow.communities.privacy_salt(
                    message.community_id
                )
                # An event id may carry a user id (Discord join and leave keys do): stored as a keyed hash.
                if not await uow.processed.claim(source.platform, keyed_hash(salt, source.event_id), now):
                    return Reply.nothing(), True
            if job is not None:
                await check_stamp(uow, job)
                if not await uow.job_runs.claim(job.key, job.scheduled_for, now):
                    return Reply.nothing(), True
            ctx = Context(
                uow=uow,
                clock=self.clock,
                community=settings,
                registry=self.registry,
                actor=actor,
                services=self.services,
                prepared=prepared,
            )
            if isinstance(message, Command):
                if actor is not None:
                    ctx.member = await uow.members.by_ref(message.community_id, actor.ref)
                self._authorize(message, ctx)
                handler = self.handlers.commands.get(type(message))
                if handler is None:
                    raise LookupError(f"no handler for {type(message).__name__}")
                result: Reply | Built = await handler(message, ctx)
            else:
                ctx.emit(message)
                result = Reply.nothing()
            await self._drain_events(ctx)
            if reads_only:
                return result, False  # nothing to commit: leaving rolls the read transaction back
            await uow.commit()
            if salt:
                self._salts[message.community_id] = salt  # committed, and a salt never changes once made
        self.on_commit()
        return result, False

    async def _drain_events(self, ctx: Context) -> None:
        """Run subscribers of every emitted event, including events emitted by subscribers."""
        events, subscribers, done = ctx.events, self.handlers.events, 0
        while done < len(events):
            event = events[done]
            done += 1
            for handler in subscribers.get(type(event), ()):
                await handler(event, ctx)
        events.clear()

    def _authorize(self, command: Command, ctx: Context) -> None:
        """The permission every entry point gets checked against, whatever the platform showed."""
        need = command.permission
        actor = ctx.actor
        if (
            actor is not None
            and need not in (Permission.SYSTEM, Permission.ANYONE)
            and actor.community_id != command.community_id
        ):
            raise Forbidden("That belongs to another community.")
        admitted = ctx.member is not None and ctx.member.is_admitted
        reason = refusal(need, actor, admitted=admitted)
        if reason is not None:
            raise Forbidden(reason)
