"""The `townsquare` command line."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Sequence

from bot import __version__

DEFAULT_CONFIG = os.environ.get("TOWNSQUARE_CONFIG", "config.toml")


def _load(path: str):  # noqa: ANN202  (returns bot.config.Settings; imported lazily for a fast --help)
    from bot.config import ConfigError, load_settings
    from bot.logs import setup_logging

    try:
        settings = load_settings(path)
    except ConfigError as exc:
        print(f"townsquare: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    secrets = []
    if settings.discord and settings.discord.token:
        secrets.append(settings.discord.token.get_secret_value())
    if settings.slack:
        for secret in (settings.slack.bot_token, settings.slack.signing_secret, settings.slack.app_token):
            if secret:
                secrets.append(secret.get_secret_value())
    setup_logging(settings.logging.level, secrets)
    return settings


def cmd_check_config(args: argparse.Namespace) -> int:
    settings = _load(args.path)
    names = ", ".join(f"{c.id} ({c.platform})" for c in settings.communities)
    print(f"{args.path}: OK — {len(settings.communities)} community(ies): {names}")
    return 0


async def _migrate(config: str) -> None:
    from storage.db import create_engine
    from storage.migrate import current_revision, head_revision, upgrade

    settings = _load(config)
    engine = create_engine(settings.database.url)
    try:
        before = await current_revision(engine)
        await upgrade(engine)
        print(f"database at {head_revision()} (was {before or 'empty'})")
    finally:
        await engine.dispose()


def cmd_migrate(args: argparse.Namespace) -> int:
    asyncio.run(_migrate(args.config))
    return 0


async def _run(config: str, dry_run: bool) -> int:
    from bot.bootstrap import build_app, start_app
    from bot.clock import SystemClock
    from bot.dryrun import LoggingNotifier
    from storage.migrate import SchemaOutOfDate

    settings = _load(config)
    platforms = {c.platform for c in settings.communities}
    if not dry_run:
        missing = [p for p in sorted(platforms) if p in ("discord", "slack")]
        if missing:
            print(
                f"townsquare: the {', '.join(missing)} adapter is not available in this build yet; "
                "use --dry-run to run the core with the in-memory platform",
                file=sys.stderr,
            )
            return 2
    notifiers = {p: LoggingNotifier(p) for p in platforms} if dry_run else {}
    app = build_app(settings, SystemClock(), notifiers)
    try:
        await start_app(app, config)
    except SchemaOutOfDate as exc:
        print(f"townsquare: {exc}", file=sys.stderr)
        await app.close()
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"townsquare {__version__} running for {len(settings.communities)} community(ies); Ctrl-C stops")
    await stop.wait()
    await app.close()
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args.config, args.dry_run))


async def _outbox(config: str, retry: Sequence[int]) -> int:
    from storage.db import create_engine
    from storage.uow import SqlUnitOfWorkFactory

    settings = _load(config)
    engine = create_engine(settings.database.url)
    try:
        async with SqlUnitOfWorkFactory(engine)() as uow:
            if retry:
                from bot.clock import SystemClock

                count = await uow.outbox.requeue_parked(list(retry), SystemClock().now())
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
    finally:
        await engine.dispose()


def cmd_outbox(args: argparse.Namespace) -> int:
    return asyncio.run(_outbox(args.config, args.retry or []))


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
    p.add_argument("--retry", type=int, nargs="+", metavar="ID", help="requeue these parked effects")
    p.set_defaults(func=cmd_outbox)

    from bot.cli_digest import add_parsers as add_digest_parsers

    add_digest_parsers(sub, config_arg)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
