"""The SQL unit of work: one AsyncSession, one transaction, every repository bound to it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Self, TypeVar, cast

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.core.ports import (
    CommunityRepository,
    JobRunRepository,
    LeaseRepository,
    MemberRepository,
    OutboxRepository,
    PlatformRefRepository,
    ProcessedEventRepository,
)
from storage.db import READ_ONLY, is_sqlite, read_only
from storage.delivery import SqlOutboxRepository, SqlPlatformRefRepository, SqlProcessedEventRepository
from storage.members import SqlCommunityRepository, SqlMemberRepository
from storage.scheduling import SqlJobRunRepository, SqlLeaseRepository

P = TypeVar("P")
Binding = Callable[["SqlUnitOfWork"], object]
"""Makes a feature's repository for one unit of work (usually `lambda uow: SqlX(uow.session)`)."""
Bindings = Mapping[type, Binding]
"""A feature's ports and the storage that implements them, listed in bot/features.py."""


class WriteTurn:
    """SQLite's one writer, queued in arrival order within the process (see SqlUnitOfWorkFactory)."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._holder: asyncio.Task[object] | None = None

    async def take(self) -> None:
        me = asyncio.current_task()
        if me is not None and me is self._holder:
            raise RuntimeError(
                "a write unit of work was opened inside another one of the same task: on SQLite the "
                "inner one would wait forever for the outer one's turn; finish the outer one first"
            )
        await self._lock.acquire()
        self._holder = me

    def give_back(self) -> None:
        self._holder = None
        self._lock.release()


class SqlUnitOfWork:
    """`async with factory() as uow: ...; await uow.commit()`; leaving without commit rolls back."""

    # Typed as the ports (the bot.core UnitOfWork protocol's attributes), set on entering.
    session: AsyncSession
    communities: CommunityRepository
    members: MemberRepository
    outbox: OutboxRepository
    processed: ProcessedEventRepository
    refs: PlatformRefRepository
    job_runs: JobRunRepository
    leases: LeaseRepository

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        engine: AsyncEngine,
        bindings: Bindings,
        turn: WriteTurn | None = None,
    ) -> None:
        self._sessions = sessions
        self.engine = engine  # for readers that work outside this transaction (the metrics reader)
        self._bindings = bindings
        self._repos: dict[type, object] = {}
        self._turn = turn

    async def __aenter__(self) -> Self:
        if self._turn is not None:
            await self._turn.take()
        self.session = self._sessions()
        self.communities = SqlCommunityRepository(self.session)
        self.members = SqlMemberRepository(self.session)
        self.outbox = SqlOutboxRepository(self.session)
        self.processed = SqlProcessedEventRepository(self.session)
        self.refs = SqlPlatformRefRepository(self.session)
        self.job_runs = SqlJobRunRepository(self.session)
        self.leases = SqlLeaseRepository(self.session)
        return self

    def repo(self, port: type[P]) -> P:
        """The implementation bound to `port`, made once per unit of work."""
        found = self._repos.get(port)
        if found is None:
            binding = self._bindings.get(port)
            if binding is None:
                raise LookupError(
                    f"no storage is bound to {port.__name__}: add its feature to bot/features.py"
                )
            found = self._repos[port] = binding(self)
        return cast(P, found)

    async def __aexit__(self, *exc: object) -> None:
        try:
            try:
                await self.session.rollback()
            finally:
                await self.session.close()
        finally:
            if self._turn is not None:
                self._turn.give_back()

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()


class SqlUnitOfWorkFactory:
    """Makes a fresh unit of work per command; never share one between tasks.

    On SQLite the write units of work of one factory (one app: bus, ingest, relay, scheduler) take
    turns in arrival order: SQLite has one writer at a time, and writers that poll its busy handler
    are served in no order, so a writer that commits and begins again at once (the ingest, batch
    after batch) could starve a command for seconds. Read-only units of work take no turn; neither
    does anything on PostgreSQL, whose writers lock rows, not the database."""

    def __init__(self, engine: AsyncEngine, bindings: Bindings) -> None:
        self.engine = engine
        self.bindings = bindings
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        writes = is_sqlite(str(engine.url)) and not engine.get_execution_options().get(READ_ONLY, False)
        self._turn = WriteTurn() if writes else None

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions, self.engine, self.bindings, self._turn)

    def read_only(self) -> SqlUnitOfWorkFactory:
        """Units of work whose transactions never take SQLite's write lock (the bus's preparers)."""
        return SqlUnitOfWorkFactory(read_only(self.engine), self.bindings)
