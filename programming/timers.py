"""The scheduler's timers: one APScheduler date trigger per job spec, at its next run.

Timers only say *when*: the scheduler's passes run whatever is due anyway, so losing a timer
(a restart, a lost lease) loses nothing. AsyncIOScheduler, UTC, in-memory job store.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime

from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from programming.jobs import JobSpec

Fire = Callable[[str, datetime], Awaitable[None]]
Upcoming = Callable[[str, JobSpec, datetime], datetime | None]


class Timers:
    """The armed triggers, re-armed only when a spec's next run changes."""

    def __init__(self, fire: Fire) -> None:
        self._fire = fire
        self._scheduler: AsyncIOScheduler | None = None
        self._armed: dict[str, datetime] = {}

    def start(self) -> None:
        """Start the AsyncIOScheduler (once)."""
        if self._scheduler is None:
            self._scheduler = AsyncIOScheduler(
                timezone=UTC, jobstores={"default": MemoryJobStore()}, job_defaults={"coalesce": True}
            )
            self._scheduler.start()

    def stop(self) -> None:
        """Stop it and forget every trigger."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        self._armed.clear()

    def arm(self, specs: Mapping[str, JobSpec], upcoming: Upcoming, now: datetime) -> None:
        """A trigger per spec at its next run after `now`, `upcoming(key, spec, now)` (none when that
        is None); the triggers of specs gone go too."""
        if self._scheduler is None:
            return
        for key, spec in specs.items():
            at = upcoming(key, spec, now)
            if at is None:
                self._disarm(key)
            elif self._armed.get(key) != at:
                self._scheduler.add_job(
                    self._fire,
                    trigger=DateTrigger(run_date=at, timezone=UTC),
                    args=(key, at),
                    id=key,
                    replace_existing=True,
                    misfire_grace_time=int(spec.grace.total_seconds()),
                    coalesce=True,
                )
                self._armed[key] = at
        for key in set(self._armed) - set(specs):
            self._disarm(key)

    def fired(self, key: str, at: datetime) -> None:
        """The trigger of `key` for `at` went off: it is armed no more."""
        if self._armed.get(key) == at:
            del self._armed[key]

    def _disarm(self, key: str) -> None:
        if self._armed.pop(key, None) is not None and self._scheduler is not None:
            try:
                self._scheduler.remove_job(key)
            except JobLookupError:
                pass  # it fired already
