"""Ideas: statuses and their transitions, votes, similar titles, credits and roadmap order.

Pure rules; storage maps rows to these dataclasses. Title similarity uses rapidfuzz (a pure
string-matching library, no I/O), so the core can rank candidates without a port.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from rapidfuzz import fuzz, process, utils

from bot.core.hygiene import one_line
from bot.core.refs import MemberRef

TITLE_MAX = 100
DETAILS_MAX = 1000
AREA_MAX = 30
# Two presses this close together are one double click, not "vote, then withdraw": platforms
# deliver both, and a member who double-clicks means to vote.
DOUBLE_PRESS = timedelta(seconds=3)


class IdeaStatus(StrEnum):
    """Where an idea stands."""

    NEW = "new"
    UNDER_REVIEW = "under_review"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    SHIPPED = "shipped"
    DECLINED = "declined"
    MERGED = "merged"

    @property
    def label(self) -> str:
        """How the status reads to members ("In progress")."""
        return self.value.replace("_", " ").capitalize()

    @property
    def is_open(self) -> bool:
        """Open ideas take votes and are offered as similar ideas."""
        return self in OPEN


OPEN = frozenset({IdeaStatus.NEW, IdeaStatus.UNDER_REVIEW, IdeaStatus.PLANNED, IdeaStatus.IN_PROGRESS})
# Statuses a lead can set with /ideas status or the buttons (merging has its own command).
SETTABLE = (
    IdeaStatus.UNDER_REVIEW,
    IdeaStatus.PLANNED,
    IdeaStatus.IN_PROGRESS,
    IdeaStatus.SHIPPED,
    IdeaStatus.DECLINED,
)


def transition_problem(old: IdeaStatus, new: IdeaStatus) -> str | None:
    """Why a lead cannot move an idea from `old` to `new`, or None when the move is allowed."""
    if old is new:
        return f"The idea is already {old.label.lower()}."
    if new not in SETTABLE:
        return "Set one of: " + ", ".join(s.value for s in SETTABLE) + " (use /ideas merge to merge)."
    if old is IdeaStatus.SHIPPED:
        return "The idea has shipped; file a new idea for a follow-up."
    if old is IdeaStatus.MERGED:
        return "The idea was merged into another one; change that idea instead."
    if old is IdeaStatus.DECLINED and new not in (IdeaStatus.UNDER_REVIEW, IdeaStatus.PLANNED):
        return "A declined idea can be reconsidered (under_review) or planned first."
    return None


@dataclass(frozen=True)
class Idea:
    """An idea as the core sees it."""

    id: int
    community_id: str
    author_id: int | None
    title: str
    details: str
    area: str | None
    status: IdeaStatus
    votes: int
    created_at: datetime
    status_reason: str | None = None
    merged_into_id: int | None = None
    shipped_at: datetime | None = None

    @property
    def message_key(self) -> str:
        """The key of its post in the ideas channel (edited in place as votes and status change)."""
        return message_key(self.id)


def message_key(idea_id: int) -> str:
    """The outbox message key of an idea's post."""
    return f"idea:{idea_id}"


@dataclass(frozen=True)
class Voter:
    """A member who voted, with what crediting and notifying them needs."""

    member_id: int
    ref: MemberRef
    display_name: str
    voted_at: datetime
    admitted: bool = True


@dataclass(frozen=True)
class Draft:
    """An idea kept aside while its author looks at similar ones."""

    id: int
    member_id: int
    title: str
    details: str
    area: str | None


@dataclass(frozen=True)
class Similar:
    """An open idea whose title resembles a new one."""

    idea_id: int
    title: str
    score: float


def similar_ideas(title: str, open_titles: Mapping[int, str], *, limit: int, cutoff: int) -> list[Similar]:
    """Up to `limit` open ideas whose titles score at least `cutoff` (0-100) against `title`, best first.

    WRatio weighs whole-string, partial and token-order similarity, so "CSV export" finds
    "Export to CSV" and "dark theme" finds "Add a dark theme".
    """
    if limit <= 0 or not open_titles:
        return []
    found = process.extract(
        title,
        dict(open_titles),
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        limit=limit,
        score_cutoff=cutoff,
    )
    ranked = sorted(found, key=lambda hit: (-hit[1], hit[2]))
    return [Similar(idea_id=int(key), title=choice, score=round(score, 1)) for choice, score, key in ranked]


