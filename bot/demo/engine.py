"""The demo's engine: simulated time over the real bot.

Everything the simulated people do is an action at a moment on a timeline. The engine moves the
`FixedClock` from one moment to the next and, in between, lets the real `ProgrammeScheduler` run
whatever falls due (programme announcements, reminders, the cohort window, milestones, the weekly
digest, and any recurring job a feature adds), so time-based work happens exactly when it would
in a running bot. After every step the outbox relay delivers what the step queued to the fake
platform, and the engine shows each new delivery to whoever reacts to it (a moderator sees an
application post with its buttons, members see an AMA announcement). Messages and reactions take
the batched contribution ingest, flushed every few simulated hours.

The relay is only asked when it can find something: after a commit, if an outbox row was inserted
since it last looked or a delivery is still being retried. Skipping the other passes (most commits,
e.g. an hourly job's, queue nothing) changes nothing that happens, only the round trips.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, select

from adapters.fake.platform import FakeNotifier, FakePlatform
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.core.effects import Effect
from bot.core.events import Event
from bot.core.refs import Actor
from bot.core.registry import MessageTarget
from bot.core.replies import OpenForm, Reply
from bot.demo.people import Person
from programming.scheduler import ProgrammeScheduler
from storage.tables import OutboxRow

Action = Callable[..., Awaitable[None]]
FLUSH_EVERY = timedelta(hours=6)  # how often queued messages and reactions are written


@dataclass
class Counters:
    """What the run did, for the closing summary."""

    commands: int = 0  # slash commands, button presses, forms and message actions
    events: int = 0  # platform events through the bus (joins, leaves)
    facts: int = 0  # messages and reactions through the ingest
    jobs: int = 0  # scheduled job runs


@dataclass(order=True)
class _Step:
    at: datetime
    seq: int
    action: Action = field(compare=False)
    args: tuple[Any, ...] = field(compare=False, default=())


class Engine:
    """The timeline, the clock, the scheduler, the relay and the ingest, driven together."""

    def __init__(
        self, app: App, platform: FakePlatform, clock: FixedClock, scheduler: ProgrammeScheduler
    ) -> None:
        self.app = app
        self.platform = platform
        self.notifier: FakeNotifier = platform.notifier
        self.clock = clock
        self.scheduler = scheduler
        self.counters = Counters()
        self._steps: list[_Step] = []
        self._seq = itertools.count()
        self._facts: list[tuple[datetime, int, Event]] = []
        self._delivered = 0
        self._committed = True
        self._queued = True  # an outbox row was inserted since the relay last looked
        self._retrying = False  # a delivery failed and may be pending (backing off) still
        self.watchers: list[Callable[[Effect], None]] = []
        wake = app.bus.on_commit

        def committed() -> None:
            self._committed = True
            wake()

        app.bus.on_commit = committed  # the relay only has work after the bus committed something

        def statement(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
            if sql.startswith("INSERT INTO outbox"):
                self._queued = True

        event.listen(app.engine.sync_engine, "before_cursor_execute", statement)

    # --- the timeline --------------------------------------------------------------------------

    def at(self, when: datetime, action: Action, *args: Any) -> None:
        """Do `action(*args)` at `when` (at once if that has passed)."""
        heapq.heappush(self._steps, _Step(when, next(self._seq), action, args))

    def fact(self, event: Event, when: datetime) -> None:
        """A message or reaction at `when`, written by the next flush after it."""
        heapq.heappush(self._facts, (when, next(self._seq), event))

    @property
    def now(self) -> datetime:
        return self.clock.now()

    async def run_until(self, end: datetime) -> None:
        """Step through the timeline and the scheduler's due instants until `end`."""
        while True:
            action_at = self._steps[0].at if self._steps else None
            job_at = self.scheduler.next_due(self.now)
            if job_at is not None and job_at <= self.now:
                job_at = None  # a planning pass that failed asks to be retried now: at the next job
            if job_at is not None and (action_at is None or job_at <= action_at):
                if job_at >= end:
                    return
                self.clock.set(job_at)
                self.counters.jobs += len(await self.scheduler.sync())
            elif action_at is not None and action_at < end:
                step = heapq.heappop(self._steps)
                self.clock.set(max(step.at, self.now))
                await step.action(*step.args)
            else:
                return
            await self.deliver()

    async def deliver(self) -> None:
        """Deliver the outbox to the fake platform and show each new delivery to the watchers."""
        if not self._committed:
            return
        if not self._queued and not self._retrying:
            self._committed = False  # the relay would find nothing due
            return
        self._queued = False
        attempted = await self.app.relay.run_once()
        fresh = self.notifier.delivered[self._delivered :]
        # An attempt that did not go through (an edit whose post was not out yet) is retried after
        # its backoff: look again after the next step even if nothing new is committed.
        self._committed = len(fresh) < attempted
        if self._committed:
            self._retrying = True
        elif self._retrying:
            self._retrying = await self._anything_pending()
        self._delivered = len(self.notifier.delivered)
        for effect in fresh:
            for watcher in self.watchers:
                watcher(effect)

    async def _anything_pending(self) -> bool:
        """Whether the outbox still holds an undelivered item (one backing off after a failure)."""
        async with self.app.engine.connect() as conn:
            found = await conn.scalar(select(OutboxRow.id).where(OutboxRow.status == "pending").limit(1))
        return found is not None

    async def flush(self) -> None:
        """Write the messages and reactions that have happened by now through the ingest."""
        submitted = 0
        while self._facts and self._facts[0][0] <= self.now:
            _, _, event = heapq.heappop(self._facts)
            await self.app.ingest.submit(event)
            submitted += 1
        if submitted:
            self.counters.facts += submitted
            await self.app.ingest.drain()

    async def every_few_hours(self) -> None:
        """The recurring flush."""
        await self.flush()
        self.at(self.now + FLUSH_EVERY, self.every_few_hours)

    # --- acting on the platform ----------------------------------------------------------------

    def actor(self, person: Person) -> Actor:
        """The person as the platform adapter would present them."""
        roles = (person.role,) if person.role is not None else ()
        return self.platform.actor(person.uid, *roles, name=person.name)

    def _count(self, result: Reply | OpenForm) -> Reply | OpenForm:
        self.counters.commands += 1
        return result

    async def slash(self, person: Person, name: str, **options: Any) -> Reply | OpenForm:
        """Run a slash command as `person`."""
        return self._count(await self.platform.slash(self.actor(person), name, **options))

    async def press(self, person: Person, key: str) -> Reply | OpenForm:
        """Press a button as `person`."""
        return self._count(await self.platform.press(self.actor(person), key))

    async def submit(
        self, person: Person, form: OpenForm | str, answers: dict[str, str], context: str = ""
    ) -> Reply | OpenForm:
        """Submit a form as `person`."""
        return self._count(await self.platform.submit(self.actor(person), form, answers, context))

    async def message_action(self, person: Person, key: str, target: MessageTarget) -> Reply | OpenForm:
        """Use a message action (e.g. "Mark helpful") as `person`."""
        return self._count(await self.platform.message_action(self.actor(person), key, target))

    async def event(self, event: Event) -> None:
        """A platform event (a join, a leave) through the bus."""
        self.counters.events += 1
        await self.platform.event(event)
