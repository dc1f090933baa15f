"""Commands of feedback: requests the bus routes to exactly one handler."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from bot.core.commands import Command, Permission
from bot.core.refs import MemberRef


@dataclass(frozen=True, kw_only=True)
class SubmitIdea(Command):
    """The /idea form was sent: show similar open ideas first, or file it."""

    title: str
    details: str = ""
    area: str | None = None
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class FileIdeaDraft(Command):
    """ "File mine anyway": file the idea held while its author saw similar ones."""

    draft_id: int
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class VoteForSimilarIdea(Command):
    """Vote for an open idea instead of filing a near-duplicate (the draft is dropped)."""

    draft_id: int
    idea_id: int
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class ToggleIdeaVote(Command):
    """Upvote pressed: vote, or withdraw a vote cast earlier."""

    idea_id: int
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class ShowIdeaActions(Command):
    """A lead pressed Manage on an idea: the status buttons that apply, privately."""

    idea_id: int
    permission: ClassVar[Permission] = Permission.LEAD


@dataclass(frozen=True, kw_only=True)
class ChangeIdeaStatus(Command):
    """Move an idea along new → under review → planned → in progress → shipped, or decline it."""

    idea_id: int
    status: str  # an IdeaStatus value; checked by the handler so a typo gets a helpful answer
    reason: str | None = None
    permission: ClassVar[Permission] = Permission.LEAD


@dataclass(frozen=True, kw_only=True)
class MergeIdea(Command):
    """Merge a duplicate into another idea: votes are united, voters told where theirs went."""

    idea_id: int
    into_id: int
    permission: ClassVar[Permission] = Permission.LEAD


@dataclass(frozen=True, kw_only=True)
class SetIdeaNotifications(Command):
    """Turn the private status-change messages on or off."""

    enabled: bool
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class SendIdeaNotices(Command):
    """The daily batch: one private message per member for all their pending idea updates."""


@dataclass(frozen=True, kw_only=True)
class ShowRoadmap(Command):
    """Planned, in progress and recently shipped ideas, by votes."""

    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class PostIdeasReport(Command):
    """The monthly insights report, posted once to the leads' channel."""

    month: str | None = None  # "YYYY-MM"; None: the month before now


@dataclass(frozen=True, kw_only=True)
class OpenPoll(Command):
    """A member vote: a question, a roadmap vote over planned ideas, or a council election."""

    question: str
    options: str = ""  # "A | B | C" for a question
    kind: str = "question"  # PollKind value
    eligibility: str = "all"  # Eligibility value
    group: str | None = None  # the badge key, or the council name, that may vote
    secret: bool | None = None  # None: the community's default ballot (governance.ballot)
    votes: int | None = None  # votes per member; None: 1 (roadmap: the configured number)
    hours: int | None = None  # None: the configured default
    seats: int | None = None  # elections
    council: str | None = None  # elections: the council to fill
    permission: ClassVar[Permission] = Permission.LEAD


@dataclass(frozen=True, kw_only=True)
class CastBallot(Command):
    """A single-choice ballot (a button per option); pressing another option changes it."""

    poll_id: int
    option_id: int
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class ShowBallotForm(Command):
    """Open the form to allocate several votes."""

    poll_id: int
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class AllocateVotes(Command):
    """A ballot that spreads N votes, typed as option numbers ("1 1 3")."""

    poll_id: int
    ballot: str
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class ClosePoll(Command):
    """Close a poll whose time is up and post its results, once."""

    poll_id: int


@dataclass(frozen=True, kw_only=True)
class CloseDuePolls(Command):
    """Close every poll whose time is up (at start-up and on a timer: catches up after a restart)."""


@dataclass(frozen=True, kw_only=True)
class AddCouncilMember(Command):
    """A lead seats a member on a council."""

    member: MemberRef
    council: str | None = None
    permission: ClassVar[Permission] = Permission.LEAD


@dataclass(frozen=True, kw_only=True)
class RemoveCouncilMember(Command):
    """A lead takes a member off a council."""

    member: MemberRef
    council: str | None = None
    permission: ClassVar[Permission] = Permission.LEAD


@dataclass(frozen=True, kw_only=True)
class ShowCouncil(Command):
    """Who sits on a council and who is nominated."""

    council: str | None = None
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class NominateMember(Command):
    """Nominate a member (yourself included) for a council's next election."""

    member: MemberRef
    council: str | None = None
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class RunGovernanceCalendar(Command):
    """The daily step of the governance calendar for `day` (community date): open nominations at a
    period's start, open the ballot when they close, open the period's roadmap vote."""

    day: date


@dataclass(frozen=True, kw_only=True)
class PublishMinutes(Command):
    """A member of a body (or a lead) publishes its meeting's minutes in the public channel."""

    author: MemberRef
    text: str
    council: str | None = None  # None: the community's council
    permission: ClassVar[Permission] = Permission.MEMBER
