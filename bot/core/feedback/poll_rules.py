"""Member votes: polls, who may vote, ballots (one choice or N votes to allocate), results, councils."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.core.errors import InvalidInput
from bot.core.hygiene import one_line
from bot.core.refs import MemberRef

MAX_OPTIONS = 10
OPTION_MAX = 80
QUESTION_MAX = 200


class PollKind(StrEnum):
    """What a poll asks."""

    QUESTION = "question"  # options typed by the lead
    ROADMAP = "roadmap"  # options: the planned ideas, votes to allocate
    ELECTION = "election"  # options: the council's nominees; the winners become the council


class Eligibility(StrEnum):
    """Who may vote."""

    ALL = "all"  # every admitted member
    BADGE = "badge"  # members holding a badge or tier, e.g. "champion"
    COUNCIL = "council"  # members of a named council


class PollStatus(StrEnum):
    """Open until closed, once."""

    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class PollOption:
    """One choice on a ballot."""

    id: int
    position: int  # 1-based, as shown
    label: str
    idea_id: int | None = None
    member_id: int | None = None  # the nominee, in an election


@dataclass(frozen=True)
class Poll:
    """A member vote with its options."""

    id: int
    community_id: str
    question: str
    kind: PollKind
    eligibility: Eligibility
    eligible_key: str | None  # the badge key or the council name
    secret: bool
    votes_per_member: int  # 1: single choice; N: N votes to allocate
    closes_at: datetime
    status: PollStatus
    channel: str
    options: tuple[PollOption, ...] = ()
    seats: int | None = None  # elections: how many nominees are elected
    council_id: int | None = None  # elections: the council being elected
    council_name: str | None = None

    @property
    def message_key(self) -> str:
        """The key of the poll's post (results are posted once, under another key)."""
        return f"poll:{self.id}"

    @property
    def single_choice(self) -> bool:
        """One button press per ballot; otherwise a form allocates the votes."""
        return self.votes_per_member == 1

    def option(self, option_id: int) -> PollOption | None:
        """The option with this id, if it belongs to this poll."""
        return next((o for o in self.options if o.id == option_id), None)


def parse_options(text: str) -> tuple[str, ...]:
    """Options typed as "A | B | C" (or separated by ";" or new lines): 2 to 10, distinct, short."""
    parts = [one_line(p) for p in re.split(r"[|;\n]", text or "")]
    options = tuple(p for p in parts if p)
    if not 2 <= len(options) <= MAX_OPTIONS:
        raise InvalidInput(f'Give 2 to {MAX_OPTIONS} options separated by |, e.g. "Red | Green | Blue".')
    long = [number for number, o in enumerate(options, 1) if len(o) > OPTION_MAX]
    if long:
        raise InvalidInput(f"Keep each option to {OPTION_MAX} characters (option {long[0]} is longer).")
    if len({o.casefold() for o in options}) != len(options):
        raise InvalidInput("Each option must be different.")
    return options


_TOKEN = re.compile(r"^(\d+)(?:\s*[x*:]\s*(\d+))?$")


def parse_allocation(text: str, option_count: int, budget: int) -> dict[int, int]:
    """A ballot typed as option numbers: "1 1 3" or "1x2, 3" give option 1 two votes and 3 one.

    Returns position -> votes. At least one vote, at most `budget` in all.
    """
    allocation: dict[int, int] = {}
    tokens = [token for token in re.split(r"[,\s]+", (text or "").strip()) if token]
    for number, token in enumerate(tokens, 1):
        found = _TOKEN.match(token)
        if found is None:
            raise InvalidInput(f'Write option numbers such as "1 1 3" or "1x2, 3" (item {number} is not).')
        position, votes = int(found.group(1)), int(found.group(2) or 1)
        if not 1 <= position <= option_count:
            raise InvalidInput(f"Options are numbered 1 to {option_count}; there is no option {position}.")
        if votes < 1:
            raise InvalidInput("Give each option you name at least one vote.")
        allocation[position] = allocation.get(position, 0) + votes
    total = sum(allocation.values())
    if total < 1:
        raise InvalidInput(f'Give at least one of your {budget} votes, e.g. "1 1 3".')
    if total > budget:
        raise InvalidInput(f"You have {budget} votes; that ballot uses {total}.")
    return allocation


def eligibility_text(poll: Poll) -> str:
    """Who may vote, as members read it."""
    if poll.eligibility is Eligibility.BADGE:
        return f"members with the {poll.eligible_key} badge"
    if poll.eligibility is Eligibility.COUNCIL:
        name = poll.eligible_key or "council"
        return "members of the council" if name == "council" else f"members of the {name} council"
    return "all members"


def ineligibility(poll: Poll, *, admitted: bool, badges: set[str], in_council: bool) -> str | None:
    """Why a member may not vote in this poll, or None when they may."""
    if not admitted:
        return "Only members can vote. Use /join or /apply to get in."
    if poll.eligibility is Eligibility.BADGE and poll.eligible_key not in badges:
        return f"This vote is for {eligibility_text(poll)}, so your ballot was not counted."
    if poll.eligibility is Eligibility.COUNCIL and not in_council:
        return f"This vote is for {eligibility_text(poll)}, so your ballot was not counted."
    return None


def ranked(poll: Poll, points: Mapping[int, int]) -> list[tuple[PollOption, int]]:
    """Options by points (most first); ties keep the order shown on the ballot."""
    return sorted(
        ((o, points.get(o.id, 0)) for o in poll.options), key=lambda pair: (-pair[1], pair[0].position)
    )


def elected(poll: Poll, points: Mapping[int, int]) -> list[PollOption]:
    """An election's winners: the `seats` nominees with the most votes (ties: nomination order)."""
    seats = poll.seats or 0
    return [o for o, p in ranked(poll, points) if p > 0 and o.member_id is not None][:seats]


def results_text(
    poll: Poll,
    points: Mapping[int, int],
    ballots: int,
    voters: Mapping[int, Sequence[str]] | None,
    winners: Sequence[str] | None = (),
) -> str:
    """The results post. `voters` (display names per option) only for open ballots; a secret ballot
    shows counts and never who voted what. `winners` are mention tokens of elected members (None: the
    election has no result, e.g. its quorum was missed)."""
    unit = "vote" if poll.single_choice else "point"
    lines = [f"{ballots} ballot{'s' if ballots != 1 else ''} cast by {eligibility_text(poll)}."]
    for option, score in ranked(poll, points):
        line = f"{option.position}. {option.label} — {score} {unit}{'s' if score != 1 else ''}"
        names = (voters or {}).get(option.id, ())
        if names and not poll.secret:
            line += f" ({', '.join(names)})"
        lines.append(line)
    if poll.kind is PollKind.ELECTION and winners is not None:
        lines.append(
            f"Elected to the {poll.council_name or 'council'}: {', '.join(winners)}."
            if winners
            else "Nobody was elected: no nominee received a vote."
        )
    if poll.secret:
        lines.append("This was a secret ballot: only totals are shown.")
    return "\n".join(lines)


@dataclass(frozen=True)
class NewOption:
    """An option as a poll is created (storage gives it an id and a position)."""

    label: str
    idea_id: int | None = None
    member_id: int | None = None


@dataclass(frozen=True)
class Person:
    """A member named in a council or a nomination."""

    member_id: int
    ref: MemberRef
    display_name: str
