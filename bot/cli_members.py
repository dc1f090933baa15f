"""`townsquare members import`: adopt the people already on the server or workspace, on demand."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from typing import Any

# Platform → the module whose `import_members(settings, community, bus, dry_run)` lists that platform's
# existing members and adopts them (adapters/adoption.py's `adopt_pages`). Imported only when used, so
# `townsquare --help` loads neither discord.py nor slack-bolt.
IMPORTERS: dict[str, str] = {
    "discord": "adapters.discord.adoption",
    "slack": "adapters.slack.adoption",
}


class UsageError(Exception):
    """A mistake in the arguments or the configuration; the message says what to change."""


def select_communities(settings: Any, community_id: str | None) -> list[Any]:
    """The community named with --community, or every configured one."""
    if community_id is None:
        return list(settings.communities)
    try:
        return [settings.community(community_id)]
    except KeyError:
        known = ", ".join(c.id for c in settings.communities)
        raise UsageError(f"--community {community_id!r} is not configured (configured: {known})") from None


def importer(platform: str) -> Callable[..., Any]:
    """The platform's `import_members`; UsageError when the platform cannot list its members."""
    module_name = IMPORTERS.get(platform)
    if module_name is None:
        raise UsageError(
            f"the {platform!r} platform cannot list its members; admit people one by one with /admit "
            "@user, or configure the community on Discord or Slack"
        )
    return importlib.import_module(module_name).import_members  # type: ignore[no-any-return]


async def _import(args: argparse.Namespace) -> int:
    from bot.bootstrap import build_app
    from bot.cli import _load
    from bot.cli_errors import require_database_file
    from bot.clock import SystemClock
    from storage.migrate import SchemaOutOfDate, require_current

    settings = _load(args.config)
    require_database_file(settings, args.config)
    try:
        communities = select_communities(settings, args.community)
    except UsageError as exc:
        print(f"townsquare members import: {exc}", file=sys.stderr)
        return 2
    # No notifiers and no relay here: what adoption queues (role grants, welcomes) waits in the outbox
    # and goes out when `townsquare run` delivers it.
    app = build_app(settings, SystemClock())
    try:
        try:
            await require_current(app.engine, args.config)
        except SchemaOutOfDate as exc:
            print(f"townsquare members import: {exc}", file=sys.stderr)
            return 2
        await app.ensure_communities()
        status = 0
        for community in communities:
            try:
                import_members = importer(community.platform)
                report = await import_members(settings, community, app.bus, args.dry_run)
            except UsageError as exc:
                print(f"townsquare members import: {community.id}: {exc}", file=sys.stderr)
                status = 2
                continue
            except Exception as exc:  # noqa: BLE001  (one community failing never stops the others)
                print(f"townsquare members import: {community.id}: {exc}", file=sys.stderr)
                status = status or 1
                continue
            print(report.line())
        return status
    finally:
        await app.close()


def cmd_members_import(args: argparse.Namespace) -> int:
    import asyncio

    return asyncio.run(_import(args))


def add_parser(sub: Any, config_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register `members import` on the main parser."""
    members = sub.add_parser("members", help="adopt the people on the server; export consenting members")
    actions = members.add_subparsers(dest="members_command", required=True, metavar="ACTION")
    p = actions.add_parser(
        "import",
        help="make everyone who holds the member role (Discord) or sits in a member channel (Slack) a member",
    )
    config_arg(p)
    p.add_argument("--community", metavar="ID", help="only this community (default: every one configured)")
    p.add_argument("--dry-run", action="store_true", help="print what would change, change nothing")
    p.set_defaults(func=cmd_members_import)
    from bot.cli_business import add_parsers as add_business_parsers

    add_business_parsers(sub, actions, config_arg)
