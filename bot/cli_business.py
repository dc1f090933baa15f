"""`townsquare customers import FILE.csv` (the business's facts in) and `townsquare members export`
(consenting members' profiles out, or aggregates only)."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any


def _community(settings: Any, community_id: str | None) -> Any:
    """The community named with --community, or the first configured."""
    from bot.cli_errors import CliFailure
    from bot.cli_members import UsageError, select_communities

    try:
        (community,) = select_communities(settings, community_id or settings.communities[0].id)
    except UsageError as exc:
        raise CliFailure(str(exc)) from None
    return community


@asynccontextmanager
async def _checked_app(args: argparse.Namespace) -> AsyncIterator[Any]:
    """The app on the configured database, its file and schema checked as every verb's are. Built
    without notifiers: what a verb queues waits in the outbox for `townsquare run` to deliver."""
    from bot.bootstrap import build_app
    from bot.cli import _load
    from bot.cli_errors import checked_storage
    from bot.clock import SystemClock

    settings = _load(args.config)
    async with checked_storage(settings, args.config, writes=True) as storage:
        app = build_app(settings, SystemClock(), engine=storage.engine)
        try:
            await app.ensure_communities()
            yield app
        finally:
            await app.close()


async def _customers_import(args: argparse.Namespace) -> int:
    from adapters.sinks.facts_file import FactFileError, read_facts
    from bot.cli import _load
    from bot.cli_errors import CliFailure
    from bot.core.business.commands import ImportCustomerFacts
    from bot.core.replies import Reply

    community = _community(_load(args.config), args.community)
    try:
        facts = read_facts(Path(args.file))
    except FactFileError as exc:
        raise CliFailure(str(exc)) from None
    async with _checked_app(args) as app:
        result = await app.bus.handle(ImportCustomerFacts(community_id=community.id, facts=tuple(facts)))
    text = result.text if isinstance(result, Reply) else ""
    if isinstance(result, Reply) and result.private and "not one of" in text:
        raise CliFailure(f"{args.file}: {text}")
    print(f"{community.id}: {text}")
    return 0


async def _members_export(args: argparse.Namespace) -> int:
    from bot.cli import _load
    from bot.cli_errors import checked_storage
    from bot.core.business.ports import BusinessReader, BusinessRepository
    from bot.core.business.rules import Level, cql_score, level_of

    settings = _load(args.config)
    community = _community(settings, args.community)
    policy = community.business
    async with checked_storage(settings, args.config, writes=False) as storage, storage.uow_factory() as uow:
        repo = uow.repo(BusinessRepository)
        since = datetime.now(UTC) - timedelta(days=policy.window_days)
        consenting = {
            c.member_id: c for c in await repo.consenting(community.id) if c.version >= policy.consent_version
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
    from bot.cli import _load
    from bot.cli_errors import CliFailure
    from bot.cli_members import UsageError, select_communities
    from bot.core.business.commands import RunAutomations
    from bot.core.replies import Reply

    try:
        communities = select_communities(_load(args.config), args.community)
    except UsageError as exc:
        raise CliFailure(str(exc)) from None
    async with _checked_app(args) as app:
        for community in communities:
            result = await app.bus.handle(RunAutomations(community_id=community.id, dry_run=True))
            print(f"{community.id}: {result.text if isinstance(result, Reply) else ''}")
    return 0


def _sync(
    verb: Callable[[argparse.Namespace], Coroutine[Any, Any, int]],
) -> Callable[[argparse.Namespace], int]:
    """The verb as a parser's `func`: asyncio loads when it runs, not for `townsquare --help`."""

    def run(args: argparse.Namespace) -> int:
        import asyncio

        return asyncio.run(verb(args))

    return run


def _write(rows: list[dict[str, Any]], fmt: str) -> None:
    """Rows to standard output (run_verb ends a closed pipe quietly)."""
    if fmt == "json":
        json.dump(rows, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    elif rows:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


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
    p.set_defaults(func=_sync(_customers_import))
    p = members_actions.add_parser(
        "export", help="consenting members' level, lead score and referrals (or --aggregates only)"
    )
    config_arg(p)
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--aggregates", action="store_true", help="counts only: no member-level rows at all")
    p.add_argument("--community", metavar="ID", help="default: the first community configured")
    p.set_defaults(func=_sync(_members_export))
    automations = sub.add_parser("automations", help="preview which automations would fire now")
    actions = automations.add_subparsers(dest="automations_command", required=True, metavar="ACTION")
    p = actions.add_parser(
        "preview", help="list who would get what (level, CQL and count rules); sends nothing"
    )
    config_arg(p)
    p.add_argument("--community", metavar="ID", help="only this community (default: every one configured)")
    p.set_defaults(func=_sync(_automations_preview))
