"""`townsquare demo [--seed N] [--weeks N] [--members N] [--db PATH | --database-url URL | --config FILE]
[--chart PATH] [--format …]`.

The digest goes to standard output; progress, where the files are and what to run next go to
standard error, so `townsquare demo > digest.txt` keeps just the digest.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

DEFAULT_DB = "townsquare-demo.db"
DEFAULT_CHART = "townsquare-demo-chart.png"


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_parser(sub: Any) -> None:
    """Register `demo` on the main parser."""
    p = sub.add_parser(
        "demo",
        help="simulate a community for some weeks on a fresh database and print its digest",
        description=(
            "Create a fresh database (SQLite by default) and simulate a community on it through the "
            "real bot: "
            "founders on an open first day, a referral-only phase, then applications that moderators "
            "approve or reject, onboarding cohorts with buddies, weekly AMAs and a monthly showcase, "
            "contributions with a long tail, helpful answers, ideas and votes, and members drifting "
            "away. Then print the digest of the last complete week and write its chart. The "
            "database (and a configuration file next to it, for `townsquare digest --config`) is "
            "replaced on every run."
        ),
    )
    p.add_argument(
        "--seed", type=int, default=1, help="random seed: the same seed prints the same digest (default: 1)"
    )
    p.add_argument("--weeks", type=_positive, default=12, help="weeks to simulate (default: 12)")
    p.add_argument(
        "--members",
        type=_positive,
        default=300,
        help="people who find the community over the run (default: 300)",
    )
    p.add_argument(
        "--db",
        type=Path,
        default=Path(DEFAULT_DB),
        help=f"the demo's SQLite database, replaced on every run (default: {DEFAULT_DB}); "
        "its configuration is written next to it with the extension .toml (also with the options "
        "below)",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--database-url",
        metavar="URL",
        help="run on this database instead, e.g. postgresql+asyncpg://user@host/townsquare_demo: an "
        "empty one, or one an earlier demo wrote (it is replaced on every run)",
    )
    where.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="run on the database of this configuration file ([database] url; its communities are "
        "not used), with the same rules as --database-url",
    )
    p.add_argument(
        "--chart",
        type=Path,
        default=Path(DEFAULT_CHART),
        help=f"where to write the digest chart (default: {DEFAULT_CHART})",
    )
    p.add_argument(
        "--format",
        choices=("text", "markdown"),
        default="text",
        help="how to print the digest (default: text)",
    )
    p.set_defaults(func=cmd_demo)


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the simulation, print the digest, say where everything is."""
    import asyncio  # loaded by the verb that runs a loop, not by `townsquare --help`

    from bot.config import ConfigError
    from bot.core.metrics.digest_render import render_markdown, render_text
    from bot.demo.database import DemoError, shown
    from bot.demo.run import DemoOptions, run_demo
    from bot.logs import setup_logging
    from bot.runtime import tune_garbage_collector

    if args.members < 10:
        print("townsquare demo: --members must be at least 10", file=sys.stderr)
        return 2
    setup_logging("WARNING")  # the bot logs every message it handles; the demo shows its own progress
    try:
        url = _database_url(args)
    except ConfigError as exc:
        print(f"townsquare demo: {exc}", file=sys.stderr)
        return 2
    options = DemoOptions(
        seed=args.seed,
        weeks=args.weeks,
        members=args.members,
        db=args.db,
        chart=args.chart,
        database_url=url,
    )
    _progress(
        f"Simulating {options.weeks} weeks of a community of about {options.members} people "
        f"(seed {options.seed}) in {shown(url) if url else options.db} …"
    )
    tune_garbage_collector()  # as `townsquare run` does
    try:
        result = asyncio.run(run_demo(options, _progress))
    except DemoError as exc:
        print(f"townsquare demo: {exc}", file=sys.stderr)
        return 2
    render = render_markdown if args.format == "markdown" else render_text
    sys.stdout.write(render(result.digest))
    sys.stdout.write(f"\n{result.business}\n")
    sys.stdout.flush()
    _progress(_footer(result))
    return 0


def _database_url(args: argparse.Namespace) -> str | None:
    """--database-url as given, or the [database] url of --config (the environment is ignored)."""
    from bot.config import load_settings

    if args.config is not None:
        return load_settings(args.config, environ={}).database.url
    url: str | None = args.database_url
    return url


def _footer(result: Any) -> str:
    """What was simulated, where the files are, and what to run next."""
    options, counters, week = result.options, result.counters, result.week
    config = options.config
    month = week.monday.strftime("%Y-%m")
    commands = [
        (
            f"townsquare digest --config {config} --week {week}",
            "this digest again (--format markdown or json)",
        ),
        (f"townsquare metrics export --config {config} --week {week}", "every metric, week by week, as CSV"),
        (f"townsquare ideas report --config {config} --month {month}", "the ideas insights report"),
    ]
    width = max(len(command) for command, _ in commands)
    events = counters.commands + counters.events + counters.facts + counters.jobs
    return "\n".join(
        [
            "",
            f"Simulated {options.weeks} weeks in {result.seconds:.1f} s: {result.admitted} people admitted, "
            f"{result.left} left, {result.members} members, {result.cohorts} cohorts.",
            f"Through the real bot: {counters.commands:,} commands and button presses, "
            f"{counters.events:,} joins and leaves, {counters.facts:,} messages and reactions, "
            f"{counters.jobs:,} scheduled jobs.",
            "",
            f"  database  {result.database}  (replaced on every run)",
            f"  config    {config}",
            f"  chart     {options.chart}",
            "",
            "Next:",
            *(f"  {command:<{width}}  {what}" for command, what in commands),
            "",
            f"Wall time {result.seconds:.1f} s (CPU {result.cpu_seconds:.1f} s), {events:,} events through "
            f"the bot: {events / max(result.seconds, 1e-9):,.0f} events/s.",
        ]
    )
