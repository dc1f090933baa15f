"""`townsquare ideas report|export`: the ideas insights report, and an export for product tools."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable


def _spreadsheet_safe(value: object) -> object:
    """Text a member typed can start with "=" or "@": spreadsheets would run it as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


async def _ideas(args: argparse.Namespace) -> int:
    import csv
    import json

    from bot.cli import _load
    from bot.cli_errors import checked_storage
    from bot.clock import SystemClock
    from bot.core.errors import UserFacingError
    from bot.core.feedback.idea_reports import build_report
    from bot.core.feedback.ports import IdeaReportReader
    from bot.core.feedback.report_rules import previous_month, render_json, render_markdown

    settings = _load(args.config)
    if args.community is None and len(settings.communities) > 1:
        ids = ", ".join(c.id for c in settings.communities)
        print(f"townsquare: name the community with --community ({ids})", file=sys.stderr)
        return 2
    try:
        community = settings.community(args.community) if args.community else settings.communities[0]
    except KeyError as exc:
        print(f"townsquare: {exc.args[0]}", file=sys.stderr)
        return 2
    async with checked_storage(settings, args.config, writes=False) as storage:
        async with storage.uow_factory() as uow:
            if args.ideas_command == "report":
                now = SystemClock().now()
                month = args.month or previous_month(now, community.zone)
                try:
                    report = await build_report(uow, community, month, now)
                except UserFacingError as exc:
                    print(f"townsquare: --month: {exc.message}", file=sys.stderr)
                    return 2
                if args.format == "json":
                    print(json.dumps(render_json(report), indent=2, ensure_ascii=False))
                else:
                    sys.stdout.write(render_markdown(report))
                return 0
            rows = [
                {
                    "id": idea.id,
                    "title": idea.title,
                    "details": idea.details,
                    "area": idea.area or "",
                    "status": idea.status.value,
                    "status_reason": idea.status_reason or "",
                    "votes": idea.votes,
                    "author": author or "",
                    "created_at": idea.created_at.isoformat(),
                    "shipped_at": idea.shipped_at.isoformat() if idea.shipped_at else "",
                    "merged_into": idea.merged_into_id or "",
                }
                for idea, author in await uow.repo(IdeaReportReader).export(community.id)
            ]
        if args.format == "json":
            print(json.dumps(rows, indent=2, ensure_ascii=False))
        else:
            fields = [
                "id",
                "title",
                "details",
                "area",
                "status",
                "status_reason",
                "votes",
                "author",
                "created_at",
                "shipped_at",
                "merged_into",
            ]
            writer = csv.DictWriter(sys.stdout, fieldnames=fields)
            writer.writeheader()
            writer.writerows({k: _spreadsheet_safe(v) for k, v in row.items()} for row in rows)
        return 0


def cmd_ideas(args: argparse.Namespace) -> int:
    import asyncio

    return asyncio.run(_ideas(args))


def add_ideas_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    config_arg: Callable[[argparse.ArgumentParser], None],
) -> None:
    """`townsquare ideas report|export`."""
    ideas = sub.add_parser("ideas", help="the ideas insights report, and an export for product tools")
    ideas_sub = ideas.add_subparsers(dest="ideas_command", required=True, metavar="WHAT")
    p = ideas_sub.add_parser("report", help="top ideas, velocity, shipped with credits, implementation rate")
    p.add_argument("--month", help="YYYY-MM in the community's time zone (default: last month)")
    p.add_argument("--format", choices=("markdown", "json"), default="markdown")
    p.add_argument("--community", help="community id (needed when the configuration has several)")
    config_arg(p)
    p.set_defaults(func=cmd_ideas)
    p = ideas_sub.add_parser("export", help="every idea with status, votes and dates, as CSV or JSON")
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--community", help="community id (needed when the configuration has several)")
    config_arg(p)
    p.set_defaults(func=cmd_ideas)
