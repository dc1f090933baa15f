"""Polls and ballots; councils and their nominees."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import Row, bindparam, delete, func, select, update

from bot.core.feedback.poll_rules import (
    Eligibility,
    NewOption,
    Person,
    Poll,
    PollKind,
    PollOption,
    PollStatus,
)
from bot.core.refs import MemberRef
from storage.feedback.tables import (
    BallotRow,
    CouncilMemberRow,
    CouncilNomineeRow,
    CouncilRow,
    MinutesRow,
    PollOptionRow,
    PollRow,
    PollTallyRow,
    PollVoterRow,
)
from storage.repository_base import SqlRepository, affected_rows, insert_ignore
from storage.tables import MemberRow
from storage.types import UTCDateTime

# Built once: the daily close reads it every day, mostly to find nothing.
_DUE = (
    select(PollRow.id)
    .where(
        PollRow.community_id == bindparam("community_id"),
        PollRow.status == PollStatus.OPEN.value,
        PollRow.closes_at <= bindparam("now", type_=UTCDateTime()),
    )
    .order_by(PollRow.closes_at, PollRow.id)
)


class SqlPollRepository(SqlRepository):
    async def create(
        self,
        community_id: str,
        *,
        question: str,
        kind: PollKind,
        eligibility: Eligibility,
        eligible_key: str | None,
        secret: bool,
        votes_per_member: int,
        channel: str,
        closes_at: datetime,
        options: Sequence[NewOption],
        created_by_id: int | None,
        now: datetime,
        seats: int | None = None,
        council_id: int | None = None,
    ) -> Poll:
        row = PollRow(
            community_id=community_id,
            question=question[:300],
            kind=kind.value,
            eligibility=eligibility.value,
            eligible_key=eligible_key,
            secret=secret,
            votes_per_member=votes_per_member,
            seats=seats,
            council_id=council_id,
            channel=channel,
            status=PollStatus.OPEN.value,
            created_by_id=created_by_id,
            created_at=now,
            closes_at=closes_at,
        )
        self.session.add(row)
        await self.session.flush()
        for position, option in enumerate(options, start=1):
            self.session.add(
                PollOptionRow(
                    poll_id=row.id,
                    position=position,
                    label=option.label[:120],
                    idea_id=option.idea_id,
                    member_id=option.member_id,
                )
            )
        await self.session.flush()
        poll = await self.get(community_id, row.id)
        assert poll is not None
        return poll

    async def get(self, community_id: str, poll_id: int) -> Poll | None:
        found = (
            await self.session.execute(
                select(PollRow, CouncilRow.name)
                .outerjoin(CouncilRow, CouncilRow.id == PollRow.council_id)
                .where(PollRow.id == poll_id, PollRow.community_id == community_id)
                .execution_options(populate_existing=True)
            )
        ).one_or_none()
        if found is None:
            return None
        row, council_name = found
        options = (
            await self.session.execute(
                select(PollOptionRow).where(PollOptionRow.poll_id == poll_id).order_by(PollOptionRow.position)
            )
        ).scalars()
        return Poll(
            id=row.id,
            community_id=row.community_id,
            question=row.question,
            kind=PollKind(row.kind),
            eligibility=Eligibility(row.eligibility),
            eligible_key=row.eligible_key,
            secret=row.secret,
            votes_per_member=row.votes_per_member,
            closes_at=row.closes_at,
            status=PollStatus(row.status),
            channel=row.channel,
            options=tuple(
                PollOption(
                    id=o.id, position=o.position, label=o.label, idea_id=o.idea_id, member_id=o.member_id
                )
                for o in options
            ),
            seats=row.seats,
            council_id=row.council_id,
            council_name=council_name,
        )

    async def hold_open(self, poll_id: int, now: datetime) -> bool:
        """True while the poll takes ballots; the row stays locked until commit, so a ballot and the
        closing of the poll never interleave (PostgreSQL; SQLite serialises writers)."""
        result = await self.session.execute(
            update(PollRow)
            .where(PollRow.id == poll_id, PollRow.status == PollStatus.OPEN.value, PollRow.closes_at > now)
            .values(last_ballot_at=now)
        )
        return bool(affected_rows(result))

    async def replace_ballot(
        self, poll_id: int, member_id: int, points: Mapping[int, int], now: datetime
    ) -> None:
        """The member's ballot becomes `points` (option id -> votes), whatever it was."""
        await self.session.execute(
            delete(BallotRow).where(BallotRow.poll_id == poll_id, BallotRow.member_id == member_id)
        )
        rows = [
            {
                "poll_id": poll_id,
                "member_id": member_id,
                "option_id": option_id,
                "points": votes,
                "cast_at": now,
            }
            for option_id, votes in sorted(points.items())
            if votes > 0
        ]
        if rows:
            await self.session.execute(insert_ignore(self.dialect, BallotRow.__table__).values(rows))

    async def record_secret(
        self, poll_id: int, member_id: int, points: Mapping[int, int], now: datetime
    ) -> bool:
        """A secret ballot: the member is marked as having voted, and the votes are added to the
        anonymous totals; no row holds both. False (and nothing counted) when they had voted."""
        marked = await self.session.execute(
            insert_ignore(self.dialect, PollVoterRow.__table__).values(
                poll_id=poll_id, member_id=member_id, voted_at=now
            )
        )
        if not affected_rows(marked):
            return False
        for option_id, votes in sorted(points.items()):
            if votes <= 0:
                continue
            await self.session.execute(
                insert_ignore(self.dialect, PollTallyRow.__table__).values(
                    poll_id=poll_id, option_id=option_id, points=0
                )
            )
            await self.session.execute(
                update(PollTallyRow)
                .where(PollTallyRow.poll_id == poll_id, PollTallyRow.option_id == option_id)
                .values(points=PollTallyRow.points + votes)
            )
        await self.session.execute(
            update(PollRow).where(PollRow.id == poll_id).values(ballots_cast=PollRow.ballots_cast + 1)
        )
        return True

    async def has_voted(self, poll_id: int, member_id: int) -> bool:
        found = await self.session.scalar(
            select(PollVoterRow.member_id).where(
                PollVoterRow.poll_id == poll_id, PollVoterRow.member_id == member_id
            )
        )
        return found is not None

    async def ballot_of(self, poll_id: int, member_id: int) -> dict[int, int]:
        rows = await self.session.execute(
            select(BallotRow.option_id, BallotRow.points).where(
                BallotRow.poll_id == poll_id, BallotRow.member_id == member_id
            )
        )
        return {int(o): int(p) for o, p in rows.all()}

    async def close(self, poll_id: int, now: datetime) -> bool:
        """open → closed, once: False when it was closed already (a second closing job)."""
        result = await self.session.execute(
            update(PollRow)
            .where(PollRow.id == poll_id, PollRow.status == PollStatus.OPEN.value)
            .values(status=PollStatus.CLOSED.value, closed_at=now)
        )
        return bool(affected_rows(result))

    async def tally(self, poll_id: int) -> tuple[dict[int, int], int]:
        """Points per option and the number of ballots."""
        rows = await self.session.execute(
            select(BallotRow.option_id, func.sum(BallotRow.points))
            .where(BallotRow.poll_id == poll_id)
            .group_by(BallotRow.option_id)
        )
        points = {int(o): int(p or 0) for o, p in rows.all()}
        ballots = await self.session.scalar(
            select(func.count(func.distinct(BallotRow.member_id))).where(BallotRow.poll_id == poll_id)
        )
        # Secret polls keep only anonymous totals (an open poll has none of these).
        for option_id, total in await self.session.execute(
            select(PollTallyRow.option_id, PollTallyRow.points).where(PollTallyRow.poll_id == poll_id)
        ):
            points[int(option_id)] = points.get(int(option_id), 0) + int(total)
        secret = await self.session.scalar(select(PollRow.ballots_cast).where(PollRow.id == poll_id))
        return points, int(ballots or 0) + int(secret or 0)

    async def voters_by_option(self, poll_id: int) -> dict[int, list[str]]:
        """Open ballots only: display names per option, earliest ballot first."""
        rows = await self.session.execute(
            select(BallotRow.option_id, MemberRow.display_name, MemberRow.user_id)
            .join(MemberRow, MemberRow.id == BallotRow.member_id)
            .where(BallotRow.poll_id == poll_id)
            .order_by(BallotRow.cast_at, BallotRow.member_id)
        )
        names: dict[int, list[str]] = {}
        for option_id, display_name, user_id in rows.all():
            names.setdefault(int(option_id), []).append(display_name or user_id)
        return names

    async def due(self, community_id: str, now: datetime) -> list[int]:
        rows = await self.session.execute(_DUE, {"community_id": community_id, "now": now})
        return [int(i) for i in rows.scalars()]

    async def open_polls(self, community_id: str) -> list[tuple[int, datetime]]:
        """(poll id, closing time) of every open poll: the scheduler rebuilds its jobs from these."""
        rows = await self.session.execute(
            select(PollRow.id, PollRow.closes_at)
            .where(PollRow.community_id == community_id, PollRow.status == PollStatus.OPEN.value)
            .order_by(PollRow.closes_at)
        )
        return [(int(i), at) for i, at in rows.all()]


