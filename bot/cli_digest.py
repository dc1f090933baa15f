"""`townsquare digest` and `townsquare metrics export`: the digest and the metrics, offline, from the
database (read-only; the bot may keep running)."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FORMATS = ("text", "markdown", "json")
WEEKS_MAX = 520  # ten years of weeks: more is a typo, and would take minutes


class CliError(Exception):
    """A mistake in the arguments; the message says what to do."""


def _community(settings: Any, community_id: str | None) -> Any:
    """The community named, or the only one configured."""
    if community_id:
        try:
            return settings.community(community_id)
        except KeyError:
            known = ", ".join(c.id for c in settings.communities)
            raise CliError(
                f"no community {community_id!r} in the configuration (configured: {known})"
            ) from None
    if len(settings.communities) > 1:
        known = ", ".join(c.id for c in settings.communities)
        raise CliError(f"several communities are configured ({known}); choose one with --community")
    return settings.communities[0]


def _now(value: str | None) -> datetime:
    from bot.clock import SystemClock

    if not value:
        return SystemClock().now()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CliError(f"--now {value!r}: an ISO timestamp such as 2026-11-23T09:00:00+00:00") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _week(value: str | None, community: Any, now: datetime) -> Any:
    """The week asked for, or the last complete week in the community's time zone."""
    from bot.core.weeks import IsoWeek

    if not value:
        return IsoWeek.last_complete(now, community.zone)
    try:
        week = IsoWeek.parse(value)
    except ValueError as exc:
        raise CliError(f"--week: {exc}") from None
    if week > IsoWeek.of(now, community.zone):
        raise CliError(f"--week {week} has not started yet")
    return week


async def _with_reader(config: str, work: Callable[[Any, Any], Awaitable[Any]]) -> Any:
    """Run `work(settings, reader)` against the configured database, read-only."""
    from bot.cli import _load
    from bot.cli_errors import checked_storage
    from storage.metrics.reader import SqlMetricsReader

    settings = _load(config)
    async with checked_storage(settings, config, writes=False) as storage:
        return await work(settings, SqlMetricsReader(storage.engine))


def cmd_digest(args: argparse.Namespace) -> int:
    """Print the digest of a week (default: the last complete one)."""
    import asyncio

    from bot.core.metrics.digest_render import render_markdown, render_text
    from bot.core.metrics.handlers import build_digest

    async def work(settings: Any, reader: Any) -> Any:
        from bot.cli_business import business_section

        community = _community(settings, args.community)
        now = _now(args.now)
        week = _week(args.week, community, now)
        digest = await build_digest(reader, community, week, now)
        business = await business_section(reader.engine, community, week) if args.format != "json" else ""
        return digest, business

    try:
        digest, business = asyncio.run(_with_reader(args.config, work))
    except CliError as exc:
        print(f"townsquare digest: {exc}", file=sys.stderr)
        return 2
    if args.chart:
        from bot.charts import render_digest_chart

        Path(args.chart).write_bytes(render_digest_chart(digest))
    if args.format == "json":
        print(json.dumps(digest.to_json(), indent=2, ensure_ascii=False))
    elif args.format == "markdown":
        sys.stdout.write(render_markdown(digest))
        sys.stdout.write(f"\n{business}\n")
    else:
        sys.stdout.write(render_text(digest))
        sys.stdout.write(f"\n{business}\n")
    return 0


def cmd_metrics_export(args: argparse.Namespace) -> int:
    """Every metric for each of the last N weeks, as CSV or JSON."""
    import asyncio

    from bot.core.metrics.handlers import policy_of
    from bot.core.metrics.metrics_json import flat_metrics, metrics_json
    from bot.core.weeks import Period

    if not 1 <= args.weeks <= WEEKS_MAX:
        print(f"townsquare metrics export: --weeks {args.weeks}: give 1 to {WEEKS_MAX}", file=sys.stderr)
        return 2

    async def work(settings: Any, reader: Any) -> Any:
        community = _community(settings, args.community)
        now = _now(args.now)
        last = Period.of(_week(args.week, community, now), community.timezone, now)
        policy = policy_of(community)
        weeks = [await reader.week(community.id, p, policy) for p in last.trailing(args.weeks)]
        return community, weeks

    try:
        community, weeks = asyncio.run(_with_reader(args.config, work))
    except CliError as exc:
        print(f"townsquare metrics export: {exc}", file=sys.stderr)
        return 2
    sla = community.gate.application_sla_hours
    if args.format == "json":
        body = json.dumps(
            {
                "schema": "townsquare.metrics/1",
                "community": {"id": community.id, "name": community.name, "timezone": community.timezone},
                "weeks": [
                    {
                        "week": str(m.period.week),
                        "period": {
                            "start": m.period.start.isoformat().replace("+00:00", "Z"),
                            "end": m.period.end.isoformat().replace("+00:00", "Z"),
                            "complete": m.period.complete,
                        },
                        "metrics": metrics_json(m, sla),
                    }
                    for m in weeks
                ],
            },
            indent=2,
            ensure_ascii=False,
        )
    else:
        rows = [{"community": community.id, **flat_metrics(m, sla)} for m in weeks]
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        body = out.getvalue()
    if args.output:
        Path(args.output).write_text(body if body.endswith("\n") else body + "\n", encoding="utf-8")
    else:
        sys.stdout.write(body if body.endswith("\n") else body + "\n")
    return 0


def add_parsers(sub: Any, config_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register `digest` and `metrics export` on the main parser."""

    def common(p: argparse.ArgumentParser) -> None:
        config_arg(p)
        p.add_argument("--community", metavar="ID", help="the community (default: the only one configured)")
        p.add_argument(
            "--week", metavar="YYYY-Www", help="an ISO week like 2026-W47 (default: the last complete week)"
        )
        p.add_argument("--now", help=argparse.SUPPRESS)  # pretend it is this moment (tests, the demo)

    p = sub.add_parser("digest", help="print the weekly digest from the database")
    common(p)
    p.add_argument("--format", choices=FORMATS, default="text", help="text (default), markdown or json")
    p.add_argument("--chart", metavar="PATH", help="also write the digest chart as a PNG file")
    p.set_defaults(func=cmd_digest)

    p = sub.add_parser("metrics", help="health metrics for spreadsheets and BI tools")
    metrics = p.add_subparsers(dest="metrics_command", required=True, metavar="ACTION")
    p = metrics.add_parser("export", help="every metric for each of the last N weeks")
    common(p)
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="csv (default) or json")
    p.add_argument(
        "--weeks",
        type=int,
        default=12,
        help=f"how many weeks (1-{WEEKS_MAX}), ending with --week (default: 12)",
    )
    p.add_argument("--output", metavar="PATH", help="write to a file instead of standard output")
    p.set_defaults(func=cmd_metrics_export)
