"""The `townsquare` command line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot import __version__

if TYPE_CHECKING:  # imported lazily at run time, for a fast --help
    from adapters.slack.app import SlackAdapter
    from adapters.slack.runner import SlackServer
    from bot.bootstrap import App
    from bot.calendar_feed import FeedServer
    from bot.config import Settings
    from bot.core.registry import Registry

DEFAULT_CONFIG = os.environ.get("TOWNSQUARE_CONFIG", "config.toml")


def _load(path: str) -> Settings:
    from bot.config import ConfigError, load_settings
    from bot.logs import setup_logging

    try:
        settings = load_settings(path)
    except ConfigError as exc:
        print(f"townsquare: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    setup_logging(settings.logging.level, settings.secret_values(), settings.logging.libraries)
    return settings


def cmd_check_config(args: argparse.Namespace) -> int:
    from bot.config_checks import deployment_problems

    settings = _load(args.path)
    errors, notes = deployment_problems(settings, args.path)
    for line in errors + notes:
        print(f"townsquare: {line}", file=sys.stderr)
    if errors:
        return 2
    names = ", ".join(f"{c.id} ({c.platform})" for c in settings.communities)
    print(f"{args.path}: OK — {len(settings.communities)} community(ies): {names}")
    return 0


async def _migrate(config: str) -> None:
    from bot.cli_errors import CliFailure, checked_storage
    from storage.migrate import SchemaOutOfDate, current_revision, head_revision, upgrade

    async with checked_storage(_load(config), config, writes=True, schema=False, create=True) as storage:
        before = await current_revision(storage.engine)
        try:
            await upgrade(storage.engine, config_path=config)
        except SchemaOutOfDate as exc:
            raise CliFailure(str(exc)) from None
        print(f"database at {head_revision()} (was {before or 'empty'})")


def cmd_migrate(args: argparse.Namespace) -> int:
    import asyncio

    asyncio.run(_migrate(args.config))
    return 0


async def _run(config: str, dry_run: bool) -> int:
    import asyncio
    import signal

    from bot.bootstrap import build_app, start_app
    from bot.cli_errors import require_database_file
    from bot.clock import SystemClock
    from bot.core.effects import SINKS
    from bot.dryrun import LoggingNotifier
    from bot.features import assemble
    from bot.runtime import tune_garbage_collector
    from storage.migrate import SchemaOutOfDate

    settings = _load(config)
    clock = SystemClock()
    assembly = assemble()
    platforms = {c.platform for c in settings.communities}
    runners: list[Any] = []  # platform adapters to start: .platform, .notifier, async .run(app)
    slack = None
    if not dry_run:
        if "discord" in platforms or settings.discord is not None:
            from adapters.discord.runner import DiscordRunner, DiscordStartError

            try:
                runners.append(DiscordRunner(settings, clock))
            except DiscordStartError as exc:
                print(f"townsquare: {exc}", file=sys.stderr)
                return 2
        slack = _slack_adapter(settings, assembly.registry) if settings.slack is not None else None
        if slack is None and "slack" in platforms:
            print(
                "townsquare: communities on Slack need a [slack] section (see config.example.toml)",
                file=sys.stderr,
            )
            return 2
    notifiers: dict[str, Any] = {p: LoggingNotifier(p) for p in {*platforms, SINKS}} if dry_run else {}
    notifiers.update({runner.platform: runner.notifier for runner in runners})
    if slack is not None:
        notifiers["slack"] = slack.notifier
    require_database_file(settings, config)  # after the platform checks: configuration first
    app = build_app(settings, clock, notifiers, assembly=assembly, journal=True)
    try:
        await start_app(app, config)
    except SchemaOutOfDate as exc:
        print(f"townsquare: {exc}", file=sys.stderr)
        await app.close()
        return 2
    tune_garbage_collector()  # start-up is done: what it loaded stays for the process's life
    slack_server = await _start_slack(app, slack) if slack is not None else None
    inbound = await _start_inbound(app) if settings.inbound is not None else None
    feed_server: FeedServer | None = None
    if settings.calendar is not None:  # aiohttp's server and icalendar (~0.2 s) load only for a feed
        from bot.calendar_feed import serve_feeds_or_exit

        feed_server = await serve_feeds_or_exit(app)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"townsquare {__version__} running for {len(settings.communities)} community(ies); Ctrl-C stops")
    adapters = [asyncio.create_task(runner.run(app), name=runner.platform) for runner in runners]
    stopped = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([stopped, *adapters], return_when=asyncio.FIRST_COMPLETED)
    failures = [
        f"townsquare: {task.get_name()}: {task.exception()}"
        for task in adapters
        if task in done and task.exception() is not None
    ]
    for task in adapters:
        task.cancel()
    stopped.cancel()
    await asyncio.gather(*adapters, stopped, return_exceptions=True)
    if slack_server is not None:
        await slack_server.stop()
    if inbound is not None:
        await inbound.cleanup()
    if feed_server is not None:
        await feed_server.stop()
    await app.close()
    for failure in failures:  # last, after shutdown has logged: the line the operator must read
        print(failure, file=sys.stderr)
    return 1 if failures else 0


def _slack_adapter(settings: Settings, registry: Registry) -> SlackAdapter:  # slack-bolt loads only when used
    from adapters.slack.app import SlackConfigError
    from adapters.slack.runner import prepare_slack

    try:
        return prepare_slack(settings, registry)
    except SlackConfigError as exc:
        print(f"townsquare: slack: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


async def _start_inbound(app: App) -> Any:
    """The endpoint the business posts its facts to ([inbound]; docs/business.md)."""
    from adapters.sinks.inbound import start_inbound

    inbound = app.settings.inbound
    assert inbound is not None
    return await start_inbound(app.bus, inbound, inbound.community or app.settings.communities[0].id)


async def _start_slack(app: App, adapter: SlackAdapter) -> SlackServer:
    from adapters.slack.app import SlackConfigError
    from adapters.slack.runner import start_slack

    try:
        return await start_slack(app, adapter)
    except (SlackConfigError, OSError) as exc:  # a refused token, a port already taken…
        reason = exc if isinstance(exc, SlackConfigError) else f"cannot listen: {exc}"
        print(f"townsquare: slack: {reason}", file=sys.stderr)
        await app.close()
        raise SystemExit(2) from None


def cmd_run(args: argparse.Namespace) -> int:
    import asyncio

    return asyncio.run(_run(args.config, args.dry_run))


async def _outbox(config: str, retry: Sequence[str]) -> int:
    from bot.cli_errors import checked_storage
    from bot.relay_requeue import requeue_with_dependants

    async with checked_storage(_load(config), config, writes=bool(retry)) as storage:
        async with storage.uow_factory() as uow:
            if retry:
                from bot.clock import SystemClock

                wanted = await uow.outbox.parked_ids() if "all" in retry else [int(word) for word in retry]
                # Effects waiting on a requeued one (an edit of its post) follow it.
                count = await requeue_with_dependants(uow, wanted, SystemClock().now())
                await uow.commit()
                print(f"requeued {count} parked effect(s)")
                return 0
            parked = await uow.outbox.parked()
        if not parked:
            print("no parked effects: everything was delivered or is still being retried")
        for item in parked:
            line = (item.id, item.community_id, item.effect.kind, f"{item.attempts} tries", item.last_error)
            print("\t".join(str(part) for part in line))
        return 0


def cmd_outbox(args: argparse.Namespace) -> int:
    import asyncio

    from bot.cli_errors import retry_words

    return asyncio.run(_outbox(args.config, retry_words(args.retry, "--retry")))


def cmd_slack_manifest(args: argparse.Namespace) -> int:
    from adapters.slack.commands import CommandNames
    from adapters.slack.manifest import build_manifest, manifest_json
    from bot.features import assemble

    registry = assemble().registry

    overrides: dict[str, str] = {}
    if args.config:
        settings = _load(args.config)
        overrides = settings.slack.command_names if settings.slack else {}
    try:
        names = CommandNames(registry, overrides)
    except ValueError as exc:
        print(f"townsquare: slack: {exc}", file=sys.stderr)
        return 2
    manifest = build_manifest(registry, names, url=args.url)
    text = manifest_json(manifest)
    if args.write:
        with open(args.write, "w", encoding="utf-8") as out:
            out.write(text)
        print(f"wrote {args.write}")
    else:
        sys.stdout.write(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="townsquare",
        description="Townsquare: community operations for Discord and Slack (gates, cohorts, programming, "
        "badges, health metrics and the weekly digest).",
    )
    parser.add_argument("--version", action="version", version=f"townsquare {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def config_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--config", default=DEFAULT_CONFIG, help=f"configuration file (default: {DEFAULT_CONFIG})"
        )

    from bot.demo.cli import add_parser as add_demo_parser

    add_demo_parser(sub)
    p = sub.add_parser("run", help="run the bot (connects to the platforms configured)")
    config_arg(p)
    p.add_argument(
        "--dry-run", action="store_true", help="use the in-memory platform: effects are logged, not sent"
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("migrate", help="create or upgrade the database schema to the newest version")
    config_arg(p)
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("check-config", help="validate a configuration file and exit")
    p.add_argument("path", help="the TOML configuration file")
    p.set_defaults(func=cmd_check_config)

    p = sub.add_parser("outbox", help="list effects that kept failing (parked), or requeue them")
    config_arg(p)
    p.add_argument("--retry", nargs="+", metavar="ID", help="requeue these parked effects ('all': every one)")
    p.set_defaults(func=cmd_outbox)

    from bot.cli_ideas import add_ideas_parser

    add_ideas_parser(sub, config_arg)
    p = sub.add_parser("slack-manifest", help="print the Slack app manifest (every command, scope and event)")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="the public HTTPS URL of /slack/events (HTTP mode)")
    where.add_argument(
        "--socket-mode", dest="url", action="store_const", const=None, help="for Socket Mode (no URL)"
    )
    p.add_argument("--config", help="apply [slack] command_names from this configuration")
    p.add_argument("--write", metavar="FILE", help="write the manifest to FILE instead of printing it")
    p.set_defaults(func=cmd_slack_manifest)
    from bot.cli_digest import add_parsers as add_digest_parsers

    add_digest_parsers(sub, config_arg)
    from bot.cli_doctor import add_parser as add_doctor_parser
    from bot.cli_members import add_parser as add_members_parser

    add_members_parser(sub, config_arg)
    add_doctor_parser(sub, config_arg)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from bot.runtime import collector_for_a_command

    with collector_for_a_command():
        args = build_parser().parse_args(argv)  # --help and usage errors exit here
        from bot.cli_errors import run_verb

        return run_verb(args)


if __name__ == "__main__":
    raise SystemExit(main())
