"""Circuit breakers for the outbox relay: one per platform and community.

A few retryable failures in a row (the platform answering 5xx, timing out, unreachable) open the
circuit: the relay stops sending to that platform and community, so an outage spends no effect's
attempts. While open, one effect at a time probes the platform, at growing intervals up to a cap;
the first answer (a success, or a refusal that proves the platform is there) closes the circuit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from bot.core.ports import Clock

Pair = tuple[str, str]  # (platform, community id)


class Change(Enum):
    """What a failure or a success did to a circuit (the relay logs only changes)."""

    NONE = "none"
    OPENED = "opened"
    STILL_OPEN = "still open"
    CLOSED = "closed"


@dataclass
class Circuit:
    failures: int = 0  # consecutive retryable failures
    opened_at: datetime | None = None
    probe_at: datetime | None = None
    probes: int = 0
    last_error: str = ""


@dataclass(frozen=True)
class BreakerPolicy:
    outage_after: int = 3  # consecutive retryable failures that pause a platform
    probe_base_seconds: float = 2.0
    probe_max_seconds: float = 60.0

    def probe_delay(self, probes: int) -> timedelta:
        return timedelta(seconds=min(self.probe_base_seconds * 2**probes, self.probe_max_seconds))


class Breakers:
    """The circuits of every (platform, community) the relay has sent to."""

    def __init__(self, clock: Clock, policy: BreakerPolicy = BreakerPolicy()) -> None:
        self.clock = clock
        self.policy = policy
        self._circuits: dict[Pair, Circuit] = {}

    def is_open(self, pair: Pair) -> bool:
        circuit = self._circuits.get(pair)
        return circuit is not None and circuit.opened_at is not None

    def blocks(self, pair: Pair) -> bool:
        """True while the circuit is open and its next probe is not due."""
        circuit = self._circuits.get(pair)
        if circuit is None or circuit.probe_at is None:
            return False
        return self.clock.now() < circuit.probe_at

    def paused(self) -> list[Pair]:
        """The pairs the relay should not even look at now."""
        return [pair for pair in self._circuits if self.blocks(pair)]

    def open_pairs(self) -> list[Pair]:
        return [pair for pair, circuit in self._circuits.items() if circuit.opened_at is not None]

    def failed(self, pair: Pair, error: str) -> Change:
        """A retryable platform failure."""
        circuit = self._circuits.setdefault(pair, Circuit())
        now = self.clock.now()
        circuit.last_error = error
        if circuit.opened_at is not None:
            circuit.probes += 1
            circuit.probe_at = now + self.policy.probe_delay(circuit.probes)
            return Change.STILL_OPEN
        circuit.failures += 1
        if circuit.failures < self.policy.outage_after:
            return Change.NONE
        circuit.opened_at, circuit.probes = now, 0
        circuit.probe_at = now + self.policy.probe_delay(0)
        return Change.OPENED

    def answered(self, pair: Pair) -> tuple[Change, timedelta]:
        """The platform answered (delivered, or refused for a reason of its own): CLOSED with how
        long the outage lasted when the circuit was open."""
        circuit = self._circuits.pop(pair, None)
        if circuit is None or circuit.opened_at is None:
            return Change.NONE, timedelta(0)
        return Change.CLOSED, self.clock.now() - circuit.opened_at

    def last_error(self, pair: Pair) -> str:
        circuit = self._circuits.get(pair)
        return circuit.last_error if circuit else ""
