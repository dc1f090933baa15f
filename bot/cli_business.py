"""`townsquare customers import FILE.csv` (the business's facts in) and `townsquare members export`
(consenting members' profiles out, or aggregates only)."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from adapters.sinks.facts_file import FactFileError, read_facts


async def _customers_import(args: argparse.Namespace) -> int:
    from bot.bootstrap import build_app
    from bot.cli import _load
    from bot.cli_members import UsageError, select_communities
    from bot.clock import SystemClock
    from bot.core.business.commands import ImportCustomerFacts
    from bot.core.replies import Reply
    from storage.migrate import SchemaOutOfDate, require_current

    settings = _load(args.config)
    try:
        (community,) = select_communities(settings, args.community or settings.communities[0].id)
        facts = read_facts(Path(args.file))
    except (UsageError, FactFileError) as exc:
        print(f"townsquare customers import: {exc}", file=sys.stderr)
        return 2
    app = build_app(settings, SystemClock())
    try:
        try:
            await require_current(app.engine, args.config)
        except SchemaOutOfDate as exc:
            print(f"townsquare customers import: {exc}", file=sys.stderr)
            return 2
        await app.ensure_communities()
        result = await app.bus.handle(ImportCustomerFacts(community_id=community.id, facts=tuple(facts)))
        text = result.text if isinstance(result, Reply) else ""
        if isinstance(result, Reply) and result.private and "not one of" in text:
            print(f"townsquare customers import: {args.file}: {text}", file=sys.stderr)
            return 2
        print(f"{community.id}: {text}")
        return 0
    finally:
        await app.close()


async def _members_export(args: argparse.Namespace) -> int:
    from bot.bootstrap import open_storage
    from bot.cli import _load
    from bot.cli_members import UsageError, select_communities
    from bot.core.business.ports import BusinessReader, BusinessRepository
    from bot.core.business.rules import Level, cql_score, level_of
    from storage.migrate import SchemaOutOfDate, require_current

    settings = _load(args.config)
    try:
        (community,) = select_communities(settings, args.community or settings.communities[0].id)
    except UsageError as exc:
        print(f"townsquare members export: {exc}", file=sys.stderr)
        return 2
    policy = community.business
    async with open_storage(settings, reports=True) as storage:
        try:
            await require_current(storage.engine, args.config)
        except SchemaOutOfDate as exc:
            print(f"townsquare members export: {exc}", file=sys.stderr)
            return 2
        async with storage.uow_factory() as uow:
            repo = uow.repo(BusinessRepository)
            since = datetime.now(UTC) - timedelta(days=policy.window_days)
            consenting = {
                c.member_id: c
                for c in await repo.consenting(community.id)
                if c.version >= policy.consent_version
            }
            if args.aggregates:
                activities = await repo.activities(community.id, since, None)
                members = await uow.repo(BusinessReader).admitted_count(community.id)
                levels = {level.value: 0 for level in Level}
                for activity in activities:
                    levels[level_of(activity, policy).value] += 1
                rows: list[dict[str, Any]] = [
                    {"community": community.id, "members": members, "consenting": len(consenting), **levels}
                ]
            else:
                rows = []
                for activity in await repo.activities(community.id, since, list(consenting)):
                    consent, score = consenting[activity.member_id], cql_score(activity, policy)
                    rows.append(
                        {
                            "platform": consent.member.platform,
                            "user_id": consent.member.user_id,
                            "display_name": consent.display_name,
                            "email": consent.email or "",
                            "level": level_of(activity, policy).value,
                            "cql_score": score.score,
                            "cql_reasons": "; ".join(score.reasons),
                            "referrals": activity.referrals,
                            "last_active": activity.last_active.date().isoformat()
                            if activity.last_active
                            else "",
                            "consent_version": consent.version,
                        }
                    )
    _write(rows, args.format)
    return 0


async def business_section(engine: Any, community: Any, week: Any) -> str:
    """The digest's business section of a week, as plain text, read on the reports' read-only engine."""
    from bot.core.business.report import build_report, render_report
    from bot.features import bindings
    from storage.uow import SqlUnitOfWorkFactory

    async with SqlUnitOfWorkFactory(engine, bindings())() as uow:
        return render_report(await build_report(uow, community, week), plain=True)


async def _automations_preview(args: argparse.Namespace) -> int:
    from bot.bootstrap import build_app
    from bot.cli import _load
    from bot.cli_members import UsageError, select_communities
    from bot.clock import SystemClock
    from bot.core.business.commands import RunAutomations
    from bot.core.replies import Reply
    from storage.migrate import SchemaOutOfDate, require_current

    settings = _load(args.config)
    try:
        communities = select_communities(settings, args.community)
    except UsageError as exc:
        print(f"townsquare automations preview: {exc}", file=sys.stderr)
        return 2
    app = build_app(settings, SystemClock())
    try:
        try:
            await require_current(app.engine, args.config)
        except SchemaOutOfDate as exc:
            print(f"townsquare automations preview: {exc}", file=sys.stderr)
            return 2
        await app.ensure_communities()
        for community in communities:
            result = await app.bus.handle(RunAutomations(community_id=community.id, dry_run=True))
            print(f"{community.id}: {result.text if isinstance(result, Reply) else ''}")
        return 0
    finally:
        await app.close()


def _write(rows: list[dict[str, Any]], fmt: str) -> None:
    try:
        if fmt == "json":
            json.dump(rows, sys.stdout, indent=2, ensure_ascii=False)
            sys.stdout.write("\n")
        elif rows:
            writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        sys.stdout.flush()
    except BrokenPipeError:  # `| head` closed the pipe: stop quietly (Python's documented recipe)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def add_parsers(
    sub: Any, members_actions: Any, config_arg: Callable[[argparse.ArgumentParser], None]
) -> None:
    """Register `customers import` and `members export`."""
    customers = sub.add_parser("customers", help="bring in the business's facts (sign-ups, customers, churn)")
    actions = customers.add_subparsers(dest="customers_command", required=True, metavar="ACTION")
    p = actions.add_parser(
        "import", help="import a CSV: id,customer,event,date,revenue,member,email_sha256,referral_code"
    )
    config_arg(p)
    p.add_argument("file", metavar="FILE.csv")
    p.add_argument("--community", metavar="ID", help="the community the facts belong to (default: the first)")
    p.set_defaults(func=lambda a: asyncio.run(_customers_import(a)))
    p = members_actions.add_parser(
        "export", help="consenting members' level, lead score and referrals (or --aggregates only)"
    )
    config_arg(p)
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--aggregates", action="store_true", help="counts only: no member-level rows at all")
    p.add_argument("--community", metavar="ID", help="default: the first community configured")
    p.set_defaults(func=lambda a: asyncio.run(_members_export(a)))
    automations = sub.add_parser("automations", help="preview which automations would fire now")
    actions = automations.add_subparsers(dest="automations_command", required=True, metavar="ACTION")
    p = actions.add_parser(
        "preview", help="list who would get what (level, CQL and count rules); sends nothing"
    )
    config_arg(p)
    p.add_argument("--community", metavar="ID", help="only this community (default: every one configured)")
    p.set_defaults(func=lambda a: asyncio.run(_automations_preview(a)))
