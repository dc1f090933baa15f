"""The simulated crowd: the people, the seeded randomness, and what happened week by week."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from bot.core.effects import Effect
from bot.demo.community import COMMUNITY_ID, ZONE, local
from bot.demo.engine import Engine
from bot.demo.people import HOUR_WEIGHTS, Person, Plan

Weight = Callable[[Person], float]


@dataclass
class WeekTally:
    """What the weekly progress line reports."""

    admitted: int = 0
    left: int = 0
    posters: set[str] = field(default_factory=set)


class World:
    """People, randomness and bookkeeping shared by the behaviours (joining, activity, programme)."""

    community_id = COMMUNITY_ID

    def __init__(self, engine: Engine, plan: Plan, rng: random.Random) -> None:
        self.engine = engine
        self.rng = rng
        self.people = plan.people
        self.by_uid = {p.uid: p for p in plan.people}
        self.staff = [p for p in plan.people if p.role is not None]
        self.lead = self.staff[0]
        self.moderators = self.staff[1:]
        self.applications_open_at = plan.applications_open_at
        self.cohorts = 0
        self.pending_applications: set[int] = set()
        self.tally = WeekTally()

    def watch(self, watcher: Callable[[Effect], None]) -> None:
        """Show every delivered effect to `watcher` (a behaviour reacting to what it sees), in the
        order the watchers were added."""
        self.engine.watchers.append(watcher)

    @property
    def now(self) -> datetime:
        return self.engine.now

    def present(self) -> list[Person]:
        """Members now, in a stable order."""
        return [p for p in self.people if p.present]

    def pick(
        self, people: Sequence[Person], weight: Weight, k: int = 1, exclude: Person | None = None
    ) -> list[Person]:
        """Up to `k` different people, drawn by `weight` (nobody with weight 0)."""
        pool = [(p, weight(p)) for p in people if p is not exclude]
        pool = [(p, w) for p, w in pool if w > 0]
        chosen: list[Person] = []
        while pool and len(chosen) < k:
            total = sum(w for _, w in pool)
            mark = self.rng.random() * total
            for i, (person, w) in enumerate(pool):
                mark -= w
                if mark <= 0 or i == len(pool) - 1:
                    chosen.append(person)
                    del pool[i]
                    break
        return chosen

    def poisson(self, mean: float) -> int:
        """A Poisson draw (Knuth's method; the means here are small)."""
        if mean <= 0:
            return 0
        if mean > 30:
            return max(0, round(self.rng.gauss(mean, math.sqrt(mean))))
        limit, product, count = math.exp(-mean), self.rng.random(), 0
        while product > limit:
            product *= self.rng.random()
            count += 1
        return count

    def moment_on(self, day: datetime) -> datetime:
        """A likely moment of activity on the local day of `day` (aware UTC)."""
        local_day = day.astimezone(ZONE).date()
        hour = self.rng.choices(range(24), HOUR_WEIGHTS)[0]
        return local(local_day, time(hour, self.rng.randrange(60), self.rng.randrange(60)))

    def between(self, start: datetime, end: datetime) -> datetime:
        """A moment uniformly between two instants."""
        span = max((end - start).total_seconds(), 0)
        return start + timedelta(seconds=self.rng.uniform(0, span))
