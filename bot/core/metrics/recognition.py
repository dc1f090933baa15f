"""The digest's recognition part: the advocacy tiers and who moved, members drifting away with who
is best placed to reach out, and the share of drifting members who came back."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.metrics.rules import Person
from bot.core.text import user_text

COME_BACK_DAYS = 90  # the came-back share looks at members who drifted this recently


@dataclass(frozen=True)
class TierMove:
    """A member who reached a tier in the period, or got the heads-up that they are short of it."""

    person: Person
    tier: str
    heads_up: bool = False


@dataclass(frozen=True)
class Drifting:
    """A member who went quiet, and who is best placed to reach out (None: nobody)."""

    person: Person
    since: datetime
    reach: Person | None = None
    via: str = ""  # "buddy" | "referrer" | "champion"


@dataclass(frozen=True)
class ChallengeReport:
    """A challenge running in the period, and how far its participants got."""

    challenge_id: int
    title: str
    ends_at: datetime
    joined: int
    submitted: int
    completed: int


@dataclass(frozen=True)
class Recognition:
    """Tiers held now (key -> members), this period's tier moves, members drifting, came-back figures."""

    tiers: tuple[tuple[str, int], ...] = ()
    moves: tuple[TierMove, ...] = ()
    drifting: tuple[Drifting, ...] = ()
    drifting_total: int = 0
    drifted: int = 0  # episodes that started in the last COME_BACK_DAYS
    came_back: int = 0  # of those, the members who came back
    challenges: tuple[ChallengeReport, ...] = ()

    @property
    def came_back_share(self) -> float | None:
        """Came back ÷ drifted, over the last 90 days."""
        return self.came_back / self.drifted if self.drifted else None


NO_RECOGNITION = Recognition()


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"


def recognition_sections(
    r: Recognition, who: Callable[[Person], str], name: Callable[[str], str]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(title, lines) for the digest: "Challenges", "Tiers", "Drifting away"."""
    tiers = []
    if r.tiers:
        tiers.append(" · ".join(f"{name(key)}: {_n(n, 'member')}" for key, n in r.tiers))
    tiers += [
        f"{who(m.person)} got a heads-up: short of {name(m.tier)}"
        if m.heads_up
        else f"{who(m.person)} is now {name(m.tier)}"
        for m in r.moves
    ]
    drifting = [
        f"{who(d.person)}, quiet since {d.since:%d %b}"
        + (f" — {d.via} {who(d.reach)} could reach out" if d.reach else " — nobody to reach out yet")
        for d in r.drifting
    ]
    if r.drifting_total > len(drifting):
        drifting.append(f"… and {r.drifting_total - len(drifting)} more")
    if r.drifted:
        share = r.came_back_share or 0.0
        drifting.append(
            f"Came back: {r.came_back} of {_n(r.drifted, 'member')} who drifted in the last "
            f"{COME_BACK_DAYS} days ({share * 100:.0f} %)"
        )
    challenges = [
        f"#{c.challenge_id} {user_text(c.title, 80)} (until {c.ends_at:%d %b}): {c.joined} joined, "
        f"{c.submitted} submitted, {c.completed} completed"
        for c in r.challenges
    ]
    return (("Challenges", tuple(challenges)), ("Tiers", tuple(tiers)), ("Drifting away", tuple(drifting)))


def recognition_json(r: Recognition, person: Callable[[Person], Mapping[str, Any]]) -> dict[str, Any]:
    """The stable JSON form (docs/metrics.md)."""
    return {
        "tiers": dict(r.tiers),
        "tier_moves": [{"member": person(m.person), "tier": m.tier, "heads_up": m.heads_up} for m in r.moves],
        "drifting": {
            "total": r.drifting_total,
            "items": [
                {
                    "member": person(d.person),
                    "since": d.since.isoformat().replace("+00:00", "Z"),
                    "reach_out": None if d.reach is None else {"member": person(d.reach), "via": d.via},
                }
                for d in r.drifting
            ],
        },
        "came_back": {"drifted": r.drifted, "came_back": r.came_back, "share": r.came_back_share},
        "challenges": [
            {
                "id": c.challenge_id,
                "title": c.title,
                "ends_at": c.ends_at.isoformat().replace("+00:00", "Z"),
                "joined": c.joined,
                "submitted": c.submitted,
                "completed": c.completed,
            }
            for c in r.challenges
        ],
    }
