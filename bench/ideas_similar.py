"""How long the similar-ideas check takes on /idea as the number of open ideas grows.

Run: python bench/ideas_similar.py [--sizes 100 1000 10000]  (prints figures; nothing is asserted)
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from bot.core.feedback.idea_rules import similar_ideas

WORDS = (
    "dark mode export csv api plugin offline sync mobile app editor keyboard shortcuts slack "
    "discord integration search filter tags billing invoices team roles permissions calendar "
    "reminders notifications emoji reactions threads webhooks import markdown tables charts"
).split()


def title(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6))).capitalize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1_000, 10_000], help="open ideas")
    args = parser.parse_args()
    rng = random.Random(10)
    for size in args.sizes:
        titles = {i: title(rng) for i in range(1, size + 1)}
        runs = []
        for _ in range(20):
            query = title(rng)
            started = time.perf_counter()
            similar_ideas(query, titles, limit=3, cutoff=70)
            runs.append((time.perf_counter() - started) * 1000)
        median, worst = statistics.median(runs), max(runs)
        print(f"{size:>6} open ideas: median {median:6.2f} ms, max {worst:6.2f} ms per /idea")


if __name__ == "__main__":
    main()