def _people(rows: Sequence[Row[tuple[int, str, str, str]]]) -> list[Person]:
    return [Person(member_id=m, ref=MemberRef(p, u), display_name=n) for m, p, u, n in rows]


class SqlCouncilRepository(SqlRepository):
    async def ensure(self, community_id: str, name: str, now: datetime) -> int:
        await self.session.execute(
            insert_ignore(self.dialect, CouncilRow.__table__).values(
                community_id=community_id, name=name, created_at=now
            )
        )
        found = await self.find(community_id, name)
        assert found is not None
        return found

    async def find(self, community_id: str, name: str) -> int | None:
        found = await self.session.scalar(
            select(CouncilRow.id).where(CouncilRow.community_id == community_id, CouncilRow.name == name)
        )
        return found

    async def add_member(
        self, council_id: int, member_id: int, now: datetime, term_ends_at: datetime | None = None
    ) -> bool:
        result = await self.session.execute(
            insert_ignore(self.dialect, CouncilMemberRow.__table__).values(
                council_id=council_id, member_id=member_id, added_at=now, term_ends_at=term_ends_at
            )
        )
        return bool(affected_rows(result))

    async def add_minutes(self, council_id: int, by_id: int | None, now: datetime) -> None:
        self.session.add(MinutesRow(council_id=council_id, posted_by_id=by_id, posted_at=now))

    async def remove_member(self, council_id: int, member_id: int) -> bool:
        result = await self.session.execute(
            delete(CouncilMemberRow).where(
                CouncilMemberRow.council_id == council_id, CouncilMemberRow.member_id == member_id
            )
        )
        return bool(affected_rows(result))

    async def members(self, council_id: int) -> list[Person]:
        rows = await self.session.execute(
            select(MemberRow.id, MemberRow.platform, MemberRow.user_id, MemberRow.display_name)
            .join(CouncilMemberRow, CouncilMemberRow.member_id == MemberRow.id)
            .where(CouncilMemberRow.council_id == council_id)
            .order_by(CouncilMemberRow.added_at, MemberRow.id)
        )
        return _people(rows.all())

    async def is_member(self, community_id: str, name: str, member_id: int) -> bool:
        found = await self.session.scalar(
            select(CouncilMemberRow.member_id)
            .join(CouncilRow, CouncilRow.id == CouncilMemberRow.council_id)
            .where(
                CouncilRow.community_id == community_id,
                CouncilRow.name == name,
                CouncilMemberRow.member_id == member_id,
            )
        )
        return found is not None

    async def replace_members(
        self, council_id: int, member_ids: Sequence[int], now: datetime, term_ends_at: datetime | None = None
    ) -> None:
        """The council becomes exactly these members (an election's outcome), with their term."""
        await self.session.execute(delete(CouncilMemberRow).where(CouncilMemberRow.council_id == council_id))
        for member_id in member_ids:
            await self.add_member(council_id, member_id, now)
        if term_ends_at is not None:
            await self.session.execute(
                update(CouncilMemberRow)
                .where(CouncilMemberRow.council_id == council_id)
                .values(term_ends_at=term_ends_at)
            )

    async def term_end(self, council_id: int) -> datetime | None:
        return await self.session.scalar(
            select(func.max(CouncilMemberRow.term_ends_at)).where(CouncilMemberRow.council_id == council_id)
        )

    async def nominate(self, council_id: int, member_id: int, by_id: int | None, now: datetime) -> bool:
        result = await self.session.execute(
            insert_ignore(self.dialect, CouncilNomineeRow.__table__).values(
                council_id=council_id, member_id=member_id, nominated_by_id=by_id, nominated_at=now
            )
        )
        return bool(affected_rows(result))

    async def nominees(self, council_id: int) -> list[Person]:
        rows = await self.session.execute(
            select(MemberRow.id, MemberRow.platform, MemberRow.user_id, MemberRow.display_name)
            .join(CouncilNomineeRow, CouncilNomineeRow.member_id == MemberRow.id)
            .where(CouncilNomineeRow.council_id == council_id)
            .order_by(CouncilNomineeRow.nominated_at, MemberRow.id)
        )
        return _people(rows.all())

    async def clear_nominees(self, council_id: int) -> None:
        await self.session.execute(
            delete(CouncilNomineeRow).where(CouncilNomineeRow.council_id == council_id)
        )
