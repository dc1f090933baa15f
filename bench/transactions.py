"""The fixed cost of a transaction and of a statement: the unit of work, the bus, SQLAlchemy, SQLite.

    python bench/transactions.py                 # 3000 of each, SQLite file in a temporary directory
    python bench/transactions.py -n 5000 --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench

Prints microseconds of this process's CPU time per operation, each the best of `--repeat` rounds
(a shared machine only adds): units of work (entered and left, with one prebuilt select, with
COMMIT, read-only), messages through the bus (a command, a platform event claimed by id, a job run
claimed), and one statement inside an open transaction through each layer (ORM select, Core select
through the session and through its connection, exec_driver_sql, and sqlite3 itself). A PostgreSQL
database given with --database-url is reset first.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import COMMUNITY, bench_app
from sqlalchemy import bindparam, select

from bot.core.bus import JobRun, MessageBus, Source
from bot.core.commands import Command
from bot.core.context import Context
from bot.core.events import Event
from bot.core.handlers import HandlerTable
from bot.core.replies import Reply
from storage.tables import OutboxRow

Op = Callable[[int], Awaitable[object]]


@dataclass(frozen=True, kw_only=True)
class Ping(Command):
    """A system command whose handler runs one select: the bus's own cost around one statement."""


@dataclass(frozen=True, kw_only=True)
class Pinged(Event):
    """An event nobody subscribes to: the bus's cost of claiming a platform event id."""


async def timed(label: str, op: Op, n: int, repeat: int) -> None:
    for i in range(min(n, 200)):
        await op(-1 - i)  # warm: statements compiled and cached, the pool's connections open
    best = float("inf")
    for r in range(repeat):
        started = time.process_time()
        for i in range(n):
            await op(r * n + i)
        best = min(best, (time.process_time() - started) / n)
    print(f"{best * 1e6:9.1f} us  {label}", flush=True)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=3000, help="operations per round")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best is printed")
    parser.add_argument("--database-url", help="a PostgreSQL database to use (reset first)")
    args = parser.parse_args()
    n, repeat = args.n, args.repeat

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        app = await bench_app(path, database_url=args.database_url)
        engine = app.engine
        uows = app.uow_factory
        reads = uows.read_only()
        outbox = OutboxRow.__table__
        orm = select(OutboxRow.id).where(OutboxRow.status == bindparam("s")).limit(1)
        core = select(outbox.c.id).where(outbox.c.status == bindparam("s")).limit(1)
        raw = "SELECT id FROM outbox WHERE status = ? LIMIT 1"
        if engine.dialect.name != "sqlite":
            raw = "SELECT id FROM outbox WHERE status = $1 LIMIT 1"

        print(f"per unit of work ({engine.dialect.name}):")

        async def empty(_: int) -> None:
            async with uows():
                pass

        async def select_commit(_: int) -> None:
            async with uows() as uow:
                (await uow.session.execute(orm, {"s": "pending"})).all()
                await uow.commit()

        async def select_only(_: int) -> None:
            async with uows() as uow:
                (await uow.session.execute(orm, {"s": "pending"})).all()

        async def read_select(_: int) -> None:
            async with reads() as uow:
                (await uow.session.execute(orm, {"s": "pending"})).all()

        await timed("enter and leave, no statement", empty, n, repeat)
        await timed("one ORM select, no commit (rolled back)", select_only, n, repeat)
        await timed("one ORM select + COMMIT", select_commit, n, repeat)
        await timed("read-only: one ORM select", read_select, n, repeat)

        print("per message through the bus (one unit of work each, committed):")
        handlers = HandlerTable()

        @handlers.command(Ping)
        async def ping(_command: Ping, ctx: Context) -> Reply:
            uow: Any = ctx.uow
            (await uow.session.execute(orm, {"s": "pending"})).all()
            return Reply.nothing()

        bus = MessageBus(
            uows,
            app.clock,
            handlers,
            app.bus.registry,
            {COMMUNITY: app.settings.communities[0]},
            read_factory=reads,
        )
        start = datetime(2026, 1, 1, tzinfo=UTC)
        await timed(
            "a command running one select", lambda _: bus.handle(Ping(community_id=COMMUNITY)), n, repeat
        )
        await timed(
            "a platform event, its id claimed (no subscriber)",
            lambda i: bus.handle(Pinged(community_id=COMMUNITY), source=Source("fake", f"e{i}")),
            n,
            repeat,
        )
        await timed(
            "a job run, claimed (one select)",
            lambda i: bus.handle(
                Ping(community_id=COMMUNITY), job=JobRun("ping", start + timedelta(minutes=i + 1000))
            ),
            n,
            repeat,
        )

        print("per statement, inside an open transaction:")
        async with uows() as uow:
            session = uow.session
            conn = await session.connection()

            async def run(statement: Callable[[], Awaitable[Any]]) -> Op:
                async def op(_: int) -> None:
                    (await statement()).all()

                return op

            await timed(
                "ORM select via session", await run(lambda: session.execute(orm, {"s": "pending"})), n, repeat
            )
            await timed(
                "Core select via session",
                await run(lambda: session.execute(core, {"s": "pending"})),
                n,
                repeat,
            )
            await timed(
                "Core select via connection",
                await run(lambda: conn.execute(core, {"s": "pending"})),
                n,
                repeat,
            )
            await timed(
                "exec_driver_sql", await run(lambda: conn.exec_driver_sql(raw, ("pending",))), n, repeat
            )
        if engine.dialect.name == "sqlite":
            db = sqlite3.connect(path)

            async def plain(_: int) -> None:
                db.execute(raw, ("pending",)).fetchall()

            await timed("sqlite3 itself", plain, n, repeat)
            db.close()
        await app.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
