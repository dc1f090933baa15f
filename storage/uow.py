"""The SQL unit of work: one AsyncSession, one transaction, every repository bound to it."""

from __future__ import annotations

import asyncio
from collections import deque
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
from storage.delivery import SqlOutboxRepository
from storage.members import SqlCommunityRepository, SqlMemberRepository
from storage.platform_refs import SqlPlatformRefRepository
from storage.processed_events import SqlProcessedEventRepository
from storage.scheduling import SqlJobRunRepository, SqlLeaseRepository

P = TypeVar("P")
Binding = Callable[["SqlUnitOfWork"], object]
"""Makes a feature's repository for one unit of work (usually `lambda uow: SqlX(uow.session)`)."""
Bindings = Mapping[type, Binding]
"""A feature's ports and the storage that implements them, listed in bot/features.py."""


class WriteTurn:
    """SQLite's one writer within the process: turns handed out in arrival order, commands first.

    A bulk writer (the ingest, `SqlUnitOfWorkFactory.bulk`) waits while commands are queued, so a
    member's command waits for at most the transaction under way, not for a backlog of batches; it
    goes next anyway once it has waited `BULK_PATIENCE` seconds, so a stream of commands cannot
    starve it either."""

    BULK_PATIENCE = 0.25

    def __init__(self) -> None:
        self.command_waited_at = float("-inf")  # loop time a command last had to queue for a turn
        self._held = False
        self._holder: asyncio.Task[object] | None = None
        self._commands: deque[asyncio.Future[None]] = deque()
        self._bulk: deque[tuple[float, asyncio.Future[None]]] = deque()

    async def take(self, *, bulk: bool = False) -> None:
        me = asyncio.current_task()
        if me is not None and me is self._holder:
            raise RuntimeError(
                "a write unit of work was opened inside another one of the same task: on SQLite the "
                "inner one would wait forever for the outer one's turn; finish the outer one first"
            )
        if not self._held:
            self._held, self._holder = True, me
            return
        loop = asyncio.get_running_loop()
        turn: asyncio.Future[None] = loop.create_future()
        entry = (loop.time(), turn)
        if bulk:
            self._bulk.append(entry)
        else:
            self._commands.append(turn)
            self.command_waited_at = entry[0]
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._pass_on()  # given the turn, then cancelled before using it
            elif bulk and entry in self._bulk:
                self._bulk.remove(entry)
            elif not bulk and turn in self._commands:
                self._commands.remove(turn)
            raise
        self._holder = me

    def give_back(self) -> None:
        self._holder = None
        self._pass_on()

    def _pass_on(self) -> None:
        while self._commands and self._commands[0].done():
            self._commands.popleft()  # cancelled while waiting
        while self._bulk and self._bulk[0][1].done():
            self._bulk.popleft()
        if self._bulk and (
            not self._commands or asyncio.get_running_loop().time() - self._bulk[0][0] >= self.BULK_PATIENCE
        ):
            self._bulk.popleft()[1].set_result(None)
        elif self._commands:
            self._commands.popleft().set_result(None)
        else:
            self._held = False


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
        bulk: bool = False,
    ) -> None:
        self._sessions = sessions
        self.engine = engine  # for readers that work outside this transaction (the metrics reader)
        self._bindings = bindings
        self._repos: dict[type, object] = {}
        self._turn = turn
        self._bulk = bulk

    async def __aenter__(self) -> Self:
        if self._turn is not None:
            await self._turn.take(bulk=self._bulk)
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
            if self.session.in_transaction():
                # Closing rolls the transaction back as it gives the connection back: one trip
                # through SQLAlchemy's greenlet instead of one to roll back and one to close.
                await self.session.close()
            else:
                # Committed (or never used): no connection to give back, so closing does no I/O and
                # needs no trip through SQLAlchemy's greenlet; it forgets the loaded objects.
                self.session.sync_session.close()
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
    turns (WriteTurn): SQLite has one writer at a time, and writers that poll its busy handler
    are served in no order, so a writer that commits and begins again at once (the ingest, batch
    after batch) could starve a command for seconds. The ingest's units of work (`bulk()`) let
    queued commands go first. Read-only units of work (`read_only()`) take no turn and wait for no
    writer (WAL: readers see the last commit); neither does anything on PostgreSQL, whose writers
    lock rows, not the database."""

    def __init__(
        self, engine: AsyncEngine, bindings: Bindings, *, _turn: WriteTurn | None = None, _bulk: bool = False
    ) -> None:
        self.engine = engine
        self.bindings = bindings
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        writes = is_sqlite(str(engine.url)) and not engine.get_execution_options().get(READ_ONLY, False)
        self._turn = (_turn or WriteTurn()) if writes else None
        self._bulk = _bulk

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions, self.engine, self.bindings, self._turn, self._bulk)

    def read_only(self) -> SqlUnitOfWorkFactory:
        """Units of work whose transactions never take SQLite's write lock and may not write (the
        bus's preparers and read-only commands): they run beside writers, on their own connections."""
        return SqlUnitOfWorkFactory(read_only(self.engine), self.bindings)

    def bulk(self) -> SqlUnitOfWorkFactory:
        """Units of work for bulk writers (the ingest): on SQLite their turn comes after the commands
        already waiting for one (within WriteTurn.BULK_PATIENCE). Their transactions run inline, like
        the commands': a batch of a few thousand rows is milliseconds of SQLite. On the connection's
        thread a batch competed with the event loop for the GIL and held the write lock several times
        longer (commands behind it in bench/commands.py's burst: p99 290-470 ms; inline 7-10 ms)."""
        return SqlUnitOfWorkFactory(self.engine, self.bindings, _turn=self._turn, _bulk=True)

    def commands_waited(self, within: float = 1.0) -> bool:
        """Whether a command had to wait for SQLite's write lock in the last `within` seconds: then a
        bulk writer keeps its transactions short (a command waits for at most the one under way).
        Always on PostgreSQL, which has no write turn to tell: measured there, 5,000-fact batches
        made commands during a burst slower (p99 166 ms against 53 ms at 2,000), as each batch's
        rows are built on the event loop the commands share."""
        if self._turn is None:
            return True
        return asyncio.get_running_loop().time() - self._turn.command_waited_at < within
