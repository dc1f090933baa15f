"""Pure rules of the feedback loop: similarity, vote presses, transitions, credits, text, ballots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.errors import InvalidInput
from bot.core.feedback.idea_rules import (
    Idea,
    IdeaStatus,
    Notice,
    Press,
    RoadmapEntry,
    Voter,
    collapse,
    credited_voters,
    normalise_area,
    press_outcome,
    roadmap,
    similar_ideas,
    transition_problem,
    vote_weight,
)
from bot.core.feedback.idea_text import notice_text, post_view, shipped_text
from bot.core.feedback.poll_rules import parse_allocation, parse_options
from bot.core.refs import MemberRef
from bot.core.text import mention, mentions_in

T0 = datetime(2026, 11, 2, 10, tzinfo=UTC)
TITLES = {
    1: "Dark mode for the editor",
    2: "Export to CSV",
    3: "Keyboard shortcuts for navigation",
    4: "Slack integration",
}


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("CSV export", [2]),
        ("Integration with Slack", [4]),
        ("dark mode please", [1]),
        ("A completely unrelated request about billing", []),
    ],
)
def test_similar_titles(title: str, expected: list[int]) -> None:
    found = similar_ideas(title, TITLES, limit=3, cutoff=70)
    assert [s.idea_id for s in found] == expected


def test_similar_ideas_respects_the_limit_and_zero() -> None:
    many = {i: f"Dark mode variant {i}" for i in range(1, 10)}
    assert len(similar_ideas("Dark mode", many, limit=3, cutoff=50)) == 3
    assert similar_ideas("Dark mode", many, limit=0, cutoff=50) == []
    assert similar_ideas("Dark mode", {}, limit=3, cutoff=50) == []


def test_press_toggles_but_a_double_click_keeps_the_vote() -> None:
    assert press_outcome(None, T0) is Press.ADDED
    assert press_outcome(T0, T0 + timedelta(seconds=1)) is Press.KEPT
    assert press_outcome(T0, T0 + timedelta(seconds=30)) is Press.WITHDRAWN


@pytest.mark.parametrize(
    ("old", "new", "allowed"),
    [
        (IdeaStatus.NEW, IdeaStatus.PLANNED, True),
        (IdeaStatus.NEW, IdeaStatus.SHIPPED, True),
        (IdeaStatus.PLANNED, IdeaStatus.PLANNED, False),
        (IdeaStatus.SHIPPED, IdeaStatus.IN_PROGRESS, False),
        (IdeaStatus.MERGED, IdeaStatus.PLANNED, False),
        (IdeaStatus.DECLINED, IdeaStatus.UNDER_REVIEW, True),
        (IdeaStatus.DECLINED, IdeaStatus.SHIPPED, False),
        (IdeaStatus.NEW, IdeaStatus.MERGED, False),
        (IdeaStatus.PLANNED, IdeaStatus.NEW, False),
    ],
)
def test_transitions(old: IdeaStatus, new: IdeaStatus, allowed: bool) -> None:
    assert (transition_problem(old, new) is None) is allowed


def _voter(member_id: int, minutes: int, admitted: bool = True) -> Voter:
    return Voter(
        member_id,
        MemberRef("fake", str(member_id)),
        f"m{member_id}",
        T0 + timedelta(minutes=minutes),
        admitted,
    )


@given(
    st.lists(st.tuples(st.integers(1, 40), st.integers(0, 10_000), st.booleans()), unique_by=lambda t: t[0]),
    st.integers(1, 40),
    st.integers(0, 12),
)
def test_credits_are_the_earliest_members_never_the_author(
    votes: list[tuple[int, int, bool]], author: int, limit: int
) -> None:
    voters = [_voter(m, minute, admitted) for m, minute, admitted in votes]
    credited = credited_voters(voters, author, limit)
    eligible = sorted(
        (v for v in voters if v.member_id != author and v.admitted), key=lambda v: (v.voted_at, v.member_id)
    )
    assert list(credited) == eligible[:limit]


def test_vote_weight_takes_the_highest_tier() -> None:
    weights = {"advocate": 1.5, "champion": 2.0}
    assert vote_weight(set(), weights) == 1.0
    assert vote_weight({"advocate", "champion", "founding"}, weights) == 2.0


def _idea(idea_id: int, status: IdeaStatus, votes: int, title: str = "An idea", **kw: object) -> Idea:
    return Idea(idea_id, "c", 1, title, "", None, status, votes, T0 + timedelta(days=idea_id), **kw)  # type: ignore[arg-type]


def test_roadmap_columns_are_ordered_by_score() -> None:
    entries = [
        RoadmapEntry(_idea(1, IdeaStatus.PLANNED, 3), 3),
        RoadmapEntry(_idea(2, IdeaStatus.PLANNED, 9), 9),
        RoadmapEntry(_idea(3, IdeaStatus.IN_PROGRESS, 1), 1),
        RoadmapEntry(_idea(4, IdeaStatus.NEW, 50), 50),
        RoadmapEntry(_idea(5, IdeaStatus.PLANNED, 2), 12.5),  # weighted past #2
    ]
    columns = roadmap(entries)
    assert [e.idea.id for e in columns[IdeaStatus.PLANNED]] == [5, 2, 1]
    assert [e.idea.id for e in columns[IdeaStatus.IN_PROGRESS]] == [3]
    assert all(e.idea.id != 4 for items in columns.values() for e in items)


def test_notices_collapse_per_idea() -> None:
    ref = MemberRef("fake", "9")
    notices = [
        Notice(1, 9, ref, True, 7, "Dark mode", IdeaStatus.NEW, IdeaStatus.PLANNED, T0),
        Notice(
            2,
            9,
            ref,
            True,
            7,
            "Dark mode",
            IdeaStatus.PLANNED,
            IdeaStatus.IN_PROGRESS,
            T0 + timedelta(hours=1),
        ),
        Notice(3, 9, ref, True, 8, "CSV", IdeaStatus.NEW, IdeaStatus.DECLINED, T0, reason="out of scope"),
    ]
    updates = collapse(notices)
    assert [(u.idea_id, u.was, u.now) for u in updates] == [
        (7, IdeaStatus.NEW, IdeaStatus.IN_PROGRESS),
        (8, IdeaStatus.NEW, IdeaStatus.DECLINED),
    ]
    text = notice_text(updates)
    assert "2 ideas" in text and "New → In progress" in text and "out of scope" in text


def test_user_text_can_never_mention_anyone() -> None:
    forged = f"Ping {mention(MemberRef('fake', '666'))} @everyone <!here>"
    idea = _idea(1, IdeaStatus.SHIPPED, 3, title=forged)
    author = MemberRef("fake", "1")
    credited = (_voter(2, 1), _voter(3, 2))
    title, text = shipped_text(idea, author, credited, others=4)
    assert mentions_in(text) == (author, credited[0].ref, credited[1].ref)
    assert mentions_in(title) == ()
    assert "4 more members" in text
    view = post_view(_idea(1, IdeaStatus.NEW, 2, title=forged), author)
    assert mentions_in(view.title + view.text) == (author,)
    assert [a.key for a in view.actions] == ["idea:vote:1", "idea:manage:1"] and view.actions[
        0
    ].label == "Upvote · 2"


def test_parse_options() -> None:
    assert parse_options("Red | Green ; Blue") == ("Red", "Green", "Blue")
    for bad in ("only one", "a | A", " | ".join(str(i) for i in range(11))):
        with pytest.raises(InvalidInput):
            parse_options(bad)


@given(st.lists(st.integers(1, 5), min_size=1, max_size=4))
def test_allocation_round_trips_repeated_numbers(choices: list[int]) -> None:
    allocation = parse_allocation(" ".join(map(str, choices)), option_count=5, budget=4)
    assert sum(allocation.values()) == len(choices)
    assert all(allocation[c] == choices.count(c) for c in choices)


@pytest.mark.parametrize("ballot", ["", "0", "6", "1 1 1 1", "x", "2x0"])
def test_allocation_refuses_bad_ballots(ballot: str) -> None:
    with pytest.raises(InvalidInput):
        parse_allocation(ballot, option_count=5, budget=3)


def test_allocation_stacks() -> None:
    assert parse_allocation("1x2, 3", option_count=3, budget=3) == {1: 2, 3: 1}


def test_area_tags() -> None:
    assert normalise_area("  Editor ", ()) == "editor"
    assert normalise_area("", ("editor",)) is None
    assert normalise_area("Billing", ("editor", "billing")) == "billing"
    with pytest.raises(ValueError, match="editor, billing"):
        normalise_area("sales", ("editor", "billing"))
