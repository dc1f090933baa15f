"""The scheduler: one per deployment, driven by the database, fired by APScheduler.

* **The database is the source of truth.** Every pass (at start, then every `renew_every`) plans
  the programme (a PlanProgramme command per community, every `plan_every`), brings the job specs
  in line with the database, runs whatever is due, and arms an APScheduler timer (AsyncIOScheduler,
  UTC, in-memory job store) for each spec's next run. Timers only say *when*; losing them loses
  nothing.
* **Incremental.** The specs come from the occurrences and open polls in the database plus the
  recurring jobs. They are rebuilt only when `schedule_stamp` has moved since the last build: the
  database bumps it in the same transaction as any change to a series, an occurrence or a poll
  (triggers, migration 0006_schedule_stamp), whichever process made it; settings are fixed for a
  scheduler's life. Per spec it keeps the first run not yet known to be done, so a pass looks only at
  specs with a run due now and reads the run records of exactly those (job, instant) pairs with the
  stamp, on a read-only unit of work (no write lock: the runs themselves write through the bus).
* **Exactly once per scheduled instant.** A run goes through the bus with a `JobRun(key, instant)`
  that the bus claims in job_run inside the command's own transaction: a second fire for the same
  instant (two timers, a timer and a pass, two processes) does nothing, and a run that fails
  commits nothing and is tried again by the next pass while still within its grace.
* **Housekeeping.** A daily run prunes processed event ids older than `KEEP_PROCESSED_EVENTS`
  (platforms replay nothing that old) and run records older than `KEEP_RUN_RECORDS`.
* **Restarts.** A run missed while no scheduler was up is run once at the next pass if within the
  job's grace (at least 1 h); an older one is skipped and logged.
* **One scheduler per deployment.** A lease row ("scheduler") names the holder and its expiry;
  taking it is one conditional upsert, so two processes on one database cannot both hold it. The
  holder renews it every `renew_every` (TTL `lease_ttl`); another process stands by and retries,
  and takes over once the holder stops renewing.

The clock is injected: tests set a FixedClock and call `run_due(now)` / `tick()` directly.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, time, timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from bot.core.bus import Bus, JobRun
from bot.core.feedback.ports import PollRepository
from bot.core.ports import Clock, UnitOfWork
from bot.core.programming.commands import PlanProgramme
from bot.core.programming.ports import OccurrenceRepository
from bot.core.programming.rules import END_GRACE
from bot.core.replies import Reply
from bot.core.settings import CommunitySettings
from programming.jobs import JobSpec, daily, occurrence_jobs, poll_jobs
from programming.recurring import JobRegistry

log = logging.getLogger("townsquare.scheduler")

LEASE = "scheduler"
KEEP_RUN_RECORDS = timedelta(days=90)
KEEP_PROCESSED_EVENTS = timedelta(days=30)
MAINTENANCE = "maintenance:prune"
MAINTENANCE_AT = time(3, 30)  # UTC; with a day's grace it also runs at start when today's has not


def default_holder() -> str:
    """Who holds the lease: host, process and a random part (two schedulers in one process differ)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _report(job: str, result: object) -> None:
    """What a job's command answered (a summary, or a refusal turned into a reply) goes to the log."""
    if isinstance(result, Reply) and not result.silent and result.text:
        log.info("job %s answered: %s", job, result.text)


