"""Composition root: settings → engine → unit of work → bus → relay → adapters → scheduler.

`make_storage`/`open_storage` are all a read-only command (digest, metrics export, ideas) needs;
the bus, the relay, the ingest and the scheduler load with `build_app`/`start_app`, so those
commands do not import APScheduler and the runtime's modules (~40 ms of each of them).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from bot.core.effects import SINKS
from bot.features import FEATURES, FeatureModule, assemble, bindings
from storage.db import create_engine, for_reports, is_busy
from storage.uow import SqlUnitOfWorkFactory

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bot.config import Settings
    from bot.core.bus import MessageBus
    from bot.core.contributions.events import ContributionsRecorded
    from bot.core.feature import Assembly
    from bot.core.ports import Clock, Notifier
    from bot.ingest import ContributionIngestor
    from bot.relay import OutboxRelay
    from programming.recurring import JobRegistry
    from programming.scheduler import ProgrammeScheduler

log = logging.getLogger("townsquare")

RECHECK_PART = 8
"""Members per transaction when badges follow a large ingest batch (see recheck_in_parts)."""
RECHECK_WHOLE = 64
"""Up to this many members, badges follow a batch in one transaction."""


async def recheck_in_parts(bus: MessageBus, change: ContributionsRecorded) -> None:
    """Let badges follow an ingest batch; a large one in parts of RECHECK_PART members, each its own
    short transaction: a batch of newcomers can earn thousands of badges, and on SQLite a member's
    command then waits for one part, not for all of them. (Rechecking is idempotent: an award is
    made once.)"""
    ids = change.member_ids
    if len(ids) <= RECHECK_WHOLE:
        await bus.handle(change)
        return
    for start in range(0, len(ids), RECHECK_PART):
        part = ids[start : start + RECHECK_PART]
        firsts = tuple(m for m in change.first_contributors if m in part or (not start and m not in ids))
        await bus.handle(replace(change, member_ids=part, first_contributors=firsts))


@dataclass(frozen=True)
class Storage:
    """The engine built from settings and the unit-of-work factory over it."""

    engine: AsyncEngine
    uow_factory: SqlUnitOfWorkFactory


def make_storage(
    settings: Settings,
    *,
    reports: bool = False,
    engine: AsyncEngine | None = None,
    features: tuple[FeatureModule, ...] = FEATURES,
) -> Storage:
    """The one place an engine is built from settings. `reports=True` gives units of work that read
    without taking SQLite's write lock (for the CLI's reports); the caller disposes the engine."""
    engine = engine or create_engine(settings.database.url, echo=settings.database.echo)
    unit_engine = for_reports(engine) if reports else engine
    return Storage(engine, SqlUnitOfWorkFactory(unit_engine, bindings(features)))


@asynccontextmanager
async def open_storage(settings: Settings, *, reports: bool = False) -> AsyncIterator[Storage]:
    """`make_storage` for one command-line run: the engine is disposed on the way out."""
    storage = make_storage(settings, reports=reports)
    try:
        yield storage
    finally:
        await storage.engine.dispose()


@dataclass
class App:
    """Everything wired together; adapters and the scheduler attach to `bus` and `relay`."""

    settings: Settings
    engine: AsyncEngine
    uow_factory: SqlUnitOfWorkFactory
    clock: Clock
    bus: MessageBus
    relay: OutboxRelay
    ingest: ContributionIngestor
    assembly: Assembly
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    scheduler: ProgrammeScheduler | None = None

    def jobs(self) -> JobRegistry:
        """The recurring jobs the app's features declare, for a scheduler."""
        from programming.recurring import registry_of

        return registry_of(self.assembly.jobs)

    async def ensure_communities(self) -> None:
        """Create (or rename) a row per configured community."""
        async with self.uow_factory() as uow:
            for community in self.settings.communities:
                await uow.communities.ensure(
                    community.id, community.name, community.platform, self.clock.now()
                )
            await uow.commit()

    async def close(self) -> None:
        await self.ingest.stop()  # write what is queued before the connections go
        if self.scheduler is not None:
            await self.scheduler.stop()  # gives the lease up before the engine goes
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
        sinks = self.relay.notifiers.get(SINKS)
        if sinks is not None:
            from adapters.sinks.notifier import SinkNotifier  # see with_sinks

            if isinstance(sinks, SinkNotifier):
                await sinks.close()
        await self.engine.dispose()


