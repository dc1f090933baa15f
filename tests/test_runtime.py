"""The process-wide garbage collector settings of `townsquare run` and the demo."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_tuned_collector_still_collects_cycles_and_spares_what_start_up_loaded() -> None:
    # In a child process: freezing is for a process's entry point, never for the test run itself.
    script = textwrap.dedent(
        """
        import gc, weakref
        from bot.runtime import GC_THRESHOLDS, tune_garbage_collector

        class Node:
            pass

        loaded = Node()  # alive at start-up: frozen, out of the collector's sight
        tune_garbage_collector()
        assert gc.get_threshold() == GC_THRESHOLDS, gc.get_threshold()
        assert gc.get_freeze_count() > 0
        collected = []
        cycle = Node()
        cycle.me = cycle
        weakref.finalize(cycle, collected.append, "cycle")
        del cycle
        keep = [Node() for _ in range(GC_THRESHOLDS[0] * 2)]  # enough allocations for a collection
        assert collected == ["cycle"], "cyclic garbage was not collected without an explicit gc.collect()"
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
