"""A Hypothesis state machine over the outbox, the relay and the contribution ingest: effects
committed as the bus commits them, a platform that goes down and up, mark-done writes that fail,
relays that crash and restart (between passes, or in a pass right after a send), a platform that
says it absorbs resends (the relay then records a batch's sends together) or not, time passing, and
platform messages (replayed ones among them) flowing through the ingest, which hands each batch to the
bus. Every effect lands exactly once (a resend after a lost record is absorbed by the attempt key, as
Discord's nonce absorbs it) and, per channel and person, in the order queued; every message is counted
exactly once."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from hypothesis.strategies import integers, sampled_from
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot.bootstrap import build_app
from bot.clock import FixedClock
from bot.core.effects import DirectMessage, Effect, PostMessage, lane
from bot.core.events import MessagePosted
from bot.core.refs import MemberRef
from bot.relay import OutboxRelay, RetryPolicy
from bot.relay_requeue import requeue_with_dependants
from storage.contributions.tables import ContributionRow
from storage.db import create_engine
from storage.tables import OutboxRow
from tests.conftest import BACKENDS, COMMUNITY, START, _truncate, make_settings
from tests.core.relay_kit import Crash, SimPlatform

# No parking in this model (parked effects are the documented exception to the order): attempts
# are plentiful, so every effect must eventually land in its place.
POLICY = RetryPolicy(max_attempts=1000, record_retry_seconds=(0,), alert_channel=None)


class _FlakyRecord:
    """A unit of work whose mark-done write fails while the machine says the database is away."""

    def __init__(self, inner: Any, machine: RelayMachine) -> None:
        self.inner, self.machine = inner, machine

    async def __aenter__(self) -> Any:
        uow = await self.inner.__aenter__()
        if self.machine.record_fails:

            async def fail(*args: object) -> None:
                raise OperationalError("UPDATE outbox", {}, Exception("connection lost"))

            uow.outbox.mark_done = fail
        return uow

    async def __aexit__(self, *exc: object) -> None:
        await self.inner.__aexit__(*exc)


class RelayMachine(RuleBasedStateMachine):
    template: ClassVar[Path]
    postgres: ClassVar[str | None] = None  # set: run on this PostgreSQL database (emptied per example)

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.folder = Path(tempfile.mkdtemp())
        if self.postgres is not None:
            url = self.postgres
            self.loop.run_until_complete(_truncate(url))
        else:
            shutil.copy(self.template, self.folder / "t.db")
            url = f"sqlite+aiosqlite:///{self.folder / 't.db'}"
        self.clock = FixedClock(START)
        self.sim = SimPlatform()
        self.app = build_app(make_settings(url), self.clock, {"fake": self.sim}, engine=create_engine(url))
        self.loop.run_until_complete(self.app.ensure_communities())
        self.record_fails = False
        self.lost_records = 0  # sends whose record a crash lost: the only allowed resends
        self.queued: dict[str, list[str]] = defaultdict(list)
        self.count = 0
        self.messages: set[str] = set()  # distinct platform message ids handed to the ingest
        self.app.ingest.flush_seconds = 0.0

        async def start_ingest() -> None:
            self.app.ingest.start()  # its writer task runs on this machine's loop

        self._run(start_ingest())
        self.relay = self._relay()

    def _relay(self) -> OutboxRelay:
        return OutboxRelay(
            lambda: _FlakyRecord(self.app.uow_factory(), self), self.clock, {"fake": self.sim}, POLICY
        )

    def _run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    async def _queue(self, effects: list[Effect]) -> None:
        async with self.app.uow_factory() as uow:
            for effect in effects:
                await uow.outbox.add(effect, platform="fake", now=self.clock.now())
            await uow.commit()
        for effect in effects:
            assert isinstance(effect, PostMessage | DirectMessage)
            self.queued[lane(effect) or ""].append(effect.text)

    @rule(channel=sampled_from(["welcome", "digest", "id:C1"]), n=integers(1, 4))
    def post(self, channel: str, n: int) -> None:
        effects: list[Effect] = []
        for _ in range(n):
            self.count += 1
            effects.append(PostMessage(COMMUNITY, channel, f"p{self.count}"))
        self._run(self._queue(effects))

    @rule(member=sampled_from(["1", "2"]))
    def direct(self, member: str) -> None:
        self.count += 1
        self._run(self._queue([DirectMessage(COMMUNITY, MemberRef("fake", member), f"d{self.count}")]))

    @rule(member=sampled_from(["1", "2", "3"]), message=integers(1, 25))
    def message(self, member: str, message: int) -> None:
        """A message arrives; an id seen before is the platform replaying it (counted once)."""
        event = MessagePosted(
            community_id=COMMUNITY,
            member=MemberRef("fake", member),
            channel_id="general",
            message_id=str(message),
            at=self.clock.now(),
        )
        self._run(self.app.ingest.submit(event))
        self.messages.add(str(message))

    @rule()
    def ingest_catches_up(self) -> None:
        self._run(self.app.ingest.drain())

    @rule(down=sampled_from([True, False]))
    def platform(self, down: bool) -> None:
        self.sim.down = down

    @rule(absorbs=sampled_from([True, False]))
    def platform_absorbs_resends(self, absorbs: bool) -> None:
        """Whether the relay records each send at once or the batch's sends together."""
        self.sim.absorbs = absorbs

    @rule(times=integers(1, 2))
    def one_off_failures(self, times: int) -> None:
        self.sim.fail_next = times

    @rule(fails=sampled_from([True, False]))
    def database_records(self, fails: bool) -> None:
        self.record_fails = fails

    @rule(seconds=sampled_from([1, 5, 30, 130]))
    def time_passes(self, seconds: int) -> None:
        self.clock.advance(seconds=seconds)

    @rule(sends=integers(0, 3))
    def crash_during_a_pass(self, sends: int) -> None:
        """The process dies in the middle of a pass, right after a send the platform took."""
        self.sim.crash_after = sends

    @rule()
    def relay_pass(self) -> None:
        try:
            self._run(self.relay.run_once())
        except ConnectionError:
            pass  # sent, not recorded: run_forever would log it once and back off
        except Crash:
            # Lost: what the relay sent and had not recorded, and the send it was waiting on.
            self.lost_records += len(self.relay._unrecorded) + 1
            self.relay = self._relay()

    @rule()
    def crash(self) -> None:
        self.lost_records += len(self.relay._unrecorded)
        self.relay = self._relay()

    @invariant()
    def each_lane_is_a_prefix_of_what_was_queued(self) -> None:
        for name, texts in self.sim.landed.items():
            assert texts == self.queued[name][: len(texts)], name
        assert self.sim.duplicates() <= self.lost_records

    def teardown(self) -> None:
        try:
            self.sim.down, self.record_fails, self.sim.crash_after = False, False, None
            for _ in range(100):
                self.clock.advance(seconds=60)
                self._run(self.relay.run_once())
            self._run(self.app.ingest.stop())
            self._run(self._assert_all_done())
            assert dict(self.sim.landed) == {k: v for k, v in self.queued.items() if v}
            self._run(self._assert_counted_once())
        finally:
            self._run(self.app.engine.dispose())
            self.loop.close()
            shutil.rmtree(self.folder, ignore_errors=True)

    async def _assert_counted_once(self) -> None:
        async with self.app.engine.connect() as conn:
            counted = await conn.scalar(select(func.count()).select_from(ContributionRow))
        assert counted == len(self.messages)

    async def _assert_all_done(self) -> None:
        async with self.app.engine.connect() as conn:
            statuses = set((await conn.execute(select(OutboxRow.status))).scalars())
        assert statuses <= {"done"}, statuses
        async with self.app.uow_factory() as uow:
            assert await requeue_with_dependants(uow, await uow.outbox.parked_ids(), self.clock.now()) == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_effect_lands_once_and_in_order(
    backend: str, sqlite_template: Path, pg_url: str | None
) -> None:
    RelayMachine.template = sqlite_template
    RelayMachine.postgres = pg_url if backend == "postgresql" else None
    run_state_machine_as_test(
        RelayMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
