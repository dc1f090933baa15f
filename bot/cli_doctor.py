"""`townsquare doctor`: connect with the real tokens and name every setup problem with its fix."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any


async def diagnose(settings: Any) -> tuple[list[Any], list[str]]:
    """Every problem found across the configured communities, and the ids checked without one.

    Each platform is checked on its own: one that cannot be reached is reported as a problem of its
    communities and never stops the others."""
    from adapters.doctor import Problem

    problems: list[Problem] = []
    platforms = {c.platform for c in settings.communities}
    if "discord" in platforms:
        from adapters.discord.doctor import diagnose as discord_diagnose

        if settings.discord is None:
            problems += _missing(settings, "discord", "add a [discord] section and export DISCORD_TOKEN")
        else:
            problems += await discord_diagnose(settings.discord, settings.communities)
    if "slack" in platforms:
        from adapters.slack.doctor import diagnose as slack_diagnose

        if settings.slack is None:
            problems += _missing(settings, "slack", "add a [slack] section and export SLACK_BOT_TOKEN")
        else:
            problems += await slack_diagnose(settings.slack, settings.communities)
    with_problems = {p.community_id for p in problems}
    fine = [c.id for c in settings.communities if c.platform != "fake" and c.id not in with_problems]
    return problems, fine


def _missing(settings: Any, platform: str, fix: str) -> list[Any]:
    from adapters.doctor import Problem

    return [
        Problem(c.id, f"communities on {platform} need a [{platform}] section", fix)
        for c in settings.communities
        if c.platform == platform
    ]


def cmd_doctor(args: argparse.Namespace) -> int:
    """Print one line per problem (with its fix); exit 1 when any was found."""
    import asyncio

    from bot.cli import _load

    settings = _load(args.config)
    problems, fine = asyncio.run(diagnose(settings))
    for problem in problems:
        print(problem.line())
    for community_id in fine:
        print(f"{community_id}: OK")
    for community in settings.communities:
        if community.platform == "fake":
            print(f"{community.id}: on the in-memory fake platform; nothing to check")
    return 1 if problems else 0


def add_parser(sub: Any, config_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register `doctor` on the main parser."""
    p = sub.add_parser(
        "doctor",
        help="check the bot's permissions, roles, channels and scopes on each platform, with fixes",
    )
    config_arg(p)
    p.set_defaults(func=cmd_doctor)
