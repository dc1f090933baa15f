"""The contribution ingest path: platform facts in, batched writes out.

Adapters `await app.ingest.submit(MessagePosted(...))` for every message and reaction. Each is
classified at once (bots, excluded channels and non-contributions are dropped: they do not count)
and queued in a bounded asyncio.Queue: when the writer falls behind, `submit` waits for room, so a
burst slows the gateway reader down instead of growing memory or losing events. One writer task
drains the queue in batches of up to `batch_size` facts, or whatever arrived within `flush_seconds`
of the first, and writes each batch in one transaction (storage: bulk insert, ON CONFLICT DO
NOTHING, rollups from the inserted rows only). A failed write is retried with backoff, never
dropped. After each batch the bus hears `ContributionsRecorded`, so badges follow contributions.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from bot.core.contributions.events import ContributionsRecorded
from bot.core.contributions.handlers import referral_credit
from bot.core.contributions.ports import ContributionRepository
from bot.core.contributions.rules import ContributionFact, from_platform_event
from bot.core.events import Event
from bot.core.ports import Clock, UnitOfWork
from bot.core.settings import CommunitySettings

log = logging.getLogger("townsquare.ingest")

BATCH_SIZE = 2000
FLUSH_SECONDS = 1.0
QUEUE_SIZE = 10_000
MAX_RETRY_SECONDS = 30.0


@dataclass
class IngestStats:
    """Counters for logs and benchmarks."""

    submitted: int = 0
    ignored: int = 0
    batches: int = 0
    inserted: int = 0


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
        flush_seconds: float = FLUSH_SECONDS,
        queue_size: int = QUEUE_SIZE,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.communities = communities
        self.on_recorded = on_recorded
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.queue: asyncio.Queue[ContributionFact] = asyncio.Queue(maxsize=queue_size)
        self.stats = IngestStats()
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, event: Event) -> None:
        """Queue a platform fact; waits while the queue is full (backpressure, nothing dropped)."""
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
            return
        await self.queue.put(fact)

    def start(self) -> None:
        """Start the writer task (idempotent)."""
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._run(), name="contribution-ingest")

    async def drain(self) -> None:
        """Wait until everything submitted so far is written."""
        await self.queue.join()

    async def stop(self, grace_seconds: float = 30.0) -> None:
        """Write what is queued (waiting at most `grace_seconds`), then stop the writer."""
        if self._writer is None:
            return
        try:
            async with asyncio.timeout(grace_seconds):  # not wait_for: see OutboxRelay.run_forever
                await self.queue.join()
        except TimeoutError:
            log.error(
                "stopping with %d contributions still queued (the database is not taking writes)",
                self.queue.qsize(),
            )
        self._writer.cancel()
        try:
            await self._writer
        except asyncio.CancelledError:
            pass
        self._writer = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self.queue.get()]
            deadline = loop.time() + self.flush_seconds
            while len(batch) < self.batch_size:
                try:
                    batch.append(self.queue.get_nowait())
                    continue
                except asyncio.QueueEmpty:
                    pass
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    async with asyncio.timeout(remaining):  # not wait_for: see OutboxRelay.run_forever
                        batch.append(await self.queue.get())
                except TimeoutError:
                    break
            await self._write_until_done(batch)
            for _ in batch:
                self.queue.task_done()

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
