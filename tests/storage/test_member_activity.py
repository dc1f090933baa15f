"""The weekly activity masks follow `member_week` exactly: through the contribution write path (with
replays), through flagging a pair's helpful marks, and when a migration fills them from scratch."""

from __future__ import annotations

import importlib.util
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.contributions.ports import ContributionRepository, HelpfulMarks
from bot.core.contributions.rules import ContributionFact, ContributionKind
from bot.core.refs import MemberRef
from bot.features import bindings
from storage.contributions.tables import MemberWeekRow
from storage.metrics.activity import KIND_BITS, OTHER_BIT, backfill_sql
from storage.metrics.tables import MemberActivityRow
from storage.uow import SqlUnitOfWorkFactory

START = datetime(2026, 9, 7, 9, tzinfo=UTC)  # a Monday
MIGRATION = Path(__file__).parents[2] / "migrations" / "versions" / "0008_member_activity.py"

Masks = dict[tuple[int, date], tuple[int, int]]


def test_every_kind_has_a_bit_of_its_own() -> None:
    assert set(KIND_BITS) == {kind.value for kind in ContributionKind}
    bits = list(KIND_BITS.values())
    assert len(set(bits)) == len(bits)
    assert all(bit & (bit - 1) == 0 and 0 < bit < OTHER_BIT for bit in bits)


async def _expected(engine: AsyncEngine) -> Masks:
    """The masks computed from member_week, as the metrics define them (a count above zero)."""
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(MemberWeekRow.member_id, MemberWeekRow.week_start, MemberWeekRow.kind).where(
                    MemberWeekRow.count > 0
                )
            )
        ).all()
    week: dict[tuple[int, date], int] = {}
    for member_id, start, kind in rows:
        week[(member_id, start)] = week.get((member_id, start), 0) | KIND_BITS[kind]
    masks: Masks = {}
    for (member_id, start), bits in week.items():
        for k in range(4):
            key = (member_id, start + timedelta(weeks=k))
            own, window = masks.get(key, (0, 0))
            masks[key] = (own | (bits if k == 0 else 0), window | bits)
    return masks


async def _kept(engine: AsyncEngine) -> Masks:
    A = MemberActivityRow
    async with engine.connect() as conn:
        rows = (await conn.execute(select(A.member_id, A.week_start, A.week_kinds, A.window_kinds))).all()
    return {(m, w): (own, window) for m, w, own, window in rows if own or window}


async def _refill(engine: AsyncEngine, sql: str) -> Masks:
    async with engine.begin() as conn:
        await conn.execute(delete(MemberActivityRow))
        await conn.exec_driver_sql(sql)
    return await _kept(engine)


async def test_the_write_path_and_flagging_keep_the_masks_and_a_refill_agrees(engine: AsyncEngine) -> None:
    uow_factory = SqlUnitOfWorkFactory(engine, bindings())
    async with uow_factory() as uow:
        await uow.communities.ensure("c", "C", "fake", START)
        ids = [(await uow.members.upsert_seen("c", MemberRef("fake", str(n)), START)).id for n in range(4)]
        await uow.commit()
    rng = random.Random(7)
    kinds = [k for k in ContributionKind if k is not ContributionKind.HELPFUL_FLAGGED]
    for batch in range(12):
        facts = [
            ContributionFact(
                "c",
                MemberRef("fake", str(rng.randrange(4))),
                rng.choice(kinds),
                1.0,
                f"s{rng.randrange(300)}",  # replays among them: counted once
                START + timedelta(hours=rng.randrange(24 * 7 * 9)),
                target=MemberRef("fake", "3") if batch % 3 == 0 else None,
            )
            for _ in range(25)
        ]
        async with uow_factory() as uow:
            await uow.repo(ContributionRepository).record(facts)
            await uow.commit()
        assert await _kept(engine) == await _expected(engine)
    # Helpful answers between members 0 and 3 all become flagged: weeks may lose their helpful bit.
    async with uow_factory() as uow:
        for n in range(6):
            fact = ContributionFact(
                "c",
                MemberRef("fake", "0"),
                ContributionKind.HELPFUL_ANSWER,
                1.0,
                f"h{n}",
                START + timedelta(weeks=n, days=1),
                target=MemberRef("fake", "3"),
            )
            await uow.repo(ContributionRepository).record([fact])
        await uow.commit()
    async with uow_factory() as uow:
        moved = await uow.repo(HelpfulMarks).flag_pair("c", ids[0], ids[3], START - timedelta(days=1))
        await uow.commit()
    assert moved >= 6
    expected = await _expected(engine)
    assert await _kept(engine) == expected
    assert any(own & KIND_BITS["helpful_flagged"] for own, _ in expected.values())

    dialect = engine.dialect.name
    assert await _refill(engine, backfill_sql(dialect)) == expected
    spec = importlib.util.spec_from_file_location("migration_0008", MIGRATION)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert await _refill(engine, migration._backfill(dialect)) == expected
