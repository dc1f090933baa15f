"""Erasure's sweep of stored text: every text and JSON column of every table, found from the schema.

No table is listed here: a new table's columns are swept as soon as its module is loaded
(storage/schema.py). Per column, by what the schema says it is:

- a key (primary key, unique, `*_id`/`*key` names, or shorter than 40 characters): a value carrying the
  member's id is replaced by a keyed hash (it still dedupes, but says nothing);
- free text (40+ characters or unbounded): the member's mention, id and names become "a former member";
- JSON: the same in every string, and the member is dropped from lists of people; an outbox item that
  addresses the member (a DM, a role grant, a referral invite) is deleted.

Names are only looked for within the member's own community (a table is tied to it through its
`community_id`, or through the foreign keys of its parents); in the member and community tables a
name belongs to someone (or something) else and is left alone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, ColumnElement, String, Table, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.privacy.scrub import Scrubber
from storage.schema import metadata

FREE_TEXT_MIN = 40  # shorter columns hold codes and statuses, never a sentence
NAMES_NOT_HERE = {"member", "community"}  # identities of others: the same name is someone else's
ADDRESS_FIELDS = ("member", "referrer", "target")  # an effect aimed at the member is theirs: deleted
PEOPLE_FIELDS = ("members",)  # an effect for several people loses the member; with none left it goes
BINARY_FIELDS = frozenset({"image_png", "attachment"})  # not text (retention drops them after delivery)


def community_scope(table: Table, community_id: str, depth: int = 0) -> ColumnElement[bool] | None:
    """A condition keeping the rows of `table` that belong to the community, through its parents."""
    if "community_id" in table.c:
        return table.c.community_id == community_id
    if depth > 4:
        return None
    for fk in sorted(table.foreign_keys, key=lambda f: f.parent.name):
        parent = fk.column.table
        if not isinstance(parent, Table) or parent.name == "member" or parent is table:
            continue
        inner = community_scope(parent, community_id, depth + 1)
        if inner is not None:
            return table.c[fk.parent.name].in_(select(fk.column).where(inner))
    return None


def is_key(column: Column[Any]) -> bool:
    """Columns whose value must stay unique or machine-readable: hashed, never reworded."""
    table = column.table
    unique = any(
        column.name in {c.name for c in getattr(constraint, "columns", ())}
        for constraint in table.constraints
        if type(constraint).__name__ == "UniqueConstraint"
    )
    length = getattr(column.type, "length", None)
    return bool(
        column.primary_key
        or column.unique
        or unique
        or column.name.endswith(("_id", "key", "_hash"))
        or (length is not None and length < FREE_TEXT_MIN)
    )


def text_columns(table: Table) -> list[Column[Any]]:
    """The String/Text columns of a table that are not foreign keys."""
    return [c for c in table.columns if isinstance(c.type, String) and not c.foreign_keys]


def json_columns(table: Table) -> list[Column[Any]]:
    return [c for c in table.columns if isinstance(c.type, JSON)]


def addresses(payload: Any, scrubber: Scrubber) -> bool:
    """True for an outbox effect aimed at the member, or for several people of whom they were the last."""
    if not isinstance(payload, dict):
        return False
    if any(scrubber.is_ref(payload.get(f)) for f in ADDRESS_FIELDS):
        return True
    for f in PEOPLE_FIELDS:
        people = payload.get(f)
        if isinstance(people, list) and people and all(scrubber.is_ref(p) for p in people):
            return True
    return False


def scrub_json(value: Any, scrubber: Scrubber, *, names: bool) -> Any:
    """A stored JSON value with the member neutralised in every string and dropped from lists."""
    if isinstance(value, dict):
        return {
            k: v if k in BINARY_FIELDS else scrub_json(v, scrubber, names=names) for k, v in value.items()
        }
    if isinstance(value, list):
        return [scrub_json(v, scrubber, names=names) for v in value if not scrubber.is_ref(v)]
    if isinstance(value, str):
        return scrubber.text(value, names=names)
    return value


class Sweep:
    """One erasure's pass over every table; counts the rows it rewrote or (outbox) deleted."""

    def __init__(self, session: AsyncSession, scrubber: Scrubber, community_id: str) -> None:
        self.session = session
        self.scrubber = scrubber
        self.community_id = community_id
        self.touched: dict[str, int] = {}

    async def run(self) -> dict[str, int]:
        """Sweep every table of the schema."""
        for table in metadata().sorted_tables:
            scope = community_scope(table, self.community_id)
            names = scope is not None and table.name not in NAMES_NOT_HERE
            for column in text_columns(table):
                await self._text_column(table, column, scope, names=names)
            for column in json_columns(table):
                await self._json_column(table, column, scope, names=names)
        return {k: v for k, v in self.touched.items() if v}

    def _count(self, table: Table, n: int = 1) -> None:
        self.touched[table.name] = self.touched.get(table.name, 0) + n

    def _where_pk(self, table: Table, row: Any) -> ColumnElement[bool]:
        return and_(*(c == row._mapping[c.name] for c in table.primary_key.columns))

    async def _text_column(
        self, table: Table, column: Column[Any], scope: ColumnElement[bool] | None, *, names: bool
    ) -> None:
        key = is_key(column)
        needles = self.scrubber.needles if names and not key else self.scrubber.id_needles
        if not needles:
            return
        found = or_(
            *(
                or_(
                    column.contains(n, autoescape=True),
                    func.lower(column).contains(n.lower(), autoescape=True),
                )
                for n in needles
            )
        )
        where = found if scope is None else and_(scope, found)
        rows = (await self.session.execute(select(*table.primary_key.columns, column).where(where))).all()
        length = getattr(column.type, "length", None)
        for row in rows:
            old = row._mapping[column.name]
            if key:
                new = self.scrubber.key(old, min(length or 40, 40))
            else:
                new = self.scrubber.text(old, names=names)[: length or None]
            if new != old:
                await self._update(table, row, {column.name: new})

    async def _json_column(
        self, table: Table, column: Column[Any], scope: ColumnElement[bool] | None, *, names: bool
    ) -> None:
        query = select(*table.primary_key.columns, column)
        if scope is not None:
            query = query.where(scope)
        # Python reads every value: JSON escapes non-ASCII names, so no SQL pattern finds them reliably.
        for row in (await self.session.execute(query)).all():
            old = row._mapping[column.name]
            if table.name == "outbox" and addresses(old, self.scrubber):
                await self.session.execute(
                    delete(table).where(self._where_pk(table, row)),
                    execution_options={"synchronize_session": False},
                )
                self._count(table)
                continue
            new = scrub_json(old, self.scrubber, names=names)
            if new != old:
                await self._update(table, row, {column.name: new})

    async def _update(self, table: Table, row: Any, values: dict[str, Any]) -> None:
        await self.session.execute(
            update(table).where(self._where_pk(table, row)).values(values),
            execution_options={"synchronize_session": False},
        )
        self._count(table)
