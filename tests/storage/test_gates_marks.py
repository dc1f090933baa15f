"""The gates read their state and a person's anonymous mark together (a redemption's lockout, an
application's cooldown): the same answers as `state` and `mark_until`, in one statement."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FixedClock
from bot.core.gates.ports import GateRepository
from bot.core.gates.rules import GateState
from bot.core.privacy.ports import PrivacyRepository
from bot.core.privacy.rules import MarkReason, subject_hash
from bot.core.refs import MemberRef
from storage.privacy.tables import AnonymousMarkRow
from storage.tables import CommunityRow
from tests.storage.test_member_reads import ADA, C, _factory, statements

BEA = MemberRef("fake", "bea")
LOCKOUT, COOLDOWN = MarkReason.REDEMPTION_LOCKOUT, MarkReason.REAPPLY_COOLDOWN


async def test_state_and_mark_answer_as_the_two_reads_do_in_one_statement(
    engine: AsyncEngine, clock: FixedClock
) -> None:
    factory = await _factory(engine, clock)
    now = clock.now()
    async with factory() as uow:
        salt = await uow.communities.privacy_salt(C)
        await uow.session.execute(
            update(CommunityRow).where(CommunityRow.id == C).values(admissions_paused=True, gate_mode="open")
        )
        await uow.session.execute(
            insert(AnonymousMarkRow),
            [
                {
                    "community_id": C,
                    "subject_hash": subject_hash(salt, ref),
                    "reason": reason.value,
                    "until": until,
                    "created_at": now,
                }
                for ref, reason, until in [
                    (ADA, LOCKOUT, now + timedelta(hours=1)),
                    (BEA, COOLDOWN, now + timedelta(days=9)),
                    (BEA, LOCKOUT, now - timedelta(minutes=1)),  # over
                ]
            ],
        )
        await uow.commit()
    for ref in (ADA, BEA):
        for reason in (LOCKOUT, COOLDOWN):
            async with factory() as uow:
                expected_state = await uow.repo(GateRepository).state(C)
                expected_mark = await uow.repo(PrivacyRepository).mark_until(C, ref, reason, now)
            async with factory() as uow:
                with statements(engine) as seen:
                    state, mark = await uow.repo(GateRepository).state_and_mark(C, ref, reason, now)
                    again = await uow.repo(GateRepository).state(C)  # kept for the transaction
                assert len(seen) == 1
                assert (state, mark) == (expected_state, expected_mark)
                assert again == state and state.admissions_paused and state.mode_override == "open"
    async with factory() as uow:
        assert (await uow.repo(GateRepository).state_and_mark(C, ADA, LOCKOUT, now))[1] == now + timedelta(
            hours=1
        )
        assert (await uow.repo(GateRepository).state_and_mark(C, BEA, LOCKOUT, now))[1] is None
        assert (await uow.repo(GateRepository).state_and_mark(C, BEA, COOLDOWN, now))[1] == now + timedelta(
            days=9
        )


async def test_a_state_read_already_costs_only_the_marks(engine: AsyncEngine, clock: FixedClock) -> None:
    factory = await _factory(engine, clock)
    async with factory() as uow:
        gates = uow.repo(GateRepository)
        state = await gates.state(C)
        with statements(engine) as seen:
            again, mark = await gates.state_and_mark(C, ADA, LOCKOUT, clock.now())
        assert len(seen) == 1 and "gate_mode" not in seen[0]
        assert again == state and mark is None


async def test_no_community_row_reads_as_the_default_state_without_a_mark(
    engine: AsyncEngine, clock: FixedClock
) -> None:
    factory = await _factory(engine, clock)
    async with factory() as uow:
        state, mark = await uow.repo(GateRepository).state_and_mark("elsewhere", ADA, LOCKOUT, clock.now())
    assert state == GateState() and mark is None