def build_app(
    settings: Settings,
    clock: Clock,
    notifiers: Mapping[str, Notifier] | None = None,
    engine: AsyncEngine | None = None,
    assembly: Assembly | None = None,
    features: tuple[FeatureModule, ...] = FEATURES,
    *,
    journal: bool = False,
) -> App:
    """Wire the core to storage and the given notifiers (one per platform), with every feature of
    `features` (bot/features.py's list by default); a given `assembly` must come from the same list.
    `journal`: messages and reactions go through the on-disk ingest journal (`townsquare run`)."""
    from bot.charts import DigestChartRenderer
    from bot.core.bus import MessageBus
    from bot.core.metrics.ports import ChartRenderer
    from bot.ingest import ContributionIngestor
    from bot.ingest_journal import Journal, journal_directory
    from bot.relay import OutboxRelay, RetryPolicy

    assembly = assembly or assemble(features)
    storage = make_storage(settings, engine=engine, features=features)
    uow_factory = storage.uow_factory
    policy = RetryPolicy(
        max_attempts=settings.outbox.max_attempts,
        base_delay_seconds=settings.outbox.base_delay_seconds,
        max_delay_seconds=settings.outbox.max_delay_seconds,
        outage_after=settings.outbox.outage_after,
        probe_max_seconds=settings.outbox.probe_max_seconds,
        alert_channel=settings.outbox.alert_channel or None,
    )
    relay = OutboxRelay(uow_factory, clock, with_sinks(settings, notifiers or {}), policy)
    bus = MessageBus(
        uow_factory,
        clock,
        assembly.handlers,
        assembly.registry,
        {community.id: community for community in settings.communities},
        on_commit=relay.wake,
        services={ChartRenderer: DigestChartRenderer()},
        read_factory=uow_factory.read_only(),
        busy=is_busy,
    )
    directory = journal_directory(settings.database.url, settings.ingest.journal_dir)
    bulk = uow_factory.bulk()  # lets commands go first on SQLite
    ingest = ContributionIngestor(
        bulk,
        clock,
        bus.communities,
        on_recorded=lambda change: recheck_in_parts(bus, change),
        journal=Journal(directory) if journal else None,
        contended=bulk.commands_waited,
    )
    return App(
        settings=settings,
        engine=storage.engine,
        uow_factory=uow_factory,
        clock=clock,
        bus=bus,
        relay=relay,
        ingest=ingest,
        assembly=assembly,
    )


def with_sinks(settings: Settings, notifiers: Mapping[str, Notifier]) -> dict[str, Notifier]:
    """The given notifiers, plus the business sinks' one when [webhook] or [hubspot] is configured
    (unless the caller brought its own, as a dry run or a test does)."""
    found = dict(notifiers)
    if SINKS not in found and (settings.webhook is not None or settings.hubspot is not None):
        # Imported only here: it brings httpx (~0.1 s), which a bot without sinks never uses.
        from adapters.sinks.notifier import SinkNotifier

        found[SINKS] = SinkNotifier(settings.webhook, settings.hubspot)
    return found


async def start_app(app: App, config_path: str | None = None) -> None:
    """Refuse an out-of-date schema, register communities, start delivering the outbox, and run the
    scheduler (or stand by for it: one process per deployment holds its lease)."""
    from programming.scheduler import ProgrammeScheduler
    from storage.migrate import require_current

    await require_current(app.engine, config_path)
    await app.ensure_communities()
    app.tasks.append(asyncio.create_task(app.relay.run_forever(), name="outbox-relay"))
    app.ingest.start()
    app.scheduler = ProgrammeScheduler(
        app.uow_factory,
        app.bus,
        app.clock,
        app.settings.communities,
        registry=app.jobs(),
        read_factory=app.bus.read_factory,
    )
    app.tasks.append(asyncio.create_task(app.scheduler.run_forever(), name="scheduler"))
