"""Erase leaves nothing: every table of the schema is seeded with rows that carry an erased member's id,
mention and names (walked from the metadata, not listed), the member erases their data, and every
text column, JSON value and key of every table is scanned for them."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, Integer, String, Table, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakePlatform
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.core.effects import DirectMessage, Effect, OpenPrivateSpace, PostMessage
from bot.core.members import Member
from bot.core.privacy.scrub import FORMER_MEMBER
from bot.core.refs import MemberRef
from bot.core.replies import Reply
from bot.core.text import mention
from storage.privacy.repository import declared_tables
from storage.privacy.scrub import NAMES_NOT_HERE, community_scope, is_key, text_columns
from storage.schema import metadata
from storage.tables import MemberRow
from storage.types import UTCDateTime
from tests.conftest import COMMUNITY
from tests.core.support import add_member

ERASED_ID = "U0ERASED42"
NAME = "Zéphyrine Quokka"  # non-ASCII: JSON stores it escaped, the scan must still find it
HANDLE = "zeph_quokka"
ERASED = MemberRef("fake", ERASED_ID)
OTHER = MemberRef("fake", "U0OTHER777")
TOKEN = mention(ERASED)
SENTENCE = f"Thanks to {NAME} ({TOKEN}, <@{ERASED_ID}>, @{HANDLE}) for idea 7"


def _fit(text: str, column: Any) -> str | None:
    length = getattr(column.type, "length", None)
    return text if length is None or len(text) <= length else None


def _text_seed(table: Table, column: Any, n: int) -> str:
    """What a text column of a surviving row carries: names only where free text may hold a name."""
    if (
        not is_key(column)
        and table.name not in NAMES_NOT_HERE
        and community_scope(table, COMMUNITY) is not None
    ):
        return _fit(SENTENCE, column) or _fit(f"{NAME} {ERASED_ID}", column) or f"v{n}"
    return _fit(f"k{n}:{ERASED_ID}:x", column) or _fit(ERASED_ID, column) or f"v{n}"[: column.type.length]


def _json_seed() -> dict[str, Any]:
    return {
        "text": SENTENCE,
        "credits": [NAME, "Someone Else"],
        "people": [
            {"platform": ERASED.platform, "user_id": ERASED_ID},
            {"platform": "fake", "user_id": "U0OTHER777"},
        ],
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
    raise AssertionError(f"no seed value for {column}: teach this test the new column type")


async def _seed_every_table(engine: AsyncEngine, erased: Member, other: Member, now: datetime) -> set[str]:
    """One surviving row per table (its `delete` member columns are someone else, its `nullify` ones
    the erased member), every text and JSON column carrying the erased member."""
    privacy = {t.name: p for t, p in declared_tables()}
    parents: dict[str, Any] = {}
    seeded: set[str] = set()
    async with engine.begin() as conn:
        for n, table in enumerate(metadata().sorted_tables, start=100):
            if table.name in {"community", "member"}:
                continue  # exist already; the member table gets its text below
            declared = privacy[table.name].columns if table.name in privacy else {}
            values: dict[str, Any] = {}
            for column in table.columns:
                fk = next(iter(column.foreign_keys), None)
                if fk is not None:
                    target = fk.column.table.name
                    if target == "member":
                        # undeclared member columns get the erased member too: erasure must deal with them
                        mine = declared.get(column.name, "nullify") == "nullify"
                        values[column.name] = erased.id if mine else other.id
                    elif target == "community":
                        values[column.name] = COMMUNITY
                    elif target in parents:
                        values[column.name] = parents[target]
                    elif not column.nullable:
                        raise AssertionError(f"{table.name}.{column.name}: no parent row to point at")
                elif isinstance(column.type, JSON):
                    values[column.name] = _json_seed()
                elif isinstance(column.type, String):
                    values[column.name] = _text_seed(table, column, n)
                elif column.primary_key and isinstance(column.type, Integer) and len(table.primary_key) == 1:
                    continue
                else:
                    values[column.name] = _value(column, n, now)
            result = await conn.execute(table.insert().values(**values).returning(*table.primary_key.columns))
            parents[table.name] = result.scalar_one()
            seeded.add(table.name)
        member = MemberRow.__table__
        await conn.execute(
            update(member).where(member.c.id == other.id).values(interests=f"pairs well with {TOKEN}")
        )
    return seeded


async def _outbox_items(app: App, now: datetime) -> None:
    """Real effects, pending and delivered: a report crediting the member, a DM to them, a space."""
    async with app.uow_factory() as uow:
        credits = PostMessage(COMMUNITY, "ideas", f"Ideas of the month: 'Dark mode' by {NAME}, {TOKEN}")
        dm = DirectMessage(COMMUNITY, ERASED, f"Hi {NAME}, your idea shipped")
        dm_other = DirectMessage(COMMUNITY, OTHER, f"{NAME} ({HANDLE}) voted for your idea")
        space = OpenPrivateSpace(COMMUNITY, "cohort:9", "Cohort 9", (ERASED, OTHER), topic=f"with {NAME}")
        effects: tuple[Effect, ...] = (credits, dm, dm_other, space)
        for i, effect in enumerate(effects):
            await uow.outbox.add(effect, platform="fake", now=now, dedupe_key=f"test:{ERASED_ID}:{i}")
        await uow.commit()


def _can_carry(table: Table) -> bool:
    """A table with a JSON column or a text column long enough for the member's id."""
    return any(
        isinstance(c.type, JSON) or (c in text_columns(table) and _fit(ERASED_ID, c) is not None)
        for c in table.columns
    ) and table.name not in {"community", "member"}


