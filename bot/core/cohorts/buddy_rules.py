"""Buddy matching: each newcomer gets 1–3 buddies from the graduates and champions.

Priorities, in order: never the same pair twice when another candidate is free; spread the
newcomers evenly over the buddies (each newcomer takes the least-loaded candidates); among equally
loaded candidates, the one with the same role and industry (picked from the community's choices at
application or with /cohort), then the one who shares the most declared interests.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

MAX_INTERESTS = 10
MAX_INTEREST_LENGTH = 32
_SPLIT = re.compile(r"[,;\n]+")
_WORD = re.compile(r"[a-z0-9+#]{2,}")


def parse_interests(text: str) -> tuple[str, ...]:
    """Normalise "Rust, ML ; web dev" to ("rust", "ml", "web dev"): lower case, no repeats, at most 10."""
    tags: dict[str, None] = {}
    for raw in _SPLIT.split(text.lower()):
        tag = " ".join(raw.split())[:MAX_INTEREST_LENGTH].strip()
        if tag:
            tags[tag] = None
    return tuple(tags)[:MAX_INTERESTS]


def words(text: str) -> frozenset[str]:
    """The words of free text (application answers), for matching against interest tags."""
    return frozenset(_WORD.findall(text.lower()))


@dataclass(frozen=True)
class Newcomer:
    """A newcomer to match: declared interest tags and the words of their application answers."""

    member_id: int
    tags: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()
    fields: frozenset[str] = frozenset()  # "role=design", "industry=fintech"


@dataclass(frozen=True)
class BuddyCandidate:
    """A graduate or champion who can be a buddy; `load` counts the newcomers they buddy right now."""

    member_id: int
    tags: frozenset[str] = frozenset()
    load: int = 0
    fields: frozenset[str] = frozenset()


def overlap(newcomer: Newcomer, candidate: BuddyCandidate) -> int:
    """How many of the candidate's interests the newcomer declared or wrote about."""
    return sum(
        1
        for tag in candidate.tags
        if tag in newcomer.tags or (tag.split() and set(tag.split()) <= newcomer.words)
    )


def assign_buddies(
    newcomers: Sequence[Newcomer],
    candidates: Sequence[BuddyCandidate],
    per_newcomer: int,
    past_pairs: Collection[frozenset[int]] = (),
) -> dict[int, tuple[int, ...]]:
    """Buddies for each newcomer (member id -> buddy ids); fewer than asked only when too few exist.

    `past_pairs` are the pairs matched before (either way round); they are used again only when no
    other candidate is left for that newcomer.
    """
    loads = {c.member_id: c.load for c in candidates}
    by_id: Mapping[int, BuddyCandidate] = {c.member_id: c for c in candidates}
    past = set(past_pairs)
    result: dict[int, tuple[int, ...]] = {}
    for newcomer in newcomers:
        options = [c for c in by_id.values() if c.member_id != newcomer.member_id]
        options.sort(
            key=lambda c: (
                frozenset((newcomer.member_id, c.member_id)) in past,
                loads[c.member_id],
                -len(newcomer.fields & c.fields),
                -overlap(newcomer, c),
                c.member_id,
            )
        )
        chosen = tuple(c.member_id for c in options[:per_newcomer])
        for buddy in chosen:
            loads[buddy] += 1
        result[newcomer.member_id] = chosen
    return result


def match_fields(picks: Mapping[str, str], choices: Mapping[str, Collection[str]]) -> frozenset[str]:
    """The picks that are among the community's choices, as "field=value" (case-insensitive)."""
    found = set()
    for field, options in choices.items():
        value = " ".join(str(picks.get(field, "")).lower().split())
        if value and value in {o.lower() for o in options}:
            found.add(f"{field}={value}")
    return frozenset(found)
