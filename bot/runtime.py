"""Process-wide settings for a long-running bot process (`townsquare run`, the demo, the benches)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# A young collection every 10,000 net allocations instead of CPython's 700, a middle one every 50 of
# those and a full one every 100 middle ones. The bot allocates a burst of small, short-lived
# objects per event (rows, results, SQLAlchemy's per-statement state); with the defaults a
# collection ran every few events, and the full ones walked everything the process holds.
GC_THRESHOLDS = (10_000, 50, 100)


def tune_garbage_collector() -> None:
    """Fewer garbage collections, and none that walks what start-up loaded.

    Call once, after start-up and before the first event. `gc.freeze()` moves every object alive
    now (modules, classes, SQLAlchemy's mappers and table metadata) out of the collector's
    generations: they live as long as the process anyway, and a full collection no longer visits
    them. Cyclic garbage is still collected, only in larger, rarer sweeps. Measured with
    bench/commands.py (500 commands alone): p99 79-157 ms before, 26-27 ms after; those pauses were
    collections. Not for tests: frozen objects are never collected, so it is for a process's
    entry point only.
    """
    gc.set_threshold(*GC_THRESHOLDS)
    gc.freeze()


@contextmanager
def collector_for_a_command() -> Iterator[None]:
    """The collector's thresholds of a running bot (GC_THRESHOLDS) for the length of one command,
    then the caller's again (tests run commands in their own process).

    A command starts by importing a few hundred modules: classes, functions and SQLAlchemy's
    tables, all alive until the process ends. With CPython's threshold of 700 the young collection
    ran every few dozen of them and kept walking and promoting what start-up had just loaded:
    ~50 ms of CPU of the ~0.8 s a demo or `townsquare run` spends importing (measured on the
    imports of bot.demo.run plus the features' handlers: 0.80 -> 0.75 s). Cycles are still collected.
    """
    before = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