def member_columns(table: Table) -> list[Any]:
    """Columns that refer to a member: foreign keys to member.id, and member.id itself."""
    found = [c for c in table.columns if any(fk.target_fullname == "member.id" for fk in c.foreign_keys)]
    return [*found, table.c.id] if table.name == "member" else found


def _leftovers(value: Any) -> list[str]:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return [n for n in (ERASED_ID, TOKEN, NAME, HANDLE) if n.lower() in text.lower()]


async def _scan(engine: AsyncEngine, erased_id: int) -> list[str]:
    """Every place, in every table, where the erased member is still found."""
    found: list[str] = []
    async with engine.connect() as conn:
        for table in metadata().sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | JSON)]
            if not columns:
                continue
            for row in (await conn.execute(select(*columns))).all():
                for column in columns:
                    value = row._mapping[column.name]
                    if value is not None and (hits := _leftovers(value)):
                        found.append(f"{table.name}.{column.name}: {hits} in {value!r:.120}")
        for table in metadata().sorted_tables:  # every column pointing at a member, declared or not
            for column in member_columns(table):
                rows = (await conn.execute(select(table).where(column == erased_id))).all()
                if rows:
                    found.append(f"{table.name}.{column.name}: still the erased member's id")
    return found


async def test_erase_leaves_no_id_or_name_in_any_table_payload_or_key(
    app: App, engine: AsyncEngine, platform: FakePlatform, clock: FixedClock
) -> None:
    async with app.uow_factory() as uow:
        erased = await uow.members.upsert_seen(COMMUNITY, ERASED, clock.now(), display_name=NAME)
        await uow.commit()
    other = await add_member(app, "U0OTHER777")
    seeded = await _seed_every_table(engine, erased, other, clock.now())
    every = {t.name for t in metadata().sorted_tables} - {"community", "member"}
    assert seeded == every  # a new table is seeded (or this test says what it cannot seed)
    await _outbox_items(app, clock.now())
    before = await _scan(engine, erased.id)
    carriers = {t.name for t in metadata().sorted_tables if _can_carry(t)}
    assert {line.split(".")[0] for line in before} >= carriers | {
        "member"
    }  # the seed really put the member everywhere it could

    erasing = platform.actor(ERASED_ID, name=HANDLE)
    prompt = await platform.slash(erasing, "mydata erase")
    assert isinstance(prompt, Reply)
    done = await platform.press(erasing, prompt.actions[0].key)
    assert isinstance(done, Reply) and done.text.startswith("Erased")

    assert await _scan(engine, erased.id) == []
    async with engine.connect() as conn:
        payloads = [p for (p,) in (await conn.execute(select(metadata().tables["outbox"].c.payload))).all()]
    texts = [p.get("text", "") for p in payloads]
    assert not any(p.get("member") == {"platform": "fake", "user_id": ERASED_ID} for p in payloads)
    assert f"Ideas of the month: 'Dark mode' by {FORMER_MEMBER}, {FORMER_MEMBER}" in texts  # credits kept
    assert f"{FORMER_MEMBER} ({FORMER_MEMBER}) voted for your idea" in texts  # someone else's DM kept
    spaces = [p for p in payloads if p.get("kind") == "open_private_space"]
    assert [s["members"] for s in spaces] == [[{"platform": "fake", "user_id": "U0OTHER777"}]]


def test_every_id_column_is_a_key_the_schema_walk_can_follow() -> None:
    """A member reference without a foreign key would be invisible to erasure and to this scan."""
    hidden = [
        f"{t.name}.{c.name}"
        for t in metadata().sorted_tables
        for c in t.columns
        if c.name.endswith("_id") and isinstance(c.type, Integer) and not c.foreign_keys and not c.primary_key
    ]
    assert hidden == []
