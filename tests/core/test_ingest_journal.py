"""The ingest journal: facts are on disk before they count as taken, read back by the writer, kept
when the database cannot take them, replayed by the next process, counted once."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import App
from bot.clock import FixedClock
from bot.core.contributions.rules import ContributionFact, ContributionKind
from bot.core.events import MessagePosted, ReactionAdded
from bot.core.ports import UnitOfWork
from bot.ingest import ContributionIngestor
from bot.ingest_journal import Journal, decode, encode, journal_directory
from storage.contributions.tables import ContributionRow, MemberWeekRow
from tests.conftest import COMMUNITY
from tests.core.support import count, ref


def message(i: int, at: datetime) -> MessagePosted:
    return MessagePosted(
        community_id=COMMUNITY, member=ref(i % 7), channel_id="general", message_id=f"m{i}", at=at
    )


def ingestor(app: App, directory: Path, **kwargs: object) -> ContributionIngestor:
    return ContributionIngestor(
        app.uow_factory,
        app.clock,
        app.bus.communities,
        journal=Journal(directory),
        **kwargs,  # type: ignore[arg-type]
    )


async def _rolled(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.coalesce(func.sum(MemberWeekRow.count), 0))) or 0)


def test_a_fact_survives_the_round_trip_through_a_journal_line() -> None:
    fact = ContributionFact(
        community_id="c",
        member=ref(1),
        kind=ContributionKind.REACTION,
        weight=0.25,
        source_id='react:ch:m:"1"\n',
        at=datetime.fromisoformat("2026-11-02T09:00:00.123456+00:00"),
        channel_id="ch",
        target=ref(2),
        display_name="Zoë",
    )
    line = encode(fact)
    assert line.count(b"\n") == 1 and line.endswith(b"\n")
    assert decode(line) == fact


def test_the_journal_lives_next_to_the_sqlite_file_unless_configured() -> None:
    assert journal_directory("sqlite+aiosqlite:////data/town.db") == Path("/data/town.db.journal")
    assert journal_directory("postgresql+asyncpg://u@h/db") == Path("townsquare-journal")
    assert journal_directory("postgresql+asyncpg://u@h/db", "/var/j") == Path("/var/j")


async def test_facts_go_through_the_journal_and_a_clean_stop_leaves_no_file(
    app: App, engine: AsyncEngine, clock: FixedClock, tmp_path: Path
) -> None:
    ingest = ingestor(app, tmp_path / "j", batch_size=3, flush_seconds=0.01)
    ingest.start()
    for i in range(10):
        await ingest.submit(message(i, clock.now()))
    await ingest.submit(message(3, clock.now()))  # a replay
    assert ingest.offer(
        ReactionAdded(
            community_id=COMMUNITY,
            member=ref(8),
            channel_id="general",
            message_id="m1",
            at=clock.now(),
            message_author=ref(1),
        )
    )
    await ingest.drain()
    assert await count(engine, ContributionRow) == 11
    assert await _rolled(engine) == 11
    await ingest.stop()
    assert list((tmp_path / "j").iterdir()) == []


async def test_what_the_database_cannot_take_stays_in_the_journal_and_the_next_start_writes_it_once(
    app: App, engine: AsyncEngine, clock: FixedClock, tmp_path: Path
) -> None:
    first = ingestor(app, tmp_path / "j", batch_size=4, flush_seconds=0.01)
    for i in range(6):  # written once by the first process, before the database goes away
        await first.submit(message(i, clock.now()))
    first.start()
    await first.drain()
    assert await count(engine, ContributionRow) == 6

    def down() -> UnitOfWork:
        raise ConnectionRefusedError("the database is down")

    working: Callable[[], UnitOfWork] = first.uow_factory
    first.uow_factory = down
    for i in range(6, 20):
        await first.submit(message(i, clock.now()))
    await first.stop(grace_seconds=0.3)
    assert await count(engine, ContributionRow) == 6
    assert list((tmp_path / "j").glob("*.jsonl")), "kept for the next start"

    second = ContributionIngestor(working, app.clock, app.bus.communities, journal=Journal(tmp_path / "j"))
    second.start()
    await second.drain()
    await second.stop()
    assert await count(engine, ContributionRow) == 20
    assert await _rolled(engine) == 20  # the six written before are replayed too, and count once
    assert list((tmp_path / "j").iterdir()) == []


async def test_a_full_journal_refuses_an_offer_and_counts_it(
    app: App, clock: FixedClock, tmp_path: Path
) -> None:
    ingest = ingestor(app, tmp_path / "j", max_pending=2)
    assert ingest.offer(message(1, clock.now())) and ingest.offer(message(2, clock.now()))
    assert not ingest.offer(message(3, clock.now()))
    assert ingest.stats.refused == 1
    ingest.start()
    await ingest.drain()
    assert ingest.offer(message(3, clock.now()))  # room again
    await ingest.stop()
    assert ingest.stats.inserted == 3


async def test_segments_roll_over_and_are_read_in_order(
    app: App, engine: AsyncEngine, clock: FixedClock, tmp_path: Path
) -> None:
    ingest = ContributionIngestor(
        app.uow_factory,
        app.clock,
        app.bus.communities,
        journal=Journal(tmp_path / "j", segment_bytes=400),
        batch_size=5,
        flush_seconds=0.0,
    )
    for i in range(40):
        await ingest.submit(message(i, clock.now()))
    assert len(list((tmp_path / "j").glob("*.jsonl"))) > 3
    ingest.start()
    await ingest.drain()
    await ingest.stop()
    assert await count(engine, ContributionRow) == 40
    assert list((tmp_path / "j").iterdir()) == []


@pytest.mark.parametrize("torn", [b'["bench","fake","1"', b"not json\n"])
async def test_a_torn_or_unreadable_line_is_skipped(
    app: App, engine: AsyncEngine, clock: FixedClock, tmp_path: Path, torn: bytes
) -> None:
    directory = tmp_path / "j"
    directory.mkdir()
    (directory / "dead.lock").write_bytes(b"")
    good = ContributionFact(
        community_id=COMMUNITY,
        member=ref(1),
        kind=ContributionKind.MESSAGE,
        weight=1.0,
        source_id="msg:general:x",
        at=clock.now(),
        channel_id="general",
    )
    (directory / "dead.000001.jsonl").write_bytes(encode(good) + torn)
    ingest = ingestor(app, directory)
    ingest.start()
    await ingest.drain()
    await ingest.stop()
    assert await count(engine, ContributionRow) == 1
    assert list(directory.iterdir()) == []


def _fact(i: int, at: datetime) -> ContributionFact:
    return ContributionFact(
        community_id=COMMUNITY,
        member=ref(i % 3),
        kind=ContributionKind.MESSAGE,
        weight=1.0,
        source_id=f"msg:general:{i}",
        at=at,
        channel_id="general",
    )


def test_the_reader_takes_recent_facts_from_memory_and_older_ones_from_the_file(
    tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.ingest_journal.RECENT_FACTS", 3)
    journal = Journal(tmp_path / "j", segment_bytes=300)  # a few segments: the lines span them
    journal.open()
    facts = [_fact(i, clock.now()) for i in range(8)]
    for fact in facts:
        journal.append(fact)
    read = journal.read(100)
    assert read == facts  # in order, none lost, none twice
    assert [r is f for r, f in zip(read, facts, strict=True)] == [False] * 5 + [True] * 3
    journal.append(facts[0])  # the same fact again (a replay): read back once more, as it was appended
    assert journal.read(100) == [facts[0]]
    journal.close(everything_written=True)


def test_a_line_that_is_not_the_oldest_in_memory_is_decoded_and_the_rest_still_comes_from_memory(
    tmp_path: Path, clock: FixedClock
) -> None:
    journal = Journal(tmp_path / "j")
    journal.open()
    facts = [_fact(i, clock.now()) for i in range(4)]
    for fact in facts[:2]:
        journal.append(fact)
    journal._recent.popleft()  # as if its line had not matched (say, torn by a failing disk)
    for fact in facts[2:]:
        journal.append(fact)
    read = journal.read(100)
    assert read == facts
    assert [r is f for r, f in zip(read, facts, strict=True)] == [False, True, True, True]
    journal.close(everything_written=True)


async def test_the_periodic_fsync_runs_off_the_event_loop_and_leaves_no_descriptor_open(
    tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(threading.get_ident()), real_fsync(fd)))
    journal = Journal(tmp_path / "j")
    journal.open()
    descriptors = len(os.listdir("/proc/self/fd"))
    journal.append(_fact(1, clock.now()))
    await journal.sync_off_loop()
    await journal.sync_off_loop()  # nothing appended since: no second fsync
    assert len(synced) == 1 and synced[0] != threading.get_ident()
    assert len(os.listdir("/proc/self/fd")) == descriptors
    assert journal.read(10) == [_fact(1, clock.now())]
    journal.close(everything_written=True)


async def test_facts_offered_in_one_turn_of_the_event_loop_are_written_together_when_it_ends(
    tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[bytes] = []
    real_write = os.write

    def recording(fd: int, data: bytes) -> int:
        writes.append(bytes(data))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", recording)
    journal = Journal(tmp_path / "j")
    journal.open()
    facts = [_fact(i, clock.now()) for i in range(5)]
    for fact in facts[:3]:
        journal.append_soon(fact)
    assert writes == []  # a gateway reader's frames of this turn: written once the turn ends
    await asyncio.sleep(0)
    assert [w.count(b"\n") for w in writes] == [3]
    journal.append_soon(facts[3])
    journal.append(facts[4])  # a submit: on disk before it returns, after what came before it
    assert [w.count(b"\n") for w in writes] == [3, 2]
    assert journal.read(100) == facts
    journal.close(everything_written=False)  # as a process that stops with them unwritten
    (segment,) = (tmp_path / "j").glob("*.jsonl")
    assert [decode(line) for line in segment.read_bytes().splitlines(keepends=True)] == facts


def test_a_line_that_could_not_be_written_is_written_with_the_next(
    tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = os.write
    journal = Journal(tmp_path / "j")
    journal.open()
    facts = [_fact(i, clock.now()) for i in range(2)]

    def full_disk(fd: int, data: bytes) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full_disk)
    with pytest.raises(OSError):
        journal.append(facts[0])
    monkeypatch.setattr(os, "write", real_write)
    journal.append(facts[1])
    journal.close(everything_written=False)
    (segment,) = (tmp_path / "j").glob("*.jsonl")
    assert [decode(line) for line in segment.read_bytes().splitlines(keepends=True)] == facts
