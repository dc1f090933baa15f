"""The simulated people: who arrives when, by which way in, and how each one behaves.

Activity follows a long tail: most members lurk, a few post most of the messages (a Pareto
distribution of posting rates). Some members fade after a while and some of those leave; some
newcomers take weeks to post for the first time. All of it is drawn from one seeded
`random.Random` when the run starts, so the same seed gives the same people.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum

from bot.core.refs import MemberRef, Role
from bot.demo.community import FIRST_NAMES, LAST_NAMES, LEAD, MODERATORS, ZONE, local

PLATFORM = "fake"
DAY_WEIGHTS = (1.2, 1.2, 1.1, 1.1, 1.0, 0.6, 0.5)  # Monday … Sunday
HOUR_WEIGHTS = tuple(  # local hours: a lunchtime and an evening peak, quiet nights
    0.05 + math.exp(-(((h - 13) / 2.5) ** 2)) + 1.2 * math.exp(-(((h - 20.5) / 2.0) ** 2)) for h in range(24)
)


class Way(StrEnum):
    """How someone tries to get in."""

    FOUNDER = "founder"  # on the first day, while the gate is open
    CODE = "code"  # /join with a member's code
    INVITE = "invite"  # follows a member's personal invite (the adapter matches it to the code)
    APPLICATION = "application"  # /apply, decided by a moderator


@dataclass
class Person:
    """One simulated person; the fields under "state" change as the run goes on."""

    uid: str
    name: str
    arrives_at: datetime
    way: Way
    rate: float  # messages a day at full engagement (0 for lurkers)
    helpfulness: float  # 0..1: how often their answers get marked helpful
    role: Role | None = None
    genuine: bool = True  # an applicant the moderators will approve
    ghost: bool = False  # joins the platform, never finishes getting in
    first_post_days: float = 1.0  # days from admission to the first message
    fade_after_days: float | None = None  # engagement decays from then on …
    fade_days: float = 14.0  # … with this time constant
    leave_after_days: float | None = None  # leaves the community this long after admission
    # state
    admitted_at: datetime | None = None
    left_at: datetime | None = None
    woken: bool = False  # a lurker who answered a cohort nudge
    posts: int = 0

    @property
    def ref(self) -> MemberRef:
        """How the platform knows them."""
        return MemberRef(PLATFORM, self.uid)

    @property
    def present(self) -> bool:
        """Admitted and not gone."""
        return self.admitted_at is not None and self.left_at is None

    @property
    def is_staff(self) -> bool:
        """Leads and moderators."""
        return self.role is not None

    def engagement(self, now: datetime) -> float:
        """Messages a day they are likely to post now: nothing before their first post, then their
        rate, fading for those who drift away."""
        if not self.present or self.admitted_at is None:
            return 0.0
        days = (now - self.admitted_at).total_seconds() / 86_400
        rate = self.rate if self.rate > 0 else (0.015 if self.woken else 0.0)
        if days < self.first_post_days:
            return 0.0
        if self.fade_after_days is not None and days > self.fade_after_days + 3 * self.fade_days:
            return 0.0  # drifted away: still a member, silent (re-engagement notices them)
        if self.fade_after_days is not None and days > self.fade_after_days:
            rate *= math.exp(-(days - self.fade_after_days) / self.fade_days)
        return rate


def _names(rng: random.Random, count: int) -> list[str]:
    """Distinct display names; a middle initial once first × last names run out."""
    pool = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]
    rng.shuffle(pool)
    names = pool[:count]
    letters = "ABCDEFGHJKLMNPRSTVW"
    for i in range(len(pool), count):
        first, last = pool[i % len(pool)].split(" ")
        names.append(f"{first} {letters[(i // len(pool)) % len(letters)]}. {last}")
    return names


def moment_in_week(rng: random.Random, monday: datetime, not_before: datetime) -> datetime:
    """A likely moment for someone to show up in the week starting `monday` (local midnight)."""
    for _ in range(20):
        day = rng.choices(range(7), DAY_WEIGHTS)[0]
        hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
        local_day = (monday + timedelta(days=day)).date()
        at = local(local_day, time(hour, rng.randrange(60)))
        if at > not_before:
            return at
    return not_before + timedelta(hours=rng.uniform(1, 12))


def _traits(rng: random.Random, uid: str, name: str, at: datetime, way: Way, lurk: float) -> Person:
    lurker = rng.random() < lurk
    rate = 0.0 if lurker else min(5.0, 0.06 * rng.paretovariate(1.3))
    person = Person(
        uid=uid,
        name=name,
        arrives_at=at,
        way=way,
        rate=rate,
        helpfulness=rng.random() ** 2,
        first_post_days=rng.expovariate(1 / 2.5),
    )
    if not lurker and rng.random() < 0.15:  # slow starters: listed as stalled, then find their feet
        person.first_post_days = rng.uniform(8, 20)
    if not lurker and rng.random() < 0.3:
        person.fade_after_days = rng.uniform(10, 50)
        person.fade_days = rng.uniform(7, 21)
        if rng.random() < 0.5:
            person.leave_after_days = person.fade_after_days + rng.uniform(14, 40)
    elif lurker and rng.random() < 0.3:
        person.leave_after_days = rng.uniform(10, 60)
    return person


@dataclass(frozen=True)
class Plan:
    """Who arrives over the run, and when the gate opens to applications."""

    people: list[Person]
    applications_open_at: datetime


def plan_population(rng: random.Random, start: datetime, weeks: int, members: int) -> Plan:
    """`members` people arriving over `weeks` weeks from `start` (the founders' morning), arrivals
    growing week by week; the first third of the run (at most six weeks) is referral-only."""
    referral_weeks = min(6, max(1, weeks // 3))
    local_monday = start.astimezone(ZONE).replace(hour=0, minute=0)
    opens = local(
        (local_monday + timedelta(weeks=referral_weeks)).date(), time(10, 0)
    )  # the lead opens applications on a Monday morning
    founders = min(25, max(6, round(members * 0.05)))
    names = _names(rng, max(members, founders))
    people: list[Person] = []
    staff = [(LEAD, Role.LEAD), *((m, Role.MODERATOR) for m in MODERATORS)]
    for i in range(founders):
        at = start + timedelta(minutes=20 * i + rng.randrange(15))
        if i < len(staff):
            (uid, name), role = staff[i]
            person = _traits(rng, uid, name, at, Way.FOUNDER, lurk=0.0)
            person.role, person.rate, person.helpfulness = role, rng.uniform(1.5, 3.0), 0.6
            person.fade_after_days = person.leave_after_days = None
        else:
            person = _traits(rng, f"{2000 + i}", names[i], at, Way.FOUNDER, lurk=0.1)
            person.rate *= 3
        person.first_post_days = rng.uniform(0.05, 0.5)
        people.append(person)
    weights = [(1 + 0.15 * week) * (0.6 if week < referral_weeks else 1.0) for week in range(weeks)]
    after_founding = local(start.astimezone(ZONE).date(), time(18, 0))
    arrivals = sorted(
        moment_in_week(rng, local_monday + timedelta(weeks=week), after_founding)
        for week in rng.choices(range(weeks), weights, k=max(0, members - founders))
    )
    for i, at in enumerate(arrivals, start=founders):
        if at < opens or rng.random() < 0.4:
            way = Way.INVITE if rng.random() < 0.35 else Way.CODE
        else:
            way = Way.APPLICATION
        person = _traits(rng, f"{2000 + i}", names[i], at, way, lurk=0.78)
        person.genuine = way is not Way.APPLICATION or rng.random() < 0.85
        person.ghost = way is Way.APPLICATION and rng.random() < 0.06
        people.append(person)
    return Plan(people, opens)
