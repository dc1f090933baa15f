"""What the outbox relay says in the log: one line when an outage starts or ends, and a summary
every few minutes, instead of a line (or a traceback) per failed attempt. A 40 s database outage
with the relay polling every second used to write thousands of traceback lines."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from bot.core.ports import Clock

log = logging.getLogger("townsquare.outbox")


def short_error(exc: BaseException) -> str:
    """One line naming the exception (no traceback)."""
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class RelayWatch:
    """Counts what the relay did and writes state changes and periodic summaries."""

    def __init__(self, clock: Clock, summary_every: timedelta = timedelta(minutes=5)) -> None:
        self.clock = clock
        self.summary_every = summary_every
        self.counts: Counter[str] = Counter()
        self._since: datetime | None = None
        self._db_down_since: datetime | None = None
        self._db_failures = 0

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] += n

    def database_failed(self, exc: BaseException) -> None:
        """A relay pass failed on the database: logged once per outage, counted after that."""
        self._db_failures += 1
        self.counts["database errors"] += 1
        if self._db_down_since is None:
            self._db_down_since = self.clock.now()
            log.warning("outbox relay: the database is unreachable (%s); retrying quietly", short_error(exc))

    def database_ok(self) -> None:
        if self._db_down_since is None:
            return
        lasted = self.clock.now() - self._db_down_since
        log.warning(
            "outbox relay: the database answers again after %s (%d failed passes)",
            duration(lasted),
            self._db_failures,
        )
        self._db_down_since, self._db_failures = None, 0

    def maybe_summary(self, paused: list[tuple[str, str]], waiting_to_record: int) -> None:
        """Every `summary_every`: what happened since the last summary, when anything did."""
        now = self.clock.now()
        if self._since is None:
            self._since = now
            return
        if now - self._since < self.summary_every:
            return
        if self.counts or paused or waiting_to_record:
            parts = [f"{what} {n}" for what, n in sorted(self.counts.items())]
            if paused:
                parts.append("paused " + ", ".join(f"{p}/{c}" for p, c in paused))
            if waiting_to_record:
                parts.append(f"sent but not yet recorded {waiting_to_record}")
            log.info("outbox relay, last %s: %s", duration(now - self._since), "; ".join(parts))
        self.counts.clear()
        self._since = now


def duration(delta: timedelta) -> str:
    """A short human duration: 40s, 12min, 3h05."""
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}min"
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}"
