"""Business outcomes from the facts the business shares: referral-attributed sign-ups and revenue,
CQL → customer conversion, the retention lift of community-active customers, support deflection.

Pure functions; definitions are in docs/business.md and every figure carries its sample size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.core.business.settings import BusinessSettings


class FactKind(StrEnum):
    SIGNED_UP = "signed_up"
    BECAME_CUSTOMER = "became_customer"
    CHURNED = "churned"
    EXPANDED = "expanded"


@dataclass(frozen=True)
class CustomerFact:
    """One fact about one of the business's accounts, linked to a member only when they consent."""

    customer: str
    kind: FactKind
    occurred_at: datetime
    revenue: float | None = None
    member_id: int | None = None
    referrer_id: int | None = None


@dataclass(frozen=True)
class Outcome:
    """Questions resolved in a period: by a peer, or by staff (answers marked helpful)."""

    peer_answers: int
    staff_answers: int


@dataclass(frozen=True)
class Deflection:
    peer_answers: int
    staff_answers: int
    hours_saved: float
    cost_saved: float

    @property
    def peer_share(self) -> float | None:
        total = self.peer_answers + self.staff_answers
        return self.peer_answers / total if total else None


def deflection(outcome: Outcome, policy: BusinessSettings) -> Deflection:
    """Peer answers each save `minutes_per_question` of staff time at `hourly_cost`."""
    hours = outcome.peer_answers * policy.minutes_per_question / 60
    return Deflection(
        outcome.peer_answers, outcome.staff_answers, round(hours, 1), round(hours * policy.hourly_cost, 2)
    )


@dataclass(frozen=True)
class RetentionLift:
    """Churn of customers linked to community-active members against the rest."""

    active_customers: int
    active_churned: int
    other_customers: int
    other_churned: int

    @property
    def active_churn(self) -> float | None:
        return self.active_churned / self.active_customers if self.active_customers else None

    @property
    def other_churn(self) -> float | None:
        return self.other_churned / self.other_customers if self.other_customers else None

    @property
    def lift_points(self) -> float | None:
        """How many percentage points less the community-active customers churn (None: no sample)."""
        if self.active_churn is None or self.other_churn is None:
            return None
        return round((self.other_churn - self.active_churn) * 100, 1)


def _customers(facts: Iterable[CustomerFact]) -> dict[str, list[CustomerFact]]:
    by_customer: dict[str, list[CustomerFact]] = defaultdict(list)
    for fact in sorted(facts, key=lambda f: (f.occurred_at, f.kind)):
        by_customer[fact.customer].append(fact)
    return by_customer


def _is_churned(history: list[CustomerFact]) -> bool:
    """Churned when the latest became-customer is followed by a churn."""
    state: bool | None = None
    for fact in history:
        if fact.kind is FactKind.BECAME_CUSTOMER:
            state = False
        elif fact.kind is FactKind.CHURNED and state is not None:
            state = True
    return bool(state)


def retention_lift(facts: Iterable[CustomerFact], active_members: Collection[int]) -> RetentionLift:
    """Customers (ever became one) split by whether a linked member is community-active."""
    counts = {True: [0, 0], False: [0, 0]}
    for history in _customers(facts).values():
        if not any(f.kind is FactKind.BECAME_CUSTOMER for f in history):
            continue
        active = any(f.member_id is not None and f.member_id in active_members for f in history)
        counts[active][0] += 1
        counts[active][1] += _is_churned(history)
    return RetentionLift(counts[True][0], counts[True][1], counts[False][0], counts[False][1])


@dataclass(frozen=True)
class ReferrerCredit:
    referrer_id: int
    signups: int
    customers: int
    revenue: float


def referral_attribution(facts: Iterable[CustomerFact]) -> list[ReferrerCredit]:
    """Per referrer: distinct accounts that signed up or became customers, and their revenue
    (became-customer and expansion facts), most revenue first."""
    signups: dict[int, set[str]] = defaultdict(set)
    customers: dict[int, set[str]] = defaultdict(set)
    revenue: dict[int, float] = defaultdict(float)
    for fact in facts:
        if fact.referrer_id is None:
            continue
        if fact.kind is FactKind.SIGNED_UP:
            signups[fact.referrer_id].add(fact.customer)
        if fact.kind is FactKind.BECAME_CUSTOMER:
            customers[fact.referrer_id].add(fact.customer)
        if fact.kind in (FactKind.BECAME_CUSTOMER, FactKind.EXPANDED) and fact.revenue:
            revenue[fact.referrer_id] += fact.revenue
    ids = set(signups) | set(customers) | set(revenue)
    credits = [ReferrerCredit(i, len(signups[i]), len(customers[i]), round(revenue[i], 2)) for i in ids]
    return sorted(credits, key=lambda c: (-c.revenue, -c.customers, -c.signups, c.referrer_id))


def cql_conversion(leads: Collection[int], facts: Iterable[CustomerFact]) -> tuple[int, int]:
    """(surfaced CQLs, of whom became customers)."""
    converted = {f.member_id for f in facts if f.kind is FactKind.BECAME_CUSTOMER and f.member_id in leads}
    return len(leads), len(converted)