class ProgrammeScheduler:
    """Runs the programme's and the communities' recurring jobs while it holds the lease."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        bus: Bus,
        clock: Clock,
        communities: Sequence[CommunitySettings],
        *,
        registry: JobRegistry,
        holder: str | None = None,
        lease_ttl: timedelta = timedelta(seconds=90),
        renew_every: timedelta = timedelta(seconds=30),
        plan_every: timedelta = timedelta(minutes=5),
        timers: bool = True,
        read_factory: Callable[[], UnitOfWork] | None = None,  # for passes; default: uow_factory
    ) -> None:
        self.uow_factory = uow_factory
        self.read_factory = read_factory or uow_factory
        self.bus = bus
        self.clock = clock
        self.communities = tuple(communities)
        self.registry = registry  # the recurring jobs of the app's features (registry_of)
        self.holder = holder or default_holder()
        self.lease_ttl = lease_ttl
        self.renew_every = renew_every
        self.plan_every = plan_every
        self.use_timers = timers
        self.holding = False
        self.specs: dict[str, JobSpec] = {}
        # Per spec (after, first): `first` is spec.next_run(after), the first run that may still be
        # due; runs at or before `after` are done or past their grace.
        self._pending: dict[str, tuple[datetime, datetime | None]] = {}
        self._stamp: int | None = None  # the schedule_stamp the specs were built at
        self._loaded = False
        self._timers: AsyncIOScheduler | None = None
        self._armed: dict[str, datetime] = {}
        self._last_plan: datetime | None = None
        self._report_missed = True

    # --- the lease -----------------------------------------------------------------------------

    async def _acquire(self) -> bool:
        now = self.clock.now()
        async with self.uow_factory() as uow:
            acquired = await uow.leases.acquire(LEASE, self.holder, now, now + self.lease_ttl)
            await uow.commit()
        return acquired

    async def start(self) -> bool:
        """Take the lease and start; False (standing by) when another scheduler holds it."""
        if not await self._acquire():
            log.info("another process runs the scheduler; standing by (%s)", self.holder)
            return False
        await self._became_holder()
        return True

    async def _became_holder(self) -> None:
        self.holding = True
        self._report_missed = True
        self._last_plan = None
        self._loaded = False
        log.info("scheduler started (%s)", self.holder)
        if self.use_timers and self._timers is None:
            self._timers = AsyncIOScheduler(
                timezone=UTC, jobstores={"default": MemoryJobStore()}, job_defaults={"coalesce": True}
            )
            self._timers.start()
        await self.sync()

    async def tick(self) -> None:
        """Renew the lease (or try to take it over), then bring the jobs in line with the database."""
        if not await self._acquire():
            if self.holding:
                log.warning("scheduler lease lost to another process; standing by (%s)", self.holder)
                self._stop_timers()
                self.holding = False
            return
        if not self.holding:
            log.info("scheduler lease was free; taking over (%s)", self.holder)
            await self._became_holder()
            return
        await self.sync()

    async def stop(self) -> None:
        """Stop the timers and give the lease up, so a standby process can take over at once."""
        self._stop_timers()
        if self.holding:
            self.holding = False
            async with self.uow_factory() as uow:
                await uow.leases.release(LEASE, self.holder)
                await uow.commit()
            log.info("scheduler stopped (%s)", self.holder)

    def _stop_timers(self) -> None:
        if self._timers is not None:
            self._timers.shutdown(wait=False)
            self._timers = None
        self._armed.clear()

    async def run_forever(self) -> None:
        """Start (or stand by), then tick every `renew_every` until cancelled; stop on the way out."""
        try:
            try:
                await self.start()
            except Exception:  # noqa: BLE001  (a database hiccup at start must not end scheduling)
                log.exception("scheduler start failed; retrying")
            while True:
                await asyncio.sleep(self.renew_every.total_seconds())
                try:
                    await self.tick()
                except Exception:  # noqa: BLE001  (same: the next tick tries again)
                    log.exception("scheduler pass failed; retrying")
        finally:
            await self.stop()

    # --- planning and running ------------------------------------------------------------------

    async def sync(self) -> list[tuple[str, datetime]]:
        """Plan if due, rebuild the specs if the database says they changed, run what is due, arm
        the timers."""
        now = self.clock.now()
        if self._last_plan is None or now - self._last_plan >= self.plan_every:
            try:
                await self.plan(now)
            except Exception:  # noqa: BLE001  (due runs still go out; planning is retried next pass)
                log.exception("planning the programme failed; retrying at the next pass")
        ran = await self.run_due(now, refresh=True)
        self._arm(self.clock.now())
        return ran

    async def plan(self, now: datetime) -> None:
        """Sync configured series and materialise occurrences, per community."""
        for community in self.communities:
            _report(f"plan:{community.id}", await self.bus.handle(PlanProgramme(community_id=community.id)))
        self._last_plan = now

    async def load_specs(self, now: datetime) -> dict[str, JobSpec]:
        """Every job spec: the occurrences and open polls in the database, the recurring jobs, upkeep."""
        async with self.read_factory() as uow:
            await self._load(uow, now, await uow.job_runs.schedule_stamp())
        return self.specs

    async def _refresh(self, uow: UnitOfWork, now: datetime) -> None:
        """Rebuild the specs when the schedule stamp moved (or there is none to go by)."""
        stamp = await uow.job_runs.schedule_stamp()
        if not self._loaded or stamp is None or stamp != self._stamp:
            await self._load(uow, now, stamp)

    async def _load(self, uow: UnitOfWork, now: datetime, stamp: int | None) -> None:
        by_id = {community.id: community for community in self.communities}
        scheduled = await uow.repo(OccurrenceRepository).to_schedule(list(by_id), now - END_GRACE)
        polls = {
            community_id: await uow.repo(PollRepository).open_polls(community_id) for community_id in by_id
        }
        found = [
            spec
            for series, occurrence in scheduled
            for spec in occurrence_jobs(self.bus, by_id[series.community_id], series, occurrence)
        ]
        for community_id, open_polls in polls.items():
            found.extend(poll_jobs(self.bus, community_id, open_polls))
        found.extend(self.registry.specs(self.bus, self.communities))
        found.append(JobSpec(MAINTENANCE, daily(MAINTENANCE_AT, "UTC"), self.prune, timedelta(days=1)))
        self.specs = {spec.key: spec for spec in found}
        self._pending = {}
        self._stamp, self._loaded = stamp, True

    async def prune(self, run: JobRun) -> int | None:
        """The daily upkeep: drop old processed event ids and run records, once per scheduled day."""
        async with self.uow_factory() as uow:
            if not await uow.job_runs.claim(run.key, run.scheduled_for, self.clock.now()):
                return None
            events = await uow.processed.prune(run.scheduled_for - KEEP_PROCESSED_EVENTS)
            runs = await uow.job_runs.prune(run.scheduled_for - KEEP_RUN_RECORDS)
            await uow.commit()
        log.info("maintenance: pruned %d processed event ids and %d run records", events, runs)
        return events + runs

    def _upcoming(self, key: str, spec: JobSpec, now: datetime) -> datetime | None:
        """spec.next_run(now), from what the last pass learnt when it still holds."""
        pending = self._pending.get(key)
        if pending is not None and pending[0] <= now and (pending[1] is None or pending[1] > now):
            return pending[1]
        return spec.next_run(now)

    def next_due(self, now: datetime) -> datetime | None:
        """The next instant something is to be done: a job's next run, or the next planning pass."""
        instants = [
            at for key, spec in self.specs.items() if (at := self._upcoming(key, spec, now)) is not None
        ]
        if self._last_plan is not None:
            instants.append(self._last_plan + self.plan_every)
        return min(instants, default=None)

    def due(self, now: datetime) -> list[tuple[JobSpec, datetime]]:
        """Per spec, its latest run in (now - grace, now]: older missed runs coalesce into it. Only
        specs whose first pending run has come are looked at."""
        found = []
        for key, spec in self.specs.items():
            lower = now - spec.grace
            pending = self._pending.get(key)
            if pending is None or pending[0] > now or (pending[1] is not None and pending[1] <= lower):
                pending = self._pending[key] = (lower, spec.next_run(lower))
            at = pending[1]
            if at is None or at > now:
                continue
            while (following := spec.next_run(at)) is not None and following <= now:
                at = following
            found.append((spec, at))
        return found

    async def run_due(
        self, now: datetime | None = None, *, refresh: bool = False
    ) -> list[tuple[str, datetime]]:
        """Run every due run that has no run record yet; returns the (key, instant) pairs run. With
        `refresh`, first rebuild the specs if the schedule stamp moved (same read-only unit of work)."""
        now = now or self.clock.now()
        async with self.read_factory() as uow:
            if refresh and self._loaded:
                # The usual pass: due runs and the stamp read together; a moved stamp costs a rebuild.
                due = self.due(now)
                stamp, done = await uow.job_runs.stamp_and_ran([(spec.key, at) for spec, at in due])
                if stamp is None or stamp != self._stamp:
                    await self._load(uow, now, stamp)
                    due = self.due(now)
                    done = await uow.job_runs.ran([(spec.key, at) for spec, at in due])
            else:
                if not self._loaded:
                    await self._refresh(uow, now)
                due = self.due(now)
                done = await uow.job_runs.ran([(spec.key, at) for spec, at in due])
            if self._report_missed:
                await self._log_missed(uow, now)
        self._report_missed = False
        for spec, at in due:
            if (spec.key, at) in done:  # nothing before it is due any more: skip to its next run
                self._pending[spec.key] = (at, spec.next_run(at))
        ran = []
        for spec, at in sorted(due, key=lambda item: item[1]):
            if (spec.key, at) not in done and await self.execute(spec, at):
                ran.append((spec.key, at))
        return ran

    async def execute(self, spec: JobSpec, scheduled_for: datetime) -> bool:
        """One run; the bus claims its run record, so calling this twice for one instant is harmless."""
        try:
            _report(spec.key, await spec.run(JobRun(spec.key, scheduled_for)))
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001  (one failing job must not stop the others; retried next pass)
            log.exception(
                "job %s for %s failed; it is retried while within its grace", spec.key, scheduled_for
            )
            return False
        return True

    async def _log_missed(self, uow: UnitOfWork, now: datetime) -> None:
        """After a start: say which runs were missed for longer than their grace, and are skipped."""
        last = await uow.job_runs.last_runs(list(self.specs))
        for key, spec in self.specs.items():
            if key in last:
                first_missed = spec.next_run(last[key])
            else:
                first_missed = spec.next_run(now - END_GRACE) if ":occurrence:" in key else None
            if first_missed is not None and first_missed < now - spec.grace:
                log.warning(
                    "job %s missed its run at %s by more than its %s grace; skipped",
                    key,
                    first_missed.isoformat(),
                    spec.grace,
                )

    # --- timers --------------------------------------------------------------------------------

    def _arm(self, now: datetime) -> None:
        """One APScheduler date trigger per spec, at its next run; re-armed only when that changes."""
        if self._timers is None:
            return
        for key, spec in self.specs.items():
            at = self._upcoming(key, spec, now)
            if at is None:
                self._disarm(key)
            elif self._armed.get(key) != at:
                self._timers.add_job(
                    self._fire,
                    trigger=DateTrigger(run_date=at, timezone=UTC),
                    args=(key, at),
                    id=key,
                    replace_existing=True,
                    misfire_grace_time=int(spec.grace.total_seconds()),
                    coalesce=True,
                )
                self._armed[key] = at
        for key in set(self._armed) - set(self.specs):
            self._disarm(key)

    def _disarm(self, key: str) -> None:
        if self._armed.pop(key, None) is not None and self._timers is not None:
            try:
                self._timers.remove_job(key)
            except JobLookupError:
                pass  # it fired already

    async def _fire(self, key: str, at: datetime) -> None:
        """A timer went off: run that instant, then arm the spec's next run."""
        if self._armed.get(key) == at:
            del self._armed[key]
        spec = self.specs.get(key)
        if spec is None or not self.holding:
            return
        await self.execute(spec, at)
        self._arm(self.clock.now())
