"""The business connection in SQL: consent, signals, sync state, surfaced leads, window activity."""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    CTE,
    BigInteger,
    CompoundSelect,
    Result,
    Row,
    Select,
    String,
    and_,
    bindparam,
    cast,
    delete,
    func,
    literal,
    null,
    select,
    union_all,
    update,
)

from bot.core.business.ports import Consent, SyncCandidate
from bot.core.business.rules import Activity, SignalKind
from bot.core.members import MemberStatus
from bot.core.refs import MemberRef
from storage.business.tables import BusinessKeyRow, ConsentRow, SignalRow, SurfacedLeadRow, SyncStateRow
from storage.contributions.tables import ContributionRow
from storage.repository_base import SqlRepository, affected_rows, insert_ignore
from storage.tables import MemberRow
from storage.types import UTCDateTime

SIGNAL_REPEAT = timedelta(days=1)


_TEXT = String()
_BLANK_TEXT = cast(null(), _TEXT)


def _window(scope: CTE) -> list[Select[Any]]:
    """The window activity of the members in `scope` (a CTE with an `id` column) as tagged rows
    (tag, member, text, text, number, instant): their contributions in the window by kind and
    channel, their signals, and how many newcomers they referred."""
    community = bindparam("community_id", type_=String())
    since = bindparam("since", type_=UTCDateTime())
    in_scope = select(scope.c.id)
    contributions = (
        select(
            literal("c", _TEXT),
            ContributionRow.member_id,
            ContributionRow.kind,
            ContributionRow.channel_id,
            func.count(),
            func.max(ContributionRow.occurred_at),
        )
        .where(
            ContributionRow.community_id == community,
            ContributionRow.occurred_at >= since,
            ContributionRow.member_id.in_(in_scope),
        )
        .group_by(ContributionRow.member_id, ContributionRow.kind, ContributionRow.channel_id)
    )
    signals = select(
        literal("s", _TEXT), SignalRow.member_id, SignalRow.kind, SignalRow.topic, SignalRow.id, SignalRow.at
    ).where(SignalRow.community_id == community, SignalRow.at >= since, SignalRow.member_id.in_(in_scope))
    referrer = MemberRow.referred_by_id
    referrals = (
        select(
            literal("r", _TEXT), referrer, _BLANK_TEXT, _BLANK_TEXT, func.count(), cast(null(), UTCDateTime())
        )
        .where(
            MemberRow.community_id == community, referrer.in_(in_scope), MemberRow.admitted_at.is_not(None)
        )
        .group_by(referrer)
    )
    return [contributions, signals, referrals]


@cache
def _activity_statement(scoped: bool) -> CompoundSelect[Any]:
    """Window activity in one statement: the members asked about (all admitted ones, or those of a
    list of ids) as "m" rows beside their activity. Built once and bound at each execution, so
    SQLAlchemy finds its compiled form without walking it again."""
    members = select(MemberRow.id).where(
        MemberRow.community_id == bindparam("community_id", type_=String()),
        MemberRow.status == bindparam("admitted", type_=String()),
    )
    if scoped:
        members = members.where(MemberRow.id.in_(bindparam("ids", expanding=True)))
    scope = members.cte("asked")  # the (long) list of ids is bound once
    asked = select(
        literal("m", _TEXT),
        scope.c.id,
        _BLANK_TEXT,
        _BLANK_TEXT,
        cast(null(), BigInteger()),
        cast(null(), UTCDateTime()),
    )
    return union_all(*_window(scope), asked)


@cache
def _sync_statement(unsurfaced_only: bool) -> CompoundSelect[Any]:
    """What the hourly sync reads, in one statement: the admitted members with an active consent to
    a text version at least the one bound (only those not surfaced as CQLs yet, or all of them), as
    "m" rows (member, platform, user id, version, given at, display name, email, surfaced), beside
    their window activity (three blank columns more)."""
    community = bindparam("community_id", type_=String())
    lead = SurfacedLeadRow
    consenting = (
        select(
            ConsentRow.member_id.label("id"),
            MemberRow.platform,
            MemberRow.user_id,
            ConsentRow.version,
            ConsentRow.given_at,
            MemberRow.display_name,
            ConsentRow.email,
            lead.member_id.label("surfaced"),
        )
        .join(MemberRow, MemberRow.id == ConsentRow.member_id)
        .outerjoin(lead, and_(lead.member_id == ConsentRow.member_id, lead.community_id == community))
        .where(
            ConsentRow.community_id == community,
            ConsentRow.withdrawn_at.is_(None),
            ConsentRow.version >= bindparam("version"),
            MemberRow.status == bindparam("admitted", type_=String()),
        )
    )
    if unsurfaced_only:
        consenting = consenting.where(lead.member_id.is_(None))
    scope = consenting.cte("asked")
    blank = (_BLANK_TEXT, _BLANK_TEXT, cast(null(), BigInteger()))
    asked = select(
        literal("m", _TEXT),
        scope.c.id,
        scope.c.platform,
        scope.c.user_id,
        scope.c.version,
        scope.c.given_at,
        scope.c.display_name,
        scope.c.email,
        scope.c.surfaced,
    )
    return union_all(*(part.add_columns(*blank) for part in _window(scope)), asked)


