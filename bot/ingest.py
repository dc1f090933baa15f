"""The contribution ingest path: platform facts in, batched writes out.

Adapters hand every message and reaction over with `await app.ingest.submit(event)` (waits for room)
or, from a gateway reader that must not wait, `app.ingest.offer(event)` (False when there is no room:
the fact is counted in `stats.refused` and logged, never silently lost). Each fact is classified at
once (bots, excluded channels and non-contributions are dropped: they do not count), then taken:

* with a journal (`townsquare run`): appended to a local file before `submit` returns, so a crash
  loses nothing taken; by `offer`, at the end of the event loop's turn (one write for the frames a
  gateway reader takes back to back: a crash loses at most those of the turn, as it loses the frames
  still in the socket's buffer) (bot/ingest_journal.py); the writer reads the journal back, so
  memory stays flat however far the database falls behind; room is `max_pending` facts not yet
  written;
* without one (tests, the demo): into a bounded in-memory queue of `queue_size` facts not yet read.

One writer task drains them in batches of up to `batch_size` facts (`contended_batch_size` while
`contended()` says members' commands have been waiting for the writes), or whatever arrived within
`flush_seconds` of the first (one wait per batch, not a wake-up per fact; in a burst the backlog
makes full batches at once, so a slower database means bigger, fewer transactions), and writes each
batch in one transaction (storage: bulk insert, ON CONFLICT DO NOTHING, rollups from the inserted
rows only, so a fact written twice counts once). A failed write is retried with backoff, never
dropped. After each batch the bus hears `ContributionsRecorded`, so badges follow contributions.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from bot.core.contributions.events import ContributionsRecorded
from bot.core.contributions.handlers import referral_credit
from bot.core.contributions.ports import ContributionRepository
from bot.core.contributions.rules import ContributionFact, from_platform_event
from bot.core.events import Event
from bot.core.ports import Clock, UnitOfWork
from bot.core.settings import CommunitySettings
from bot.ingest_journal import Journal

log = logging.getLogger("townsquare.ingest")

BATCH_SIZE = 5000
CONTENDED_BATCH_SIZE = 2000  # while members' commands wait for the write lock (SQLite)
FLUSH_SECONDS = 0.25
QUEUE_SIZE = 10_000
MAX_PENDING = 1_000_000  # facts in the journal not yet written (about 170 MB of disk)
MAX_RETRY_SECONDS = 30.0


@dataclass
class IngestStats:
    """Counters for logs and benchmarks."""

    submitted: int = 0
    ignored: int = 0
    batches: int = 0
    inserted: int = 0
    refused: int = 0  # offered while there was no room: not taken (the adapter logs and counts them)
    written: int = 0  # facts through the writer (replays included)


class ContributionIngestor:
    """The ContributionSink port: a bounded queue and one batching writer."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        communities: Mapping[str, CommunitySettings],
        on_recorded: Callable[[ContributionsRecorded], Awaitable[object]] | None = None,
        *,
        batch_size: int = BATCH_SIZE,
        contended: Callable[[], bool] | None = None,
        contended_batch_size: int = CONTENDED_BATCH_SIZE,
        flush_seconds: float = FLUSH_SECONDS,
        queue_size: int = QUEUE_SIZE,
        journal: Journal | None = None,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.communities = communities
        self.on_recorded = on_recorded
        self.batch_size = batch_size
        self.contended = contended
        self.contended_batch_size = min(contended_batch_size, batch_size)
        self.flush_seconds = flush_seconds
        self.queue_size = queue_size
        self.stats = IngestStats()
        self.journal = journal
        self.max_pending = max_pending
        self._memory: deque[ContributionFact] = deque()  # without a journal: facts not read yet
        self._pending = 0  # facts taken and not yet written
        self._wake = asyncio.Event()  # something was taken
        self._full = asyncio.Event()  # enough was taken to fill the batch being made
        self._wanted = 0  # takes that would fill it (0: the writer is not waiting for any)
        self._idle = asyncio.Event()  # the writer has caught up
        if journal is None:
            self._idle.set()  # (with a journal, the writer first looks for what a dead process left)
        self._room = asyncio.Event()  # below queue_size (in memory) or max_pending (in the journal)
        self._room.set()
        self._refusing = False
        self._writer: asyncio.Task[None] | None = None
        self._syncer: asyncio.Task[None] | None = None

    async def submit(self, event: Event) -> None:
        """Take a platform fact; waits while there is no room (backpressure, nothing dropped)."""
        fact = self._classify(event)
        if fact is None:
            return
        while self._no_room():
            self._room.clear()
            await self._room.wait()
        self._take(fact, soon=False)

    def offer(self, event: Event) -> bool:
        """Take a platform fact without waiting: False (counted in `stats.refused`) when there is no
        room. For a gateway reader, which must keep reading (heartbeats) rather than wait."""
        fact = self._classify(event)
        if fact is None:
            return True
        if self._no_room():
            self.stats.refused += 1
            if not self._refusing:
                self._refusing = True
                log.error("ingest is full (the database is not taking writes): refusing facts, counting them")
            return False
        if self._refusing:
            self._refusing = False
            log.warning("ingest has room again; %d fact(s) refused so far", self.stats.refused)
        self._take(fact, soon=True)
        return True

    @property
    def queued(self) -> int:
        """Facts taken and not written yet."""
        return self._pending

    def _no_room(self) -> bool:
        if self.journal is None:
            return len(self._memory) >= self.queue_size
        return self._pending >= self.max_pending

    def _classify(self, event: Event) -> ContributionFact | None:
        self.stats.submitted += 1
        settings = self.communities.get(event.community_id)
        fact = (
            from_platform_event(
                event,
                excluded_channels=settings.contributions.excluded_channels,
                weights=settings.contributions.weights,
            )
            if settings is not None
            else None
        )
        if fact is None:
            self.stats.ignored += 1
        return fact

    def _take(self, fact: ContributionFact, *, soon: bool) -> None:
        if self.journal is None:
            self._memory.append(fact)
        elif soon:
            self.journal.append_soon(fact)
        else:
            self.journal.append(fact)
        self._pending += 1
        self._idle.clear()
        self._wake.set()
        if self._wanted:
            self._wanted -= 1
            if not self._wanted:
                self._full.set()

    def start(self) -> None:
        """Start the writer task (idempotent)."""
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._run(), name="contribution-ingest")
        if self.journal is not None and (self._syncer is None or self._syncer.done()):
            self.journal.open()
            self._syncer = asyncio.create_task(self._sync_forever(), name="contribution-journal-sync")

    async def drain(self) -> None:
        """Wait until everything taken so far is written."""
        await self._idle.wait()

    async def stop(self, grace_seconds: float = 30.0) -> None:
        """Write what is taken (waiting at most `grace_seconds`), then stop the writer. With a journal,
        what could not be written stays in it for the next start."""
        if self._writer is None:
            return
        caught_up = True
        try:
            async with asyncio.timeout(grace_seconds):  # not wait_for: see OutboxRelay.run_forever
                await self.drain()
        except TimeoutError:
            caught_up = False
            left = self._pending
            kept = "kept in the journal for the next start" if self.journal else "not written"
            log.error("stopping with %d contributions %s (the database is not taking writes)", left, kept)
        for task in (self._writer, self._syncer):
            if task is None:
                continue
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        self._writer = self._syncer = None
        if self.journal is not None:
            self.journal.close(everything_written=caught_up)

    def _read(self, limit: int) -> list[ContributionFact]:
        """Up to `limit` facts taken and not read yet, oldest first."""
        if self.journal is not None:
            return self.journal.read(limit)
        memory = self._memory
        batch = [memory.popleft() for _ in range(min(limit, len(memory)))]
        if batch:
            self._room.set()
        return batch

    def _limit(self) -> int:
        """The next batch's size: smaller while members' commands have been waiting for the writes,
        so one of them waits for a short transaction; full size otherwise, for throughput."""
        if self.contended is not None and self.contended():
            return self.contended_batch_size
        return self.batch_size

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            limit = self._limit()
            batch = self._read(limit)
            if not batch:
                if self._pending <= 0:
                    self._pending = 0
                    self._idle.set()
                await self._wake.wait()
                continue
            if len(batch) < limit and self.flush_seconds > 0:
                # One wait per batch (not a wake-up per fact): until the facts taken since this read
                # fill the batch, or `flush_seconds` from now.
                self._full.clear()
                self._wanted = limit - len(batch)
                try:
                    async with asyncio.timeout(self.flush_seconds):  # not wait_for: see OutboxRelay
                        await self._full.wait()
                except TimeoutError:
                    pass
                finally:
                    self._wanted = 0
                batch += self._read(limit - len(batch))
            await self._write_until_done(batch)
            if self.journal is not None:
                self.journal.written()
            self._pending = max(0, self._pending - len(batch))  # replayed facts were never pending
            if not self._no_room():
                self._room.set()

    async def _sync_forever(self) -> None:
        """fsync the journal at most every `fsync_seconds`: what a power cut can take."""
        assert self.journal is not None
        while True:
            await asyncio.sleep(self.journal.fsync_seconds)
            await self.journal.sync_off_loop()

    async def _write_until_done(self, batch: list[ContributionFact]) -> None:
        delay = 0.5
        while True:
            try:
                recorded = await self.write(batch)
                break
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001  (a database hiccup must not lose the batch)
                log.exception("writing %d contributions failed; retrying in %.1f s", len(batch), delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_SECONDS)
        self.stats.written += len(batch)
        await self._report(recorded)

    async def write(self, batch: list[ContributionFact]) -> list[ContributionsRecorded]:
        """Write one batch in one transaction; returns what changed, per community."""
        by_community: dict[str, list[ContributionFact]] = defaultdict(list)
        for fact in batch:
            by_community[fact.community_id].append(fact)
        changes: list[ContributionsRecorded] = []
        async with self.uow_factory() as uow:
            for community_id, facts in by_community.items():
                result = await uow.repo(ContributionRepository).record(
                    facts, referral_credit(self.communities[community_id])
                )
                self.stats.inserted += result.inserted
                if result.rechecks:
                    changes.append(
                        ContributionsRecorded(
                            community_id=community_id,
                            member_ids=result.rechecks,
                            first_contributors=result.first_contributors,
                            at=self.clock.now(),
                        )
                    )
            await uow.commit()
        self.stats.batches += 1
        return changes

    async def _report(self, changes: list[ContributionsRecorded]) -> None:
        if self.on_recorded is None:
            return
        for change in changes:
            try:
                await self.on_recorded(change)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001  (badges are re-checked weekly; ingest must go on)
                log.exception("handling recorded contributions for %s failed", change.community_id)
