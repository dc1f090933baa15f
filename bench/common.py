"""Shared set-up for the benchmarks: a migrated SQLite file and the real app wired to it."""

from __future__ import annotations

import resource
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.bootstrap import App, build_app  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.runtime import tune_garbage_collector  # noqa: E402
from storage.db import create_engine  # noqa: E402
from storage.migrate import downgrade, upgrade  # noqa: E402

COMMUNITY = "bench"


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def migrated(path: Path, database_url: str | None = None) -> None:
    """Create the schema in a fresh SQLite file (or the given server database, emptied first)."""
    engine = create_engine(database_url or sqlite_url(path))
    try:
        if engine.dialect.name != "sqlite":
            await downgrade(engine)  # a database an earlier run left behind
        await upgrade(engine)
    finally:
        await engine.dispose()


async def bench_app(
    path: Path, *, journal: bool = False, discord_guild: int | None = None, database_url: str | None = None
) -> App:
    """The real app (bus, relay, ingest) on a migrated SQLite file (or the given server database),
    with one community (on the in-memory platform, or on Discord in `discord_guild`); `journal`: the
    ingest journal of `townsquare run`, next to the file."""
    await migrated(path, database_url)
    community: dict[str, object] = {"id": COMMUNITY, "name": "Bench", "platform": "fake"}
    if discord_guild is not None:
        community.update(platform="discord", discord={"guild_id": discord_guild})
    settings = Settings.model_validate(
        {"database": {"url": database_url or sqlite_url(path)}, "communities": [community]}
    )
    app = build_app(settings, SystemClock(), {}, journal=journal)
    await app.ensure_communities()
    tune_garbage_collector()  # as `townsquare run` does once it has started
    return app


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / (1024 * 1024)