class _Window:
    """Window activity gathered from the tagged rows of `_window`."""

    def __init__(self) -> None:
        self.kinds: dict[int, dict[str, int]] = defaultdict(dict)
        self.channels: dict[int, dict[str, int]] = defaultdict(dict)
        self.last: dict[int, datetime] = {}
        self.given: list[tuple[datetime, int, int, str, str]] = []  # (at, signal id, member, kind, topic)
        self.referrals_of: dict[int, int] = {}
        self._interests: dict[int, list[str]] = defaultdict(list)
        self._talk: set[int] = set()

    def add(self, tag: str, member_id: Any, first: Any, second: Any, number: Any, instant: Any) -> None:
        """One activity row ("c", "s" or "r")."""
        if tag == "c":
            self.kinds[member_id][first] = self.kinds[member_id].get(first, 0) + int(number)
            if second is not None:
                self.channels[member_id][second] = self.channels[member_id].get(second, 0) + int(number)
            self.last[member_id] = max(instant, self.last.get(member_id, instant))
        elif tag == "s":
            self.given.append((instant, int(number), member_id, first, second))
        elif tag == "r" and member_id is not None:
            self.referrals_of[member_id] = int(number)

    def done(self) -> None:
        """Every row is in: order the signals."""
        for _, _, member_id, kind, topic in sorted(self.given, reverse=True):  # newest first
            if kind == SignalKind.TALK_TO_TEAM.value:
                self._talk.add(member_id)
            elif topic not in self._interests[member_id]:
                self._interests[member_id].append(topic)

    def of(self, member_id: int) -> Activity:
        return Activity(
            member_id=member_id,
            kinds=self.kinds.get(member_id, {}),
            channels=self.channels.get(member_id, {}),
            interests=tuple(self._interests.get(member_id, ())),
            talk_to_team=member_id in self._talk,
            referrals=self.referrals_of.get(member_id, 0),
            last_active=self.last.get(member_id),
        )


