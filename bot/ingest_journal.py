"""The ingest journal: contribution facts written to a local append-only file before they count as
taken, read back by the ingest writer, and replayed after a crash.

Layout, in one directory (next to the SQLite file by default): each process holds `<token>.lock`
(flock'd while it lives) and appends to `<token>.<n>.jsonl` segments of about `segment_bytes`, one
JSON line per fact. `append` writes its line before it returns (so `kill -9` cannot lose it: the
operating system has it); `append_soon`, for a gateway reader taking frames back to back, writes the
lines of one turn of the event loop with one `write()` when the turn ends (so `kill -9` can lose
those of the frames just read, as it loses the frames still in the socket's buffer). The file is
fsync'd at most every `fsync_seconds` (what a power cut can lose; on a worker thread, so the event
loop does not wait for the disk) and on close. The writer reads the facts back in order; the latest
`RECENT_FACTS` facts this process appended are also kept in memory with where their lines are, so
the writer takes those from memory without reading or decoding their lines (memory stays bounded: a
writer further behind reads and decodes from the file). A segment is deleted once every fact in it
is in the database. On start, a process takes over the segments of any
lock file it can lock (a process that died) and reads them first: the database dedupes on each
contribution's source id, so a fact written twice counts once.

Metadata only, like the database: who, what kind, where, when; never message text.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import secrets
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

import orjson
from sqlalchemy.engine import make_url

from bot.core.contributions.rules import ContributionFact, ContributionKind
from bot.core.refs import MemberRef

log = logging.getLogger("townsquare.ingest")

DEFAULT_DIRECTORY = "townsquare-journal"
SEGMENT_BYTES = 8 * 1024 * 1024
_KINDS = {kind.value: kind for kind in ContributionKind}  # a dict lookup: Enum(value) is slow per line
FSYNC_SECONDS = 1.0
RECENT_FACTS = 20_000  # facts kept in memory after their append, so the writer need not decode them
FLUSH_BYTES = 256 * 1024  # lines appended "soon" are written at the latest when this many wait


def journal_directory(database_url: str, configured: str = "") -> Path:
    """Where the journal lives: as configured, else next to a SQLite file, else ./townsquare-journal."""
    if configured.strip():
        return Path(configured.strip())
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(f"{url.database}.journal")
    return Path(DEFAULT_DIRECTORY)


def encode(fact: ContributionFact) -> bytes:
    """One journal line (no newline inside: JSON escapes it). The time as orjson writes a datetime:
    the text of `isoformat()`, four times faster."""
    target = fact.target
    return orjson.dumps(
        (
            fact.community_id,
            fact.member.platform,
            fact.member.user_id,
            fact.kind._value_,  # not .value: an Enum property costs a Python call per fact
            fact.weight,
            fact.source_id,
            fact.at,
            fact.channel_id,
            target.platform if target else None,
            target.user_id if target else None,
            fact.by_staff,
            fact.display_name,
        ),
        option=orjson.OPT_APPEND_NEWLINE,
    )


def decode(line: bytes) -> ContributionFact:
    """The fact of one journal line; ValueError (or KeyError/TypeError) for a torn or foreign line."""
    (community, platform, user, kind, weight, source, at, channel, t_platform, t_user, staff, name) = (
        orjson.loads(line)
    )
    return ContributionFact(
        community_id=community,
        member=MemberRef(platform, user),
        kind=_KINDS[kind],
        weight=float(weight),
        source_id=source,
        at=datetime.fromisoformat(at),
        channel_id=channel,
        target=MemberRef(t_platform, t_user) if t_platform is not None else None,
        by_staff=bool(staff),
        display_name=name,
    )


def _fsync_and_close(fd: int) -> None:
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(eq=False)
class _Segment:
    path: Path
    lock: IO[bytes] | None = None  # set on the last segment of a taken-over process: its lock file
    size: int | None = None  # this process's segments, once rolled over: their final size


@dataclass
class _Reader:
    segment: _Segment
    handle: IO[bytes] | None = None  # opened when a line must come from the file
    position: int = 0  # of the next line to read (the handle may be elsewhere: `seek` first)
    finished: list[_Segment] = field(default_factory=list)  # read to the end, delete once written


# A fact appended by this process, and where its line is: (segment, start, length, fact). A plain
# tuple: made for every fact, and a NamedTuple's constructor is a Python call.
_Recent = tuple[_Segment, int, int, ContributionFact]


class Journal:
    """Append-only fact files of this process, and the reader the ingest writer drains them with."""

    def __init__(
        self, directory: Path, *, segment_bytes: int = SEGMENT_BYTES, fsync_seconds: float = FSYNC_SECONDS
    ) -> None:
        self.directory = directory
        self.segment_bytes = segment_bytes
        self.fsync_seconds = fsync_seconds
        self.token = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.recovered = 0  # segments taken over from processes that died
        self._lock: IO[bytes] | None = None
        self._fd = -1
        self._segment: _Segment | None = None  # the one being appended to
        self._number = 0
        self._size = 0  # of the current segment, lines not yet written included
        self._dirty = False
        self._pending: list[bytes] = []  # lines appended "soon", not yet written
        self._pending_bytes = 0
        self._flush_scheduled = False
        self._queue: deque[_Segment] = deque()  # segments not yet opened by the reader, oldest first
        # The latest appended facts and where their lines are, oldest first, at most RECENT_FACTS:
        # the reader takes the fact instead of reading the line at that place.
        self._recent: deque[_Recent] = deque()
        self._reader: _Reader | None = None

    # --- the writing side -------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._lock is not None

    def open(self) -> None:
        """Lock this process's journal, and queue for reading what dead processes left behind."""
        if self.is_open:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        for lock_path in sorted(self.directory.glob("*.lock")):
            taken = self._take_over(lock_path)
            if taken:
                self._queue.extend(taken)
        self._lock = open(self.directory / f"{self.token}.lock", "wb")  # noqa: SIM115  (held until close)
        fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._roll()

    def append(self, fact: ContributionFact) -> None:
        """Write one fact down; it survives this process from the moment this returns."""
        self.append_soon(fact)
        self.flush()

    def append_soon(self, fact: ContributionFact) -> None:
        """Write one fact down at the end of this turn of the event loop, with whatever else is
        appended in it (at once outside an event loop, or once `FLUSH_BYTES` wait): one `write()`
        for the frames a gateway reader takes back to back, not one per frame."""
        if not self.is_open:
            self.open()
        line = encode(fact)
        length = len(line)
        segment = self._segment
        assert segment is not None
        recent = self._recent
        recent.append((segment, self._size, length, fact))
        if len(recent) > RECENT_FACTS:
            recent.popleft()  # the writer is behind: it reads the older ones back from the file
        self._pending.append(line)
        self._pending_bytes += length
        self._size += length
        if self._size >= self.segment_bytes:
            self.flush()
            self.sync()
            self._roll()
        elif self._pending_bytes >= FLUSH_BYTES:
            self.flush()
        elif not self._flush_scheduled:
            try:
                asyncio.get_running_loop().call_soon(self.flush)
            except RuntimeError:  # no event loop: now
                self.flush()
            else:
                self._flush_scheduled = True

    def flush(self) -> None:
        """Write the lines appended "soon" (the operating system has them once this returns)."""
        self._flush_scheduled = False
        if not self._pending:
            return
        data = b"".join(self._pending)
        self._pending.clear()
        self._pending_bytes = 0
        written = 0
        try:
            while written < len(data):  # a regular file takes it all at once
                written += os.write(self._fd, data[written:])
        except BaseException:  # (a full disk): what is not written waits for the next flush
            self._pending.append(data[written:])
            self._pending_bytes = len(data) - written
            raise
        finally:
            self._dirty = self._dirty or written > 0

    def sync(self) -> None:
        """fsync the current segment if anything was appended since the last time."""
        self.flush()
        if self._dirty and self._fd >= 0:
            os.fsync(self._fd)
            self._dirty = False

    async def sync_off_loop(self) -> None:
        """sync() on a worker thread, so the event loop does not stall for the disk: on a duplicate
        of the descriptor (closed by that thread), so a segment rolled meanwhile is still synced."""
        self.flush()
        if not self._dirty or self._fd < 0:
            return
        fd = os.dup(self._fd)
        self._dirty = False
        await asyncio.to_thread(_fsync_and_close, fd)

    def close(self, *, everything_written: bool) -> None:
        """fsync and release; with nothing left to write, the files go (a clean stop leaves none)."""
        self.sync()
        self._recent.clear()
        if self._reader is not None and self._reader.handle is not None:
            self._reader.handle.close()
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if everything_written:
            self._delete_read_segments(all_of_them=True)
            for path in self.directory.glob(f"{self.token}.*.jsonl"):
                path.unlink(missing_ok=True)
            (self.directory / f"{self.token}.lock").unlink(missing_ok=True)
        held = [*self._queue, *([*self._reader.finished, self._reader.segment] if self._reader else [])]
        for segment in held:  # the locks of dead processes' journals not written yet: the next start's
            if segment.lock is not None:
                segment.lock.close()
                segment.lock = None
        if self._lock is not None:
            self._lock.close()  # releases the flock: a later process replays what is left
            self._lock = None

    def _roll(self) -> None:
        self.flush()
        if self._fd >= 0:
            os.close(self._fd)
        if self._segment is not None:
            self._segment.size = self._size
        self._number += 1
        segment = _Segment(self.directory / f"{self.token}.{self._number:06d}.jsonl")
        self._fd = os.open(segment.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._segment = segment
        self._size = 0
        self._queue.append(segment)

    def _take_over(self, lock_path: Path) -> list[_Segment]:
        """The segments of a dead process (its lock file could be locked), with the lock held."""
        handle = open(lock_path, "rb")  # noqa: SIM115  (held until its segments are written)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()  # a live process
            return []
        token = lock_path.name.removesuffix(".lock")
        segments = [_Segment(p) for p in sorted(self.directory.glob(f"{token}.*.jsonl"))]
        if not segments:
            lock_path.unlink(missing_ok=True)
            handle.close()
            return []
        segments[-1].lock = handle
        self.recovered += len(segments)
        log.warning("replaying %d journal segment(s) of a process that stopped (%s)", len(segments), token)
        return segments

    # --- the reading side (the ingest writer) -----------------------------------------------------

    def read(self, limit: int) -> list[ContributionFact]:
        """Up to `limit` facts not read yet, oldest first ([] when caught up)."""
        facts: list[ContributionFact] = []
        recent = self._recent
        while len(facts) < limit:
            reader = self._reader_at_data()
            if reader is None:
                break
            if recent:
                segment, start, length, fact = recent[0]
                if segment is reader.segment and start <= reader.position:
                    recent.popleft()
                    if start == reader.position:  # the next line is this fact: no need to read it
                        facts.append(fact)
                        reader.position += length
                    continue
            if reader.segment.size is not None and reader.position >= reader.segment.size:
                if not self._advance():
                    break
                continue
            line = self._read_line(reader)
            if not line:
                if not self._advance():
                    break
                continue
            if not line.endswith(b"\n"):  # a torn last line of a dead process: nothing more follows
                log.warning("skipping a torn line at the end of %s", reader.segment.path.name)
                continue
            try:
                facts.append(decode(line))
            except (ValueError, KeyError, TypeError):  # orjson.JSONDecodeError is a ValueError
                log.warning("skipping an unreadable journal line in %s", reader.segment.path.name)
        return facts

    def _read_line(self, reader: _Reader) -> bytes:
        """The line at the reader's position, from the file ('' at its end)."""
        if reader.segment is self._segment:
            self.flush()  # the lines of this turn, if they are what comes next
        handle = reader.handle
        if handle is None:
            handle = reader.handle = open(reader.segment.path, "rb")  # noqa: SIM115
        if handle.tell() != reader.position:
            handle.seek(reader.position)
        line = handle.readline()
        reader.position += len(line)
        return line

    def written(self) -> None:
        """Everything read so far is in the database: delete the segments read to their end."""
        self._delete_read_segments(all_of_them=False)

    def _reader_at_data(self) -> _Reader | None:
        if self._reader is None:
            if not self._queue:
                return None
            self._reader = _Reader(self._queue.popleft())
        return self._reader

    def _advance(self) -> bool:
        """At the end of the current segment: move on when it is complete (not the one being written)."""
        reader = self._reader
        assert reader is not None
        if not self._queue:
            return False  # the segment this process is appending to: more may come
        if reader.handle is not None:
            reader.handle.close()
        self._reader = _Reader(self._queue.popleft(), finished=[*reader.finished, reader.segment])
        return True

    def _delete_read_segments(self, *, all_of_them: bool) -> None:
        reader = self._reader
        if reader is None:
            return
        done = reader.finished + ([reader.segment] if all_of_them else [])
        for segment in done:
            segment.path.unlink(missing_ok=True)
            if segment.lock is not None:
                Path(segment.lock.name).unlink(missing_ok=True)
                segment.lock.close()
        reader.finished = []
