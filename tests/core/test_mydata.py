"""/mydata: export sends everything about a person as JSON; erase leaves no row that refers to them,
except an anonymous mark where anti-abuse needs one."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, Integer, String, Table, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakePlatform
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.core.cohorts.commands import CloseCohortWindow
from bot.core.effects import DirectMessage
from bot.core.members import Member
from bot.core.privacy.ports import PrivacyRepository
from bot.core.privacy.rules import MarkReason
from bot.core.privacy.scrub import Scrubber
from bot.core.registry import MessageTarget
from bot.core.replies import Reply
from storage.gates.tables import ApplicationRow
from storage.privacy.repository import declared_tables
from storage.privacy.tables import AnonymousMarkRow
from storage.tables import Base, MemberRow, OutboxRow
from storage.types import UTCDateTime
from tests.conftest import COMMUNITY
from tests.core.support import add_member, admit, give_badge, ref

SKIP = {
    "member",
    "community",
    "outbox",
    "processed_event",
    "platform_ref",
    "job_run",
    "lease",
    "schedule_stamp",  # one row, made by its migration
    "anonymous_mark",
}


def _value(column: Any, n: int, now: datetime) -> Any:
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return now
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Integer):
        return n
    if isinstance(kind, Float):
        return 1.0
    if isinstance(kind, Date):
        return date(2026, 11, 2) + timedelta(days=n)
    if isinstance(kind, JSON):
        return {"n": n}
    if isinstance(kind, String):
        return f"v{n}"[: kind.length or 100]
    raise AssertionError(f"no test value for {column}")


async def _fill_every_table(engine: AsyncEngine, erased: Member, other: Member, now: datetime) -> None:
    """A row in every table (enumerated, not listed) that refers to `erased` through every member
    column, and a second row where only its "nullify" columns do."""
    privacy = {m.local_table.name: m.class_.__privacy__ for m in Base.registry.mappers}
    parents: dict[str, Any] = {}
    n = 0
    async with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in SKIP:
                continue
            declared = privacy[table.name].columns
            variants = [{c: erased.id for c in declared}]
            if declared:
                variants.append({c: erased.id if p == "nullify" else other.id for c, p in declared.items()})
            for member_of in variants:
                n += 1
                values: dict[str, Any] = {}
                for column in table.columns:
                    fk = next(iter(column.foreign_keys), None)
                    if (
                        fk is not None
                        and column.nullable
                        and fk.column.table.name not in {*parents, "member", "community"}
                    ):
                        continue  # a self-reference (idea.merged_into_id): nothing to point at yet
                    if fk is not None:
                        target = fk.column.table.name
                        values[column.name] = (
                            member_of.get(column.name, erased.id)
                            if target == "member"
                            else COMMUNITY
                            if target == "community"
                            else parents[target]
                        )
                    elif not (column.primary_key and column.autoincrement is True) and not column.nullable:
                        values[column.name] = _value(column, n, now)
                    elif (
                        column.primary_key
                        and isinstance(column.type, Integer)
                        and len(table.primary_key) == 1
                    ):
                        continue
                result = await conn.execute(
                    table.insert().values(**values).returning(*table.primary_key.columns)
                )
                parents.setdefault(table.name, result.scalar_one())


async def _references(engine: AsyncEngine, member_id: int) -> dict[str, int]:
    found: dict[str, int] = {}
    async with engine.connect() as conn:
        for table, privacy in declared_tables():
            where = or_(*(table.c[c] == member_id for c in privacy.columns))
            rows = int(await conn.scalar(select(func.count()).select_from(table).where(where)) or 0)
            if rows:
                found[table.name] = rows
    return found


async def _rows(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


async def _rich_member(
    app: App, engine: AsyncEngine, platform: FakePlatform, clock: FixedClock
) -> tuple[Member, Member]:
    erased = await add_member(app, "x")
    other = await add_member(app, "y", referred_by_id=erased.id)
    await _fill_every_table(engine, erased, other, clock.now())
    every = {t.name for t, _ in declared_tables()}
    assert set(await _references(engine, erased.id)) == every  # every table with a member column
    # Real flows on top: a cohort with a buddy (posts and DMs name them), a helpful answer.
    await give_badge(app, other, "cohort_graduate")
    await admit(app, "x")
    for user in range(1, 10):
        await admit(app, user)
    await app.bus.handle(CloseCohortWindow(community_id=COMMUNITY))
    target = MessageTarget(channel_id="help", message_id="m1", author=erased.ref, reply_to=ref("y"))
    await platform.message_action(platform.actor("y"), "mark_helpful", target)
    async with app.uow_factory() as uow:  # rejected three days ago: the re-apply cooldown runs on
        uow_session = uow.session  # type: ignore[attr-defined]
        uow_session.add(
            ApplicationRow(
                community_id=COMMUNITY,
                member_id=erased.id,
                answers={"why": "hello"},
                status="rejected",
                submitted_at=clock.now() - timedelta(days=4),
                decided_at=clock.now() - timedelta(days=3),
                decided_by_id=other.id,
            )
        )
        await uow.commit()
    return erased, other


async def test_export_sends_the_member_their_own_rows(
    app: App, engine: AsyncEngine, platform: FakePlatform, clock: FixedClock
) -> None:
    erased, other = await _rich_member(app, engine, platform, clock)
    reply = await platform.slash(platform.actor("x"), "mydata export")
    assert isinstance(reply, Reply) and "on its way" in reply.text
    again = await platform.slash(platform.actor("x"), "mydata export")
    assert isinstance(again, Reply) and "less than an hour ago" in again.text
    await app.relay.run_once()
    (dm,) = [d for d in platform.notifier.dms_to(erased.ref) if d.attachment]
    assert dm.attachment_name == "townsquare-data.json"
    data = json.loads(dm.attachment)
    assert data["member_id"] == erased.id
    assert data["tables"]["member"] == [
        row for row in data["tables"]["member"] if row["id"] == erased.id
    ]  # their own member row, not the member they referred
    assert {"contribution", "badge_award", "cohort_member", "application", "referral_code"} <= set(
        data["tables"]
    )
    assert "redemption_attempt" not in data["tables"]  # anti-abuse counters are not exported
    # What they wrote or own, in full, not as counts: ideas (title, details), polls, series they host,
    # applications with their answers, RSVPs and votes.
    assert {"idea", "poll", "series", "rsvp", "idea_vote", "ballot", "question_vote"} <= set(data["tables"])
    ideas = data["tables"]["idea"]
    assert ideas and all(i["author_id"] == erased.id and i["title"] and i["details"] for i in ideas)
    assert all(p["created_by_id"] == erased.id and p["question"] for p in data["tables"]["poll"])
    assert {"answers": {"why": "hello"}} in [{"answers": a["answers"]} for a in data["tables"]["application"]]
    assert not [m for m in data["mentioned_in"] if m["table"] in {"idea", "poll", "series"}]
    assert {"table": "member", "column": "referred_by_id", "rows": 1} in data["mentioned_in"]
    assert other.id not in {row["member_id"] for row in data["tables"]["contribution"]}


async def test_erase_leaves_no_row_referring_to_the_member(
    app: App, engine: AsyncEngine, platform: FakePlatform, clock: FixedClock
) -> None:
    erased, other = await _rich_member(app, engine, platform, clock)
    prompt = await platform.slash(platform.actor("x"), "mydata erase")
    assert isinstance(prompt, Reply)
    erase_key = next(a.key for a in prompt.actions if a.key.startswith("mydata:erase:"))
    refused = await platform.press(platform.actor("y"), erase_key)  # someone else's button
    assert isinstance(refused, Reply) and "someone else's" in refused.text
    done = await platform.press(platform.actor("x"), erase_key)
    assert isinstance(done, Reply) and done.text.startswith("Erased") and "anonymous mark" in done.text

    assert await _references(engine, erased.id) == {}
    async with engine.connect() as conn:
        payloads = (await conn.execute(select(OutboxRow.payload))).scalars().all()
        remaining = (await conn.execute(select(MemberRow.id, MemberRow.referred_by_id))).all()
        marks = (await conn.execute(select(AnonymousMarkRow.reason, AnonymousMarkRow.subject_hash))).all()
    scrubber = Scrubber(erased.ref, ("userx",))
    texts = [json.dumps(p, ensure_ascii=False) for p in payloads]
    assert not [t for t in texts if scrubber.has_id(t) or '"x"' in t]
    assert not [t for t in texts if "userx" in t]
    assert (other.id, None) in remaining and erased.id not in {i for i, _ in remaining}
    assert [reason for reason, _ in marks] == [MarkReason.REAPPLY_COOLDOWN.value]
    assert erased.ref.user_id not in marks[0][1]
    async with app.uow_factory() as uow:
        now = clock.now()
        assert await uow.repo(PrivacyRepository).mark_until(
            COMMUNITY, ref("x"), MarkReason.REAPPLY_COOLDOWN, now
        )
        assert not await uow.repo(PrivacyRepository).mark_until(
            COMMUNITY, ref("y"), MarkReason.REAPPLY_COOLDOWN, now
        )
        assert not await uow.repo(PrivacyRepository).mark_until(
            COMMUNITY, ref("x"), MarkReason.REAPPLY_COOLDOWN, now + timedelta(days=28)
        )
    # Someone else's data is intact: their member row, their own contributions, their badge.
    assert await _references(engine, other.id)


async def test_erase_without_anything_to_keep_leaves_no_mark(
    app: App, engine: AsyncEngine, platform: FakePlatform
) -> None:
    await add_member(app, "x")
    prompt = await platform.slash(platform.actor("x"), "mydata erase")
    assert isinstance(prompt, Reply)
    keep = next(a.key for a in prompt.actions if a.key.startswith("mydata:keep:"))
    kept = await platform.press(platform.actor("x"), keep)
    assert isinstance(kept, Reply) and kept.text == "Nothing was erased."
    done = await platform.press(platform.actor("x"), prompt.actions[0].key)
    assert isinstance(done, Reply) and done.text.startswith("Erased") and "anonymous" not in done.text
    assert await _rows(engine, MemberRow.__table__) == 0
    assert await _rows(engine, AnonymousMarkRow.__table__) == 0
    nothing = await platform.slash(platform.actor("x"), "mydata export")
    assert isinstance(nothing, Reply) and "stores nothing" in nothing.text
    assert not platform.notifier.of_kind(DirectMessage)