class SqlBusinessRepository(SqlRepository):
    async def subject_key(self, community_id: str) -> str:
        key = await self.session.scalar(
            select(BusinessKeyRow.subject_key).where(BusinessKeyRow.community_id == community_id)
        )
        if key:
            return key
        await self.session.execute(
            insert_ignore(self.dialect, BusinessKeyRow.__table__).values(
                community_id=community_id, subject_key=secrets.token_hex(32)
            )
        )
        return await self.subject_key(community_id)

    # Plain columns rather than the two ORM rows: the hourly sync reads every consent.
    _CONSENT = (
        ConsentRow.member_id,
        MemberRow.platform,
        MemberRow.user_id,
        MemberRow.display_name,
        ConsentRow.version,
        ConsentRow.email,
        ConsentRow.given_at,
        ConsentRow.withdrawn_at,
    )

    @staticmethod
    def _consent(row: Row[Any]) -> Consent:
        member_id, platform, user_id, display_name, version, email, given_at, withdrawn_at = row
        return Consent(
            member_id=member_id,
            member=MemberRef(platform, user_id),
            display_name=display_name,
            version=version,
            email=email,
            given_at=given_at,
            withdrawn_at=withdrawn_at,
        )

    async def consent_of(self, member_id: int) -> Consent | None:
        found = (
            await self.session.execute(
                select(*self._CONSENT)
                .join(MemberRow, MemberRow.id == ConsentRow.member_id)
                .where(ConsentRow.member_id == member_id)
            )
        ).first()
        return self._consent(found) if found else None

    async def give_consent(
        self, community_id: str, member_id: int, version: int, email: str | None, now: datetime
    ) -> None:
        row = await self.session.scalar(select(ConsentRow).where(ConsentRow.member_id == member_id))
        if row is None:
            self.session.add(
                ConsentRow(
                    community_id=community_id, member_id=member_id, version=version, email=email, given_at=now
                )
            )
            return
        row.version, row.given_at, row.withdrawn_at = version, now, None
        if email is not None:
            row.email = email

    async def withdraw_consent(self, member_id: int, now: datetime) -> None:
        await self.session.execute(
            update(ConsentRow).where(ConsentRow.member_id == member_id).values(withdrawn_at=now, email=None)
        )

    async def consenting(self, community_id: str) -> list[Consent]:
        rows = await self.session.execute(
            select(*self._CONSENT)
            .join(MemberRow, MemberRow.id == ConsentRow.member_id)
            .where(
                ConsentRow.community_id == community_id,
                ConsentRow.withdrawn_at.is_(None),
                MemberRow.status == MemberStatus.ADMITTED.value,
            )
            .order_by(ConsentRow.member_id)
        )
        return [self._consent(row) for row in rows]

    async def add_signal(
        self, community_id: str, member_id: int, kind: str, topic: str, now: datetime
    ) -> bool:
        recent = await self.session.scalar(
            select(func.count()).where(
                SignalRow.member_id == member_id,
                SignalRow.kind == kind,
                SignalRow.topic == topic,
                SignalRow.at > now - SIGNAL_REPEAT,
            )
        )
        if recent:
            return False
        self.session.add(
            SignalRow(community_id=community_id, member_id=member_id, kind=kind, topic=topic, at=now)
        )
        return True

    async def activities(
        self, community_id: str, since: datetime, member_ids: Sequence[int] | None
    ) -> list[Activity]:
        params: dict[str, object] = {
            "community_id": community_id,
            "admitted": MemberStatus.ADMITTED.value,
            "since": since,
        }
        if member_ids is not None:
            params["ids"] = list(member_ids)
        ids: list[int] = []
        window = _Window()
        rows: Result[tuple[str, Any, Any, Any, Any, Any]] = await self.session.execute(
            _activity_statement(member_ids is not None), params
        )
        for tag, member_id, first, second, number, instant in rows.tuples():
            if tag == "m":
                ids.append(member_id)
            else:
                window.add(tag, member_id, first, second, number, instant)
        window.done()
        return [window.of(i) for i in ids]

    async def sync_candidates(
        self, community_id: str, version: int, since: datetime, *, unsurfaced_only: bool
    ) -> list[SyncCandidate]:
        params = {
            "community_id": community_id,
            "admitted": MemberStatus.ADMITTED.value,
            "version": version,
            "since": since,
        }
        asked: list[tuple[int, Consent, bool]] = []
        window = _Window()
        rows = await self.session.execute(_sync_statement(unsurfaced_only), params)
        for tag, member_id, first, second, number, instant, name, email, surfaced in rows.tuples():
            if tag == "m":
                consent = Consent(
                    member_id, MemberRef(first, second), name, int(number), email, instant, None
                )
                asked.append((member_id, consent, surfaced is not None))
            else:
                window.add(tag, member_id, first, second, number, instant)
        window.done()
        return [
            SyncCandidate(c, surfaced, window.of(i))
            for i, c, surfaced in sorted(asked, key=lambda item: item[0])
        ]

    async def synced_digests(self, community_id: str) -> dict[str, str]:
        rows = await self.session.execute(
            select(SyncStateRow.subject, SyncStateRow.digest).where(SyncStateRow.community_id == community_id)
        )
        return dict(rows.tuples().all())

    async def set_synced(
        self, community_id: str, subject: str, member_id: int, digest: str, now: datetime
    ) -> None:
        row = await self.session.get(SyncStateRow, (community_id, subject))
        if row is None:
            self.session.add(
                SyncStateRow(
                    community_id=community_id,
                    subject=subject,
                    member_id=member_id,
                    digest=digest,
                    synced_at=now,
                )
            )
        else:
            row.digest, row.synced_at, row.member_id = digest, now, member_id

    async def forget_synced(self, community_id: str, subject: str) -> bool:
        result = await self.session.execute(
            delete(SyncStateRow).where(
                SyncStateRow.community_id == community_id, SyncStateRow.subject == subject
            )
        )
        return affected_rows(result) > 0

    async def surfaced(self, community_id: str) -> set[int]:
        return set(
            await self.session.scalars(
                select(SurfacedLeadRow.member_id).where(SurfacedLeadRow.community_id == community_id)
            )
        )

    async def surface(self, community_id: str, member_id: int, score: float, now: datetime) -> None:
        await self.session.execute(
            insert_ignore(self.dialect, SurfacedLeadRow.__table__).values(
                community_id=community_id, member_id=member_id, score=score, surfaced_at=now
            )
        )

    async def new_leads(self, community_id: str, since: datetime) -> list[tuple[MemberRef, float]]:
        rows = await self.session.execute(
            select(MemberRow.platform, MemberRow.user_id, SurfacedLeadRow.score)
            .join(MemberRow, MemberRow.id == SurfacedLeadRow.member_id)
            .join(
                ConsentRow,
                and_(ConsentRow.member_id == SurfacedLeadRow.member_id, ConsentRow.withdrawn_at.is_(None)),
            )
            .where(SurfacedLeadRow.community_id == community_id, SurfacedLeadRow.surfaced_at >= since)
            .order_by(SurfacedLeadRow.score.desc(), SurfacedLeadRow.member_id)
        )
        return [(MemberRef(p, u), s) for p, u, s in rows.tuples()]
