"""Reads a command repeats are answered within its transaction, and stay right when it writes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FixedClock
from bot.core.gates.ports import GateRepository
from bot.core.members import AdmissionMethod, MemberStatus
from bot.core.privacy.ports import PrivacyRepository
from bot.core.privacy.rules import MarkReason, subject_hash
from bot.core.refs import MemberRef
from bot.features import bindings
from storage.privacy.tables import AnonymousMarkRow
from storage.uow import SqlUnitOfWorkFactory

C = "c"
ADA = MemberRef("fake", "ada")


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: object, cursor: object, sql: str, *rest: object) -> None:
        seen.append(sql)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


async def _factory(engine: AsyncEngine, clock: FixedClock) -> SqlUnitOfWorkFactory:
    """Units of work on `engine`, with community C in place."""
    factory = SqlUnitOfWorkFactory(engine, bindings())
    async with factory() as uow:
        await uow.communities.ensure(C, "C", "fake", clock.now())
        await uow.commit()
    return factory


async def test_a_member_is_read_once_per_transaction(engine: AsyncEngine, clock: FixedClock) -> None:
    factory = await _factory(engine, clock)
    async with factory() as uow:
        first = await uow.members.upsert_seen(C, ADA, clock.now(), display_name="Ada")
        with statements(engine) as seen:
            again = await uow.members.upsert_seen(C, ADA, clock.now(), display_name="Ada L.")
            by_ref = await uow.members.by_ref(C, ADA)
            by_id = await uow.members.get(first.id)
        assert seen == []
        assert again.id == first.id and again.display_name == "Ada L."
        assert by_ref is not None and by_ref.display_name == "Ada L."
        assert by_id is not None and by_id.id == first.id
        await uow.commit()
    async with factory() as uow:
        stored = await uow.members.by_ref(C, ADA)
    assert stored is not None and stored.display_name == "Ada L."  # the change was written


async def test_a_newcomer_is_stored_and_read_back_in_one_statement(
    engine: AsyncEngine, clock: FixedClock
) -> None:
    factory = await _factory(engine, clock)
    async with factory() as uow:
        with statements(engine) as seen:
            ada = await uow.members.upsert_seen(C, ADA, clock.now(), display_name="Ada")
            by_ref = await uow.members.by_ref(C, ADA)
            by_id = await uow.members.get(ada.id)
        assert len(seen) == 1 and seen[0].startswith("INSERT")  # INSERT … RETURNING, no SELECT after it
        assert ada.status is MemberStatus.PENDING and ada.first_seen_at == clock.now()
        assert ada.display_name == "Ada" and ada.admitted_at is None and not ada.is_bot
        assert by_ref == ada and by_id == ada
        ada.interests = "chess"
        await uow.members.save(ada)  # a change to the row goes through the ORM as for a row read
        await uow.commit()
    async with factory() as uow:
        stored = await uow.members.by_ref(C, ADA)
        with statements(engine) as seen:
            again = await uow.members.upsert_seen(C, ADA, clock.now())
        assert seen == []  # known in this transaction
    assert stored is not None and stored.interests == "chess" and again.id == ada.id


async def test_a_member_created_in_a_rolled_back_transaction_is_forgotten(
    engine: AsyncEngine, clock: FixedClock
) -> None:
    factory = await _factory(engine, clock)
    async with factory() as uow:
        await uow.members.upsert_seen(C, ADA, clock.now())
        await uow.rollback()
        assert await uow.members.by_ref(C, ADA) is None
        again = await uow.members.upsert_seen(C, ADA, clock.now())  # inserted anew, not remembered
        await uow.commit()
    async with factory() as uow:
        stored = await uow.members.by_ref(C, ADA)
    assert stored is not None and stored.id == again.id


async def test_writes_in_the_transaction_are_seen_by_later_reads(
    engine: AsyncEngine, clock: FixedClock
) -> None:
    factory = await _factory(engine, clock)
    async with factory() as uow:
        ada = await uow.members.upsert_seen(C, ADA, clock.now())
        gates = uow.repo(GateRepository)
        assert await gates.admit(
            ada.id, method=AdmissionMethod.OPEN, referrer_id=None, confidence=None, now=clock.now()
        )
        for member in (await uow.members.get(ada.id), await uow.members.by_ref(C, ADA)):
            assert member is not None and member.status is MemberStatus.ADMITTED
        locked = await gates.lock_member(ada.id)
        assert locked.status is MemberStatus.ADMITTED and locked.admitted_at == clock.now()
        erased = await uow.repo(PrivacyRepository).erase(locked, (), clock.now())
        assert erased["member"] == 1
        assert await uow.members.by_ref(C, ADA) is None  # deleted in this transaction: not remembered
        await uow.commit()


async def test_the_gate_state_follows_this_transactions_changes(
    engine: AsyncEngine, clock: FixedClock
) -> None:
    factory = await _factory(engine, clock)
    async with factory() as uow:
        gates = uow.repo(GateRepository)
        now = clock.now()
        assert await gates.record_join(C, now, now - timedelta(minutes=10)) == 1
        state = await gates.state(C)
        assert not state.admissions_paused and state.burst_since is None
        assert await gates.start_burst(C, now)
        assert (await gates.state(C)).burst_since == now
        assert await gates.set_paused(C, True)
        assert (await gates.state(C)).admissions_paused
        await gates.end_burst(C)
        assert (await gates.state(C)).burst_since is None
        await gates.set_mode(C, "application", None)
        assert (await gates.state(C)).mode_override == "application"
        await uow.commit()
    async with factory() as uow:
        stored = await uow.repo(GateRepository).state(C)
    assert stored.admissions_paused and stored.mode_override == "application" and stored.burst_since is None


async def test_a_mark_is_found_for_its_subject_only(engine: AsyncEngine, clock: FixedClock) -> None:
    factory = await _factory(engine, clock)
    now = clock.now()
    bea, cy = MemberRef("fake", "bea"), MemberRef("fake", "cy")
    async with factory() as uow:
        privacy = uow.repo(PrivacyRepository)
        assert await privacy.mark_until(C, ADA, MarkReason.REDEMPTION_LOCKOUT, now) is None  # no salt yet
        salt = await uow.communities.privacy_salt(C)
        marks = [
            (ADA, MarkReason.REDEMPTION_LOCKOUT, now + timedelta(hours=1)),
            (bea, MarkReason.REDEMPTION_LOCKOUT, now + timedelta(minutes=30)),
            (bea, MarkReason.REAPPLY_COOLDOWN, now + timedelta(days=9)),
            (cy, MarkReason.REDEMPTION_LOCKOUT, now - timedelta(minutes=1)),  # over
        ]
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
                for ref, reason, until in marks
            ],
        )
        lockout = MarkReason.REDEMPTION_LOCKOUT
        assert await privacy.mark_until(C, ADA, lockout, now) == now + timedelta(hours=1)
        assert await privacy.mark_until(C, bea, lockout, now) == now + timedelta(minutes=30)
        assert await privacy.mark_until(C, bea, MarkReason.REAPPLY_COOLDOWN, now) == now + timedelta(days=9)
        assert await privacy.mark_until(C, cy, lockout, now) is None
        assert await privacy.mark_until(C, ADA, MarkReason.REAPPLY_COOLDOWN, now) is None
        assert await privacy.mark_until("elsewhere", ADA, lockout, now) is None


async def test_leaving_a_unit_of_work_gives_its_connection_back_and_undoes_what_was_not_committed(
    engine: AsyncEngine, clock: FixedClock
) -> None:
    factory = await _factory(engine, clock)
    async with factory() as uow:
        committed = await uow.members.upsert_seen(C, ADA, clock.now(), display_name="Ada")
        await uow.commit()
    assert engine.sync_engine.pool.checkedout() == 0  # closed without a transaction to end
    assert committed.display_name == "Ada"
    async with factory() as uow:
        await uow.members.upsert_seen(C, MemberRef("fake", "bob"), clock.now())
    assert engine.sync_engine.pool.checkedout() == 0
    async with factory() as uow:
        assert await uow.members.by_ref(C, MemberRef("fake", "bob")) is None  # rolled back on leaving
        assert await uow.members.by_ref(C, ADA) is not None
