"""A member's data: export and erasure, driven by each table's `__privacy__` declaration.

Nothing here names a feature's table: a new table is covered as soon as it declares its member
columns (tests/storage/test_privacy.py makes sure every table does).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, Table, bindparam, delete, exists, func, or_, select, update

from bot.core.gates.application_rules import ApplicationStatus
from bot.core.members import Member
from bot.core.privacy.rules import AnonymousMark, MarkReason, subject_hash
from bot.core.privacy.scrub import Scrubber
from bot.core.refs import MemberRef
from storage.gates.tables import ApplicationRow
from storage.members import forget
from storage.privacy.marks import mark_of, with_live_marks
from storage.privacy.scrub import Sweep
from storage.privacy.tables import AnonymousMarkRow
from storage.privacy_declaration import Privacy
from storage.repository_base import SqlRepository, affected_rows, upsert
from storage.tables import Base, CommunityRow, MemberRow

REJECTED = ApplicationStatus.REJECTED.value  # the gate's cooldown follows a rejection


def declared_tables() -> list[tuple[Table, Privacy]]:
    """Every table with member columns, children before parents, the member table last."""
    privacy = {m.class_.__table__.name: m.class_.__privacy__ for m in Base.registry.mappers}
    tables = [t for t in reversed(Base.metadata.sorted_tables) if privacy.get(t.name, Privacy()).columns]
    return [(t, privacy[t.name]) for t in tables]


def _json_ready(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


MEMBER_ID = bindparam("member_id", type_=Integer)

_LIVE_MARKS = with_live_marks()  # built once


def export_queries() -> tuple[Select[Any], dict[str, tuple[Table, Select[Any]]], dict[str, tuple[str, str]]]:
    """The export's statements, made again only when a table was mapped since (see _export_queries)."""
    return _export_queries(len(Base.registry.mappers))


@cache
def _export_queries(
    _mapped: int,
) -> tuple[Select[Any], dict[str, tuple[Table, Select[Any]]], dict[str, tuple[str, str]]]:
    """Built once: a probe (one statement: which tables hold the member's own rows, and how many of
    others' rows mention them), then each table's select of the member's own rows, by probe label."""
    probes: list[Any] = []
    reads: dict[str, tuple[Table, Select[Any]]] = {}
    counts: dict[str, tuple[str, str]] = {}
    for i, (table, privacy) in enumerate(declared_tables()):
        # the member's own rows: theirs ("delete"), or rows they wrote or own ("authored")
        own = [
            table.c[c] == MEMBER_ID
            for c, policy in privacy.columns.items()
            if policy == "delete" or c in privacy.authored
        ]
        if own and privacy.export:
            reads[f"t{i}"] = (table, select(table).where(or_(*own)))
            probes.append(exists().select_from(table).where(or_(*own)).label(f"t{i}"))
        # Someone else's record that mentions the member: say it exists, do not hand over its content.
        for j, column in enumerate(
            c for c, policy in privacy.columns.items() if policy == "nullify" and c not in privacy.authored
        ):
            counts[f"c{i}_{j}"] = (table.name, column)
            mentions = select(func.count()).select_from(table).where(table.c[column] == MEMBER_ID)
            probes.append(mentions.scalar_subquery().label(f"c{i}_{j}"))
    return select(*probes), reads, counts


class SqlPrivacyRepository(SqlRepository):
    async def export(self, member_id: int) -> dict[str, Any]:
        probe, reads, counts = export_queries()
        found = (await self.session.execute(probe, {"member_id": member_id})).one()._mapping
        tables: dict[str, list[dict[str, Any]]] = {}
        for label, (table, query) in reads.items():
            if found[label]:  # only the tables that hold some: one statement each
                rows = await self.session.execute(query, {"member_id": member_id})
                tables[table.name] = [{k: _json_ready(v) for k, v in row._mapping.items()} for row in rows]
        mentioned = [
            {"table": name, "column": column, "rows": int(found[label])}
            for label, (name, column) in counts.items()
            if found[label]
        ]
        return {"tables": tables, "mentioned_in": mentioned}

    async def erase(
        self, member: Member, marks: Sequence[AnonymousMark], now: datetime, names: Sequence[str] = ()
    ) -> dict[str, int]:
        touched: dict[str, int] = {}
        member_table = MemberRow.__table__
        for table, privacy in declared_tables():
            for column, policy in privacy.columns.items():
                if table is member_table and column == "id":
                    continue  # the member row goes last, once nothing points at it
                where = table.c[column] == member.id
                stmt = (
                    update(table).where(where).values({column: None})
                    if policy == "nullify"
                    else delete(table).where(where)
                )
                result = await self.session.execute(stmt, execution_options={"synchronize_session": False})
                if affected_rows(result):
                    touched[table.name] = touched.get(table.name, 0) + int(affected_rows(result))
        await self.session.execute(
            delete(member_table).where(member_table.c.id == member.id),
            execution_options={"synchronize_session": False},
        )
        touched["member"] = touched.get("member", 0) + 1
        salt = await self._salt(member.community_id, create=True)
        scrubber = Scrubber(member.ref, (member.display_name, *names), salt)
        for name, rows in (await Sweep(self.session, scrubber, member.community_id).run()).items():
            touched[name] = touched.get(name, 0) + rows
        if marks:
            await self._keep_marks(member, marks, now)
        forget(self.session)  # member rows were deleted and changed by Core statements
        return {k: v for k, v in touched.items() if v}

    async def _salt(self, community_id: str, *, create: bool) -> str:
        salt = await self.session.scalar(
            select(CommunityRow.privacy_salt).where(CommunityRow.id == community_id)
        )
        if salt or not create:
            return salt or ""
        await self.session.execute(
            update(CommunityRow)
            .where(CommunityRow.id == community_id, CommunityRow.privacy_salt == "")
            .values(privacy_salt=secrets.token_hex(16)),
            execution_options={"synchronize_session": False},
        )
        return await self._salt(community_id, create=False)

    async def _keep_marks(self, member: Member, marks: Sequence[AnonymousMark], now: datetime) -> None:
        salt = await self._salt(member.community_id, create=False)
        table = AnonymousMarkRow.__table__
        stmt = upsert(self.dialect, table)
        stmt = stmt.on_conflict_do_update(
            index_elements=["community_id", "subject_hash", "reason"], set_={"until": stmt.excluded.until}
        )
        await self.session.execute(
            stmt,
            [
                {
                    "community_id": member.community_id,
                    "subject_hash": subject_hash(salt, member.ref),
                    "reason": mark.reason.value,
                    "until": mark.until,
                    "created_at": now,
                }
                for mark in marks
            ],
        )

    async def mark_until(
        self, community_id: str, ref: MemberRef, reason: MarkReason, now: datetime
    ) -> datetime | None:
        rows = await self.session.execute(
            _LIVE_MARKS, {"community_id": community_id, "reason": reason.value, "now": now}
        )
        return mark_of(rows, ref)

    async def last_rejection_at(self, member_id: int) -> datetime | None:
        return await self.session.scalar(
            select(func.max(ApplicationRow.decided_at)).where(
                ApplicationRow.member_id == member_id, ApplicationRow.status == REJECTED
            )
        )
