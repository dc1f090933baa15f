"""What `townsquare doctor` finds, the same shape on Discord and Slack: each problem with its fix."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One misconfiguration in one community, and what to do about it."""

    community_id: str
    problem: str
    fix: str

    def line(self) -> str:
        """One line for the operator: `doctor` prints it, `run` logs it as a warning."""
        return f"{self.community_id}: {self.problem}. Fix: {self.fix}"


def log_problems(log: logging.Logger, problems: Iterable[Problem]) -> None:
    """One warning line per problem (what `townsquare run` does at start)."""
    for problem in problems:
        log.warning("doctor: %s", problem.line())
