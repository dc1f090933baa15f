"""The digest trend's statements over many weeks at once (storage/metrics/reader.py runs them).

They have a column per week, in SLOTS fixed slots (the weeks a digest computes rather than reads from
the rollup vary from week to week; unused slots are bound to NULL and count nothing): one SQL text
each, built and compiled once per process rather than once per number of weeks.

`slotted` binds a list of periods' values to the slots."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, bindparam, select

from bot.core.metrics.rules import TREND_WEEKS
from storage.metrics.sql import NOT_ADOPTED, M, activated_within_window, count_if, member_at
from storage.metrics.tables import MemberActivityRow as ACT

# The trend's 12 weeks and, for a week in progress, the same point of the week before (a period of
# its own): a digest never computes more at once.
SLOTS = TREND_WEEKS + 1


def slotted(slots: int, **columns: Sequence[Any]) -> dict[str, Any]:
    """Parameters `name_i` for each slot i: the values given, then NULL in the slots left over."""
    params: dict[str, Any] = {}
    for name, values in columns.items():
        for i in range(slots):
            params[f"{name}_{i}"] = values[i] if i < len(values) else None
    return params


def slots_for(periods: int) -> int:
    """The slots a statement for this many periods has (more than SLOTS: never, but still correct)."""
    return max(SLOTS, periods)


@functools.cache
def activations_statement(periods: int = SLOTS) -> Any:
    """Per period i: newcomers admitted in [from_i, to_i), and those activated within the window."""
    columns = []
    for i in range(periods):
        newcomer = and_(M.admitted_at >= bindparam(f"from_{i}"), M.admitted_at < bindparam(f"to_{i}"))
        columns += [count_if(newcomer), count_if(and_(newcomer, activated_within_window()))]
    return select(*columns).where(
        M.community_id == bindparam("community_id"),
        M.admitted_at >= bindparam("first"),
        M.admitted_at < bindparam("last"),
        M.is_bot.is_(False),
        NOT_ADOPTED,
    )


@functools.cache
def active_ratios_statements(periods: int = SLOTS) -> tuple[Any, Any]:
    """Per period i (rollup week week_i, ending at end_i): members active in it, and members at its end."""
    active = (
        select(
            *(
                count_if(and_(ACT.week_start == bindparam(f"week_{i}"), member_at(bindparam(f"end_{i}"))))
                for i in range(periods)
            )
        )
        .select_from(ACT)
        .join(M, M.id == ACT.member_id)
        .where(
            ACT.community_id == bindparam("community_id"),
            ACT.week_start >= bindparam("first_week"),
            ACT.week_start <= bindparam("last_week"),
            ACT.window_kinds != 0,
        )
    )
    members = select(*(count_if(member_at(bindparam(f"end_{i}"))) for i in range(periods))).where(
        M.community_id == bindparam("community_id")
    )
    return active, members