class Press(StrEnum):
    """What pressing Upvote did."""

    ADDED = "added"
    WITHDRAWN = "withdrawn"
    KEPT = "kept"  # a double click: the vote stays


def press_outcome(voted_at: datetime | None, now: datetime) -> Press:
    """Upvote toggles: no vote → vote; a vote → withdrawn, unless it is seconds old (a double click)."""
    if voted_at is None:
        return Press.ADDED
    if now - voted_at < DOUBLE_PRESS:
        return Press.KEPT
    return Press.WITHDRAWN


def credited_voters(voters: Sequence[Voter], author_id: int | None, limit: int) -> tuple[Voter, ...]:
    """The first `limit` voters by vote time (the ones who asked first), never the author, members only."""
    ordered = sorted(voters, key=lambda v: (v.voted_at, v.member_id))
    return tuple(v for v in ordered if v.member_id != author_id and v.admitted)[:limit]


def vote_weight(badges: Iterable[str], weights: Mapping[str, float]) -> float:
    """A voter's weight on the roadmap: the highest weight among their tier badges, else 1."""
    return max((weights[b] for b in badges if b in weights), default=1.0)


@dataclass(frozen=True)
class RoadmapEntry:
    """One idea on the roadmap with its (possibly weighted) score."""

    idea: Idea
    score: float


def roadmap(entries: Iterable[RoadmapEntry]) -> dict[IdeaStatus, list[RoadmapEntry]]:
    """Planned, in progress and shipped ideas, each list ordered by score, then votes, then age."""
    columns: dict[IdeaStatus, list[RoadmapEntry]] = {
        IdeaStatus.IN_PROGRESS: [],
        IdeaStatus.PLANNED: [],
        IdeaStatus.SHIPPED: [],
    }
    for entry in entries:
        if entry.idea.status in columns:
            columns[entry.idea.status].append(entry)
    for items in columns.values():
        items.sort(key=lambda e: (-e.score, -e.idea.votes, e.idea.created_at, e.idea.id))
    return columns


def normalise_area(area: str | None, allowed: Sequence[str]) -> str | None:
    """The area tag as stored (lower case), None when blank; ValueError names the allowed ones."""
    cleaned = one_line(area or "").lower()
    if not cleaned:
        return None
    if allowed and cleaned not in allowed:
        raise ValueError(f"Pick an area from: {', '.join(allowed)} (or leave it empty).")
    if len(cleaned) > AREA_MAX:
        raise ValueError(f"Keep the area tag to {AREA_MAX} characters.")
    return cleaned


@dataclass(frozen=True)
class Notice:
    """A status change waiting to be told to one member (batched into one DM a day)."""

    id: int
    member_id: int
    member: MemberRef
    admitted: bool
    idea_id: int
    idea_title: str
    old: IdeaStatus
    new: IdeaStatus
    at: datetime
    reason: str | None = None
    merged_into_id: int | None = None
    merged_into_title: str | None = None


def by_member(notices: Iterable[Notice]) -> dict[int, list[Notice]]:
    """Pending notices grouped per member, each member's in the order the changes happened."""
    grouped: dict[int, list[Notice]] = {}
    for notice in sorted(notices, key=lambda n: (n.member_id, n.at, n.id)):
        grouped.setdefault(notice.member_id, []).append(notice)
    return grouped


@dataclass(frozen=True)
class IdeaUpdate:
    """Where one idea went over a batch of changes: first status before, last status after."""

    idea_id: int
    title: str
    was: IdeaStatus
    now: IdeaStatus
    reason: str | None
    merged_into_id: int | None
    merged_into_title: str | None


def collapse(notices: Sequence[Notice]) -> list[IdeaUpdate]:
    """One line per idea: an idea planned then started in the same day reads "new → in progress"."""
    updates: dict[int, IdeaUpdate] = {}
    for n in sorted(notices, key=lambda n: (n.at, n.id)):
        first = updates.get(n.idea_id)
        updates[n.idea_id] = IdeaUpdate(
            idea_id=n.idea_id,
            title=n.idea_title,
            was=first.was if first else n.old,
            now=n.new,
            reason=n.reason,
            merged_into_id=n.merged_into_id,
            merged_into_title=n.merged_into_title,
        )
    return list(updates.values())
