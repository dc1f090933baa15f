"""The gates' races are settled in SQL: concurrent units of work, one winner, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FixedClock
from bot.core.gates.application_rules import Answer, ApplicationStatus
from bot.core.gates.ports import ApplicationRepository, GateRepository, ReferralCodeRepository
from bot.core.gates.rules import ReferralCode
from bot.core.members import AdmissionMethod, MemberStatus
from bot.core.refs import MemberRef
from bot.features import bindings
from storage.uow import SqlUnitOfWork, SqlUnitOfWorkFactory
from tests.storage.test_member_reads import statements

C = "c"


async def _seed(
    factory: SqlUnitOfWorkFactory, clock: FixedClock, max_uses: int = 3
) -> tuple[int, ReferralCode]:
    async with factory() as uow:
        await uow.communities.ensure(C, "C", "fake", clock.now())
        owner = await uow.members.upsert_seen(C, MemberRef("fake", "owner"), clock.now())
        await uow.repo(GateRepository).admit(
            owner.id, method=AdmissionMethod.LEAD, referrer_id=None, confidence=None, now=clock.now()
        )
        code = await uow.repo(ReferralCodeRepository).create(
            C,
            owner.id,
            "ABCDEFGHJK",
            now=clock.now(),
            expires_at=clock.now() + timedelta(days=7),
            max_uses=max_uses,
        )
        await uow.commit()
    assert code is not None
    return owner.id, code


async def _race(
    factory: SqlUnitOfWorkFactory, n: int, step: Callable[[SqlUnitOfWork], Awaitable[bool]]
) -> int:
    async def one() -> bool:
        async with factory() as uow:
            won = await step(uow)
            await asyncio.sleep(0.01)  # hold the transaction open while the others try
            await uow.commit()
            return won

    return sum(await asyncio.gather(*(one() for _ in range(n))))


async def test_concurrent_redemptions_never_pass_the_use_limit(
    engine: AsyncEngine, clock: FixedClock
) -> None:
    factory = SqlUnitOfWorkFactory(engine, bindings())
    _, code = await _seed(factory, clock, max_uses=3)
    assert (
        await _race(factory, 10, lambda uow: uow.repo(ReferralCodeRepository).consume(code.id, clock.now()))
        == 3
    )
    async with factory() as uow:
        fresh = await uow.repo(ReferralCodeRepository).by_code(C, code.code)
    assert fresh is not None and fresh.uses == 3


async def test_two_deciders_one_decision(engine: AsyncEngine, clock: FixedClock) -> None:
    factory = SqlUnitOfWorkFactory(engine, bindings())
    owner_id, _ = await _seed(factory, clock)
    async with factory() as uow:
        applicant = await uow.members.upsert_seen(C, MemberRef("fake", "ada"), clock.now())
        application = await uow.repo(ApplicationRepository).add(
            C, applicant.id, (Answer("q?", "a"),), clock.now()
        )
        await uow.commit()

    async def decide(uow: SqlUnitOfWork) -> bool:
        return await uow.repo(ApplicationRepository).decide(
            application.id, ApplicationStatus.APPROVED, decided_by_id=owner_id, now=clock.now()
        )

    assert await _race(factory, 5, decide) == 1


async def test_one_admission_and_one_burst_alert(engine: AsyncEngine, clock: FixedClock) -> None:
    factory = SqlUnitOfWorkFactory(engine, bindings())
    await _seed(factory, clock)
    async with factory() as uow:
        newcomer = await uow.members.upsert_seen(C, MemberRef("fake", "new"), clock.now())
        await uow.commit()

    async def admit(uow: SqlUnitOfWork) -> bool:
        return await uow.repo(GateRepository).admit(
            newcomer.id, method=AdmissionMethod.OPEN, referrer_id=None, confidence=None, now=clock.now()
        )

    assert await _race(factory, 5, admit) == 1
    assert await _race(factory, 5, lambda uow: uow.repo(GateRepository).start_burst(C, clock.now())) == 1


async def test_consume_refuses_dead_codes_in_sql(engine: AsyncEngine, clock: FixedClock) -> None:
    factory = SqlUnitOfWorkFactory(engine, bindings())
    owner_id, code = await _seed(factory, clock)
    async with factory() as uow:
        assert not await uow.repo(ReferralCodeRepository).consume(
            code.id, code.expires_at
        )  # expired at that instant
        owner = await uow.members.get(owner_id)
        assert owner is not None
        owner.status = MemberStatus.LEFT
        await uow.members.save(owner)
        assert not await uow.repo(ReferralCodeRepository).consume(code.id, clock.now())  # the owner left
        owner.status = MemberStatus.ADMITTED
        await uow.members.save(owner)
        assert await uow.repo(ReferralCodeRepository).revoke(owner_id, clock.now()) == 1
        assert not await uow.repo(ReferralCodeRepository).consume(code.id, clock.now())  # revoked
        assert await uow.repo(ReferralCodeRepository).live_of(owner_id, clock.now()) == []


async def test_a_code_is_read_with_its_owner(engine: AsyncEngine, clock: FixedClock) -> None:
    factory = SqlUnitOfWorkFactory(engine, bindings())
    owner_id, code = await _seed(factory, clock)
    async with factory() as uow:
        await uow.repo(ReferralCodeRepository).attach_invite(C, code.code, "inv1")
        for read in (
            uow.repo(ReferralCodeRepository).by_code(C, code.code),
            uow.repo(ReferralCodeRepository).by_invite(C, "inv1"),
        ):
            found = await read
            assert found is not None and found.id == code.id and found.invite_code == "inv1"
            with statements(engine) as seen:
                owner = await uow.members.get(owner_id)  # came with the code: no query of its own
            assert seen == [] and owner is not None and owner.status is MemberStatus.ADMITTED
        assert await uow.repo(ReferralCodeRepository).by_code(C, "ZZZZZZZZZZ") is None
        assert await uow.repo(ReferralCodeRepository).by_invite(C, "nope") is None


async def test_an_application_is_read_with_its_applicant(engine: AsyncEngine, clock: FixedClock) -> None:
    factory = SqlUnitOfWorkFactory(engine, bindings())
    await _seed(factory, clock)
    async with factory() as uow:
        applicant = await uow.members.upsert_seen(C, MemberRef("fake", "applicant"), clock.now())
        added = await uow.repo(ApplicationRepository).add(
            C, applicant.id, (Answer("Who?", "me"),), clock.now()
        )
        await uow.commit()
    async with factory() as uow:
        found = await uow.repo(ApplicationRepository).get(added.id)
        assert found == added
        with statements(engine) as seen:
            member = await uow.members.get(applicant.id)  # came with the application
        assert seen == [] and member is not None and member.ref == applicant.ref
        assert await uow.repo(ApplicationRepository).get(added.id + 1) is None


async def test_quota_is_the_live_codes_and_the_count_made_since(
    engine: AsyncEngine, clock: FixedClock
) -> None:
    factory = SqlUnitOfWorkFactory(engine, bindings())
    owner_id, first = await _seed(factory, clock)  # made now, live
    async with factory() as uow:
        codes = uow.repo(ReferralCodeRepository)
        now = clock.now() + timedelta(days=10)  # `first` has expired by then
        made = [
            await codes.create(
                C, owner_id, f"CODE{i}ABCD", now=at, expires_at=at + timedelta(days=7), max_uses=1
            )
            for i, at in enumerate((now - timedelta(days=2), now - timedelta(hours=1), now))
        ]
        assert all(made)
        await codes.revoke(owner_id, now, "CODE2ABCD")  # the newest: revoked
        since = now - timedelta(days=1)
        live, count = await codes.quota(owner_id, now, since)
        assert [c.code for c in live] == ["CODE1ABCD", "CODE0ABCD"]  # newest first
        assert live == await codes.live_of(owner_id, now)
        assert count == 2 == await codes.created_since(owner_id, since)  # revoked ones count too


async def test_join_log_counts_the_window_and_forgets_older_joins(
    engine: AsyncEngine, clock: FixedClock
) -> None:
    factory = SqlUnitOfWorkFactory(engine, bindings())
    await _seed(factory, clock)
    window = timedelta(seconds=60)
    async with factory() as uow:
        counts = []
        for seconds in (0, 10, 50, 65, 130):
            at = clock.now() + timedelta(seconds=seconds)
            counts.append(await uow.repo(GateRepository).record_join(C, at, at - window))
        await uow.commit()
    assert counts == [1, 2, 3, 3, 1]
