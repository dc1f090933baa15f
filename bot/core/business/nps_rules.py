"""Community NPS: the share of promoters (9–10) minus the share of detractors (0–6), in points."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


def nps(scores: Sequence[int]) -> int | None:
    """The net promoter score of some answers (−100..100), None without answers."""
    if not scores:
        return None
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return round((promoters - detractors) * 100 / len(scores))


def sample(member_ids: Sequence[int], survey_id: int, size: int) -> list[int]:
    """A random-looking but reproducible draw of `size` members for a survey."""
    key = lambda m: hashlib.sha256(f"{survey_id}:{m}".encode()).digest()  # noqa: E731
    return sorted(sorted(member_ids, key=key)[:size])


@dataclass(frozen=True)
class SurveyResult:
    """One survey: its answers against the number asked."""

    survey_id: int
    opened_at: datetime
    closes_at: datetime
    asked: int
    scores: tuple[int, ...]

    @property
    def score(self) -> int | None:
        return nps(self.scores)

    @property
    def response_rate(self) -> float | None:
        return len(self.scores) / self.asked if self.asked else None
