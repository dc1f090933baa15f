"""The scheduler: one per deployment, driven by the database, fired by APScheduler.

* **The database is the source of truth.** Every pass (at start, then every `renew_every`) plans
  the programme (a PlanProgramme command per community, every `plan_every`), brings the job specs
  in line with the database, runs whatever is due, and arms a timer (programming/timers.py) for each
  spec's next run. Timers only say *when*; losing them loses nothing.
* **Incremental.** The specs come from the occurrences and open polls in the database plus the
  recurring jobs. They are rebuilt only when `schedule_stamp` has moved since the last build: the
  database bumps it in the same transaction as any change to a series, an occurrence or a poll
  (triggers, migration 0006_schedule_stamp), whichever process made it; settings are fixed for a
  scheduler's life. Per spec it keeps the first run not yet known to be done, so a pass looks only at
  specs with a run due now. With none, it reads the stamp on a read-only unit of work (no write
  lock). With some, the first run checks the stamp in its own transaction, which stands for that
  read (a moved stamp: the run does nothing and the pass reads and rebuilds), and the runs' claims
  say which were done; the first pass after a start always reads (and reports missed runs).
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
from datetime import datetime, time, timedelta

from bot.core.bus import Bus, JobRun, ScheduleMoved, check_stamp
from bot.core.feedback.ports import PollRepository
from bot.core.ports import Clock, UnitOfWork
from bot.core.programming.commands import PlanProgramme
from bot.core.programming.ports import OccurrenceRepository
from bot.core.programming.rules import END_GRACE
from bot.core.replies import Reply
from bot.core.settings import CommunitySettings
from programming.jobs import JobSpec, daily, occurrence_jobs, poll_jobs
from programming.recurring import JobRegistry
from programming.timers import Timers

log = logging.getLogger("townsquare.scheduler")
Run = tuple[str, datetime]  # a job's key and a scheduled instant

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
        self._timers = Timers(self._fire)
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
        if self.use_timers:
            self._timers.start()
        await self.sync()

    async def tick(self) -> None:
        """Renew the lease (or try to take it over), then bring the jobs in line with the database."""
        if not await self._acquire():
            if self.holding:
                log.warning("scheduler lease lost to another process; standing by (%s)", self.holder)
                self._timers.stop()
                self.holding = False
            return
        if not self.holding:
            log.info("scheduler lease was free; taking over (%s)", self.holder)
            await self._became_holder()
            return
        await self.sync()

    async def stop(self) -> None:
        """Stop the timers and give the lease up, so a standby process can take over at once."""
        self._timers.stop()
        if self.holding:
            self.holding = False
            async with self.uow_factory() as uow:
                await uow.leases.release(LEASE, self.holder)
                await uow.commit()
            log.info("scheduler stopped (%s)", self.holder)

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

    async def sync(self) -> list[Run]:
        """Plan if due, rebuild the specs if the database says they changed, run what is due, arm
        the timers."""
        now = self.clock.now()
        if self._last_plan is None or now - self._last_plan >= self.plan_every:
            try:
                await self.plan(now)
            except Exception:  # noqa: BLE001  (due runs still go out; planning is retried next pass)
                log.exception("planning the programme failed; retrying at the next pass")
        ran = await self.run_due(now, refresh=True)
        self._timers.arm(self.specs, self._upcoming, self.clock.now())
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
            await check_stamp(uow, run)
            if not await uow.job_runs.claim(run.key, run.scheduled_for, self.clock.now()):
                run.settled(False)
                return None
            events = await uow.processed.prune(run.scheduled_for - KEEP_PROCESSED_EVENTS)
            runs = await uow.job_runs.prune(run.scheduled_for - KEEP_RUN_RECORDS)
            await uow.commit()
        run.settled(True)
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

    async def run_due(self, now: datetime | None = None, *, refresh: bool = False) -> list[Run]:
        """Run every due run that has no run record yet; returns the (key, instant) pairs run. With
        `refresh`, first rebuild the specs if the schedule stamp moved (same read-only unit of work),
        or, when runs are due, check the stamp in the first one's own transaction (`_run_trusting`)."""
        now = now or self.clock.now()
        ran: list[Run] = []
        tried: set[Run] = set()
        if refresh and self._loaded and self._stamp is not None and not self._report_missed:
            due = sorted(self.due(now), key=lambda item: item[1])
            if due and await self._run_trusting(due, ran, tried):
                return ran
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
        for spec, at in sorted(due, key=lambda item: item[1]):
            if (spec.key, at) not in done | tried and await self.execute(spec, at):
                ran.append((spec.key, at))
        return ran

    async def _run_trusting(
        self, due: list[tuple[JobSpec, datetime]], ran: list[Run], tried: set[Run]
    ) -> bool:
        """A pass's due runs (in order) without a read of its own: the first run checks the schedule
        stamp in its transaction, which then stands for the pass's read, the runs after it going
        ahead as they would after that read. The rest of what the read says, which runs are done,
        their claims say: a run done already (by a timer or another process) does nothing and is not
        counted, and later passes skip every run whose record is known to exist (`_execute`), as
        after a read. False when the pass is to read after all: the stamp moved (the first run did
        nothing), or the first run failed or was refused, maybe before its check (it is `tried`)."""
        spec, at = due[0]
        try:
            done, fresh = await self._execute(spec, at, self._stamp)
        except ScheduleMoved:
            return False
        for index, (spec, at) in enumerate(due):
            if index > 0:
                done, fresh = await self._execute(spec, at)
            if done and fresh is not False:
                ran.append((spec.key, at))
            if index == 0 and fresh is None:
                tried.add((spec.key, at))
                return False
        return True

    async def execute(self, spec: JobSpec, scheduled_for: datetime) -> bool:
        """One run; the bus claims its run record, so calling this twice for one instant is harmless."""
        return (await self._execute(spec, scheduled_for))[0]

    async def _execute(
        self, spec: JobSpec, scheduled_for: datetime, stamp: int | None = None
    ) -> tuple[bool, bool | None]:
        """One run: whether it went without an error, and what its run record said (True: this run
        made it, False: it existed already, None: not known, e.g. refused). A run whose record
        exists is done: later passes look from its next run on. With `stamp`, ScheduleMoved (the
        run did nothing) is raised to the caller."""
        settled: list[bool] = []

        def recorded(fresh: bool) -> None:
            settled.append(fresh)
            if self.specs.get(spec.key) is spec:
                self._pending[spec.key] = (scheduled_for, spec.next_run(scheduled_for))

        try:
            _report(spec.key, await spec.run(JobRun(spec.key, scheduled_for, stamp, recorded)))
        except (asyncio.CancelledError, ScheduleMoved):
            raise
        except Exception:  # noqa: BLE001  (one failing job must not stop the others; retried next pass)
            log.exception(
                "job %s for %s failed; it is retried while within its grace", spec.key, scheduled_for
            )
            return False, None
        return True, settled[0] if settled else None

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

    async def _fire(self, key: str, at: datetime) -> None:
        """A timer went off: run that instant, then arm the spec's next run."""
        self._timers.fired(key, at)
        spec = self.specs.get(key)
        if spec is None or not self.holding:
            return
        await self.execute(spec, at)
        self._timers.arm(self.specs, self._upcoming, self.clock.now())
