"""The window activity of members in SQL (what the CQL score reads): their contributions in the
window by kind and channel, their signals and their admitted referrals, in one statement per read."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    CTE,
    BigInteger,
    CompoundSelect,
    Select,
    String,
    and_,
    bindparam,
    cast,
    false,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)

from bot.core.business.rules import Activity, SignalKind
from storage.business.tables import ConsentRow, SignalRow, SurfacedLeadRow
from storage.contributions.tables import ContributionRow
from storage.tables import MemberRow
from storage.types import UTCDateTime

_TEXT = String()
_BLANK_TEXT = cast(null(), _TEXT)


def _window(scope: CTE, *, few: bool = False, scored: tuple[int, int] | None = None) -> list[Select[Any]]:
    """The window activity of the members in `scope` (a CTE with an `id` column) as tagged rows
    (tag, member, text, text, number, instant): their contributions in the window by kind and
    channel, their signals, and how many newcomers they referred.

    With `few` (the consenting members: a small part of the community), contributions and signals
    are looked up by member: they are asked for by member alone, the members in scope being the
    community's and so their contributions and signals. Asked for by community too, SQLite scans the
    whole community's window instead (measured on the demo's last hour: 1.5 ms against 0.08 ms).
    With `scored` (n, m), only what the CQL score reads: contributions in one of n bound channels
    (`channel0`…) or of one of m bound kinds (`kind0`…) (every row of such a channel or kind, so its
    count is whole), signals, and no referrals. The policy's channels and kinds are bound one
    parameter each rather than as expanding lists, which SQLAlchemy would render anew at every
    execution (the hourly sync runs this one)."""
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
            *([] if few else [ContributionRow.community_id == community]),
            ContributionRow.occurred_at >= since,
            ContributionRow.member_id.in_(in_scope),
        )
        .group_by(ContributionRow.member_id, ContributionRow.kind, ContributionRow.channel_id)
    )
    if scored is not None:
        channels, kinds = scored
        # IN lists even of one: SQLite runs `channel_id IN (?) OR kind IN (?)` about three times
        # faster than the same test written with `=` (measured on the demo's database).
        wanted = [
            column.in_([bindparam(f"{name}{i}", type_=_TEXT) for i in range(count)])
            for column, name, count in (
                (ContributionRow.channel_id, "channel", channels),
                (ContributionRow.kind, "kind", kinds),
            )
            if count
        ]
        contributions = contributions.where(or_(*wanted) if wanted else false())
    signals = select(
        literal("s", _TEXT), SignalRow.member_id, SignalRow.kind, SignalRow.topic, SignalRow.id, SignalRow.at
    ).where(
        *([] if few else [SignalRow.community_id == community]),
        SignalRow.at >= since,
        SignalRow.member_id.in_(in_scope),
    )
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
    return [contributions, signals] if scored is not None else [contributions, signals, referrals]


@cache
def activity_statement(scoped: bool) -> CompoundSelect[Any]:
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


def _consenting(unsurfaced_only: bool) -> Select[Any]:
    """The admitted members with an active consent to a text version at least the one bound (only
    those not surfaced as CQLs yet, or all of them), with what the sync sends of them."""
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
    return consenting


@cache
def sync_statement() -> CompoundSelect[Any]:
    """What the hourly sync reads when it sends, in one statement: the consenting members
    (`_consenting`, surfaced or not) as "m" rows (member, platform, user id, version, given at,
    display name, email, surfaced), beside their window activity (three blank columns more)."""
    scope = _consenting(unsurfaced_only=False).cte("asked")
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
    return union_all(*(part.add_columns(*blank) for part in _window(scope, few=True)), asked)


@cache
def lead_statement(channels: int, kinds: int) -> CompoundSelect[Any]:
    """What the hourly sync reads when it sends nothing, so that only new CQLs matter: the window
    rows the CQL score reads (`_window`, scored by `channels` channels and `kinds` kinds) of the
    consenting members not surfaced yet. A member without such rows scores 0 and has none here."""
    scope = _consenting(unsurfaced_only=True).cte("asked")
    return union_all(*_window(scope, few=True, scored=(channels, kinds)))


class Window:
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

    def members(self) -> list[int]:
        """The members with a contribution or a signal here, in id order."""
        return sorted(set(self.kinds) | {member_id for _, _, member_id, _, _ in self.given})

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
