"""Buddy matching: spread evenly, no repeated pair when avoidable, interests break ties."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from bot.core.cohorts.buddy_rules import BuddyCandidate, Newcomer, assign_buddies, parse_interests, words


def _people(newcomers: int, candidates: int) -> tuple[list[Newcomer], list[BuddyCandidate]]:
    return (
        [Newcomer(1000 + i) for i in range(newcomers)],
        [BuddyCandidate(i) for i in range(1, candidates + 1)],
    )


@given(st.integers(1, 40), st.integers(1, 15), st.integers(1, 3))
def test_buddies_are_spread_evenly(newcomers: int, candidates: int, per: int) -> None:
    people, buddies = _people(newcomers, candidates)
    result = assign_buddies(people, buddies, per)
    loads = Counter(b for chosen in result.values() for b in chosen)
    all_loads = [loads.get(c.member_id, 0) for c in buddies]
    assert max(all_loads) - min(all_loads) <= 1
    for newcomer in people:
        chosen = result[newcomer.member_id]
        assert len(chosen) == min(per, candidates)
        assert len(set(chosen)) == len(chosen)  # distinct buddies


@given(
    st.integers(1, 20),
    st.integers(1, 10),
    st.integers(1, 3),
    st.sets(st.tuples(st.integers(1000, 1019), st.integers(1, 10))),
)
def test_a_past_pair_is_repeated_only_when_unavoidable(
    newcomers: int, candidates: int, per: int, past: set[tuple[int, int]]
) -> None:
    people, buddies = _people(newcomers, candidates)
    pairs = {frozenset(p) for p in past}
    result = assign_buddies(people, buddies, per, pairs)
    for newcomer in people:
        fresh = [c.member_id for c in buddies if frozenset((newcomer.member_id, c.member_id)) not in pairs]
        repeats = [b for b in result[newcomer.member_id] if frozenset((newcomer.member_id, b)) in pairs]
        assert len(repeats) == max(0, min(per, candidates) - len(fresh))


def test_existing_load_is_evened_out() -> None:
    busy, free = BuddyCandidate(1, load=3), BuddyCandidate(2, load=0)
    result = assign_buddies([Newcomer(10), Newcomer(11), Newcomer(12)], [busy, free], 1)
    assert [result[n] for n in (10, 11, 12)] == [(2,), (2,), (2,)]


def test_interests_decide_between_equally_loaded_buddies() -> None:
    rustacean = BuddyCandidate(1, tags=frozenset({"rust"}))
    learner = BuddyCandidate(2, tags=frozenset({"machine learning", "python"}))
    declared = Newcomer(10, tags=frozenset({"python"}))
    from_answers = Newcomer(
        11, words=words("I work on Machine-Learning pipelines in Rust... mostly learning")
    )
    assert assign_buddies([declared], [rustacean, learner], 1) == {10: (2,)}
    # "machine learning" matches the answer's words; "rust" too: a tie on overlap, the lower id wins
    assert assign_buddies([from_answers], [rustacean, learner], 1) == {11: (1,)}
    assert assign_buddies([Newcomer(12, words=words("deep machine learning"))], [rustacean, learner], 1) == {
        12: (2,)
    }


def test_nobody_is_their_own_buddy_and_too_few_candidates_give_fewer() -> None:
    result = assign_buddies([Newcomer(1)], [BuddyCandidate(1), BuddyCandidate(2)], 3)
    assert result == {1: (2,)}
    assert assign_buddies([Newcomer(1)], [], 2) == {1: ()}


def test_interests_are_normalised() -> None:
    assert parse_interests(" Rust, ML ;web   Dev\nrust,, ") == ("rust", "ml", "web dev")
    assert len(parse_interests(",".join(f"t{i}" for i in range(30)))) == 10
