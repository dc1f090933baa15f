"""The lean gateway path for the high-volume events: MESSAGE_CREATE and MESSAGE_REACTION_ADD in a
guild are read from the raw gateway payload into a platform fact and offered to the contribution
ingest right in the websocket reader, without building discord.py's Message / Member objects and
without a task per event (discord.py would run every `on_message` as its own task).

This wraps the parsers of discord.py's ConnectionState (`client._connection.parsers`, the dict the
websocket looks each dispatch up in), as `TownsquareClient._watch_member_updates` does. Direct
messages still take discord.py's own path. The ingest takes a fact without waiting (its journal is on
disk): the reader keeps reading, so heartbeats keep flowing, and memory does not grow with the backlog.
What the ingest cannot take is refused, counted (`ingest.stats.refused`) and logged.

The websocket's per-frame work is trimmed too (`LeanGateway.attach`, on every new websocket): a frame
already read off the wire is taken without arming discord.py's dead-connection timer (a timer per
frame costs about as much as the rest of reading it; one is armed whenever the reader has to wait),
and the two lean events are decoded once and handed to their parsers directly, without discord.py's
per-frame `socket_event_type` dispatch unless something listens to it. Any other frame, or any frame
while discord.py's debug logging or debug events are on, takes discord.py's own path.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import aiohttp
import discord
import discord.gateway
from discord.utils import DISCORD_EPOCH, _from_json

from adapters.discord.identity import Communities
from adapters.shared import RecentIds
from bot.config import CommunityConfig
from bot.core.events import Event, MessagePosted, ReactionAdded
from bot.core.ports import Clock
from bot.core.refs import MemberRef

log = logging.getLogger("townsquare.discord.events")

COUNTED_TYPES = frozenset({discord.MessageType.default.value, discord.MessageType.reply.value})

Parser = Callable[[Any], None]
PACE_SECONDS = 0.002  # the longest the reader keeps the event loop to itself in a burst
LEAN_EVENTS = frozenset({"MESSAGE_CREATE", "MESSAGE_REACTION_ADD"})
_DATA_FRAMES = frozenset({aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY})
_gateway_log = logging.getLogger(discord.gateway.__name__)
REFS_CACHED = 50_000  # member references reused across events (one object per person, not per event)
GUILDS_CACHED = 1_000  # guild id → community, looked up once per guild


def _snowflake_time(snowflake: int) -> datetime:
    """discord.utils.snowflake_time, without its keyword call: the same aware UTC time."""
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH) / 1000, UTC)


class FactSink(Protocol):
    def offer(self, event: Event) -> bool: ...


class LeanGateway:
    """Payload → fact for messages and reactions; installed into a client's parser table."""

    def __init__(
        self,
        client: discord.Client,
        communities: Communities,
        sink: FactSink,
        clock: Clock,
        recent: RecentIds,
    ) -> None:
        self.client = client
        self.communities = communities
        self.sink = sink
        self.clock = clock
        self.recent = recent
        self._installed: dict[str, Parser] = {}
        self._refs: dict[str, MemberRef] = {}
        self._by_guild: dict[Any, CommunityConfig | None] = {}

    def install(self, parsers: dict[str, Parser]) -> None:
        """Replace the two parsers (once: a second install keeps the first), and attach to each new
        websocket at its READY or RESUMED."""
        for name in ("READY", "RESUMED"):
            if name in self._installed:
                continue
            parse_session = parsers[name]

            def parse_and_attach(data: Any, parse_session: Parser = parse_session) -> None:
                parse_session(data)
                self.attach(self.client.ws)

            parsers[name] = self._installed[name] = parse_and_attach
        for name, lean in (("MESSAGE_CREATE", self.message), ("MESSAGE_REACTION_ADD", self.reaction)):
            full = parsers[name]
            if self._installed.get(name) is full:
                continue

            def parse(data: Any, lean: Callable[[Any], bool] = lean, full: Parser = full) -> None:
                if not lean(data):
                    full(data)

            parsers[name] = self._installed[name] = parse

    def attach(self, ws: Any) -> None:
        """Trim a websocket's per-frame work (once per websocket, from its READY or RESUMED on): see
        the module's docstring. And let other tasks run while frames are read back to back: while
        frames are buffered, discord.py's reader loop never suspends, so in a burst the ingest writer
        (and everything else) would wait for the burst to end. It yields once every `PACE_SECONDS`
        of reading rather than after every frame: a turn of the event loop per frame (a poll of the
        selector each time) costs about as much as reading the frame."""
        if ws is None or getattr(ws, "townsquare_paced", False):
            return
        poll, full = ws.poll_event, ws.received_message
        read_ahead = _read_ahead(ws.socket)
        client = self.client
        debug_events = client._enable_debug_events or hasattr(client, "on_socket_event_type")
        yielded = [time.monotonic()]

        async def paced_poll() -> None:
            if read_ahead and read_ahead[0][0].type in _DATA_FRAMES:
                # A frame is waiting: discord.py's read returns it at once, so no timer for it.
                timeout, ws._max_heartbeat_timeout = ws._max_heartbeat_timeout, None
                try:
                    await poll()
                finally:
                    ws._max_heartbeat_timeout = timeout
            else:
                await poll()
            now = time.monotonic()
            if now - yielded[0] >= PACE_SECONDS:
                await asyncio.sleep(0)
                yielded[0] = time.monotonic()

        async def received_message(msg: Any) -> None:
            if type(msg) is bytes:
                msg = ws._decompressor.decompress(msg)
                if msg is None:  # part of a message
                    return
            frame = _from_json(msg)
            event = frame.get("t")
            if (
                event not in LEAN_EVENTS
                or frame.get("op") != ws.DISPATCH
                or ws._dispatch_listeners
                or debug_events
                or client._listeners.get("socket_event_type")
                or _gateway_log.isEnabledFor(logging.DEBUG)
            ):
                await full(msg)  # discord.py's own path (decoding again: these frames are rare)
                return
            sequence = frame.get("s")
            if sequence is not None:
                ws.sequence = sequence
            if ws._keep_alive:
                ws._keep_alive.tick()
            ws._discord_parsers[event](frame["d"])

        ws.poll_event = paced_poll
        ws.received_message = received_message
        ws.townsquare_paced = True

    def message(self, data: Any) -> bool:
        """Handled here (True) unless it is not a guild message: discord.py's parser takes those."""
        guild_id = data.get("guild_id")
        if guild_id is None:
            return False
        community = self._community(guild_id)
        author = data.get("author") or {}
        if community is None or author.get("bot") or data.get("webhook_id") is not None:
            return True
        if data.get("type", 0) not in COUNTED_TYPES:
            return True
        message_id = str(data["id"])
        channel_id = str(data["channel_id"])
        self._offer(
            f"message:{message_id}",
            MessagePosted(
                community_id=community.id,
                member=self._ref(author["id"]),
                channel_id=channel_id,
                message_id=message_id,
                at=_snowflake_time(int(message_id)),
                in_thread=self._is_thread(guild_id, channel_id),
            ),
        )
        return True

    def reaction(self, data: Any) -> bool:
        guild_id = data.get("guild_id")
        if guild_id is None:
            return False
        community = self._community(guild_id)
        user = (data.get("member") or {}).get("user") or {}
        if community is None or user.get("bot"):
            return True
        emoji = data.get("emoji") or {}
        user_id = str(data["user_id"])
        author = data.get("message_author_id")
        self._offer(
            f"reaction:{data['message_id']}:{user_id}:{emoji.get('id') or emoji.get('name')}",
            ReactionAdded(
                community_id=community.id,
                member=self._ref(user_id),
                channel_id=str(data["channel_id"]),
                message_id=str(data["message_id"]),
                at=self._now(),
                message_author=self._ref(author) if author else None,
            ),
        )
        return True

    def _community(self, guild_id: Any) -> CommunityConfig | None:
        """The community of a guild id as the payload has it (a string), looked up once per guild."""
        try:
            return self._by_guild[guild_id]
        except KeyError:
            if len(self._by_guild) >= GUILDS_CACHED:
                self._by_guild.clear()
            community = self._by_guild[guild_id] = self.communities.for_guild(int(guild_id))
            return community

    def _ref(self, user_id: Any) -> MemberRef:
        """The reference to a Discord user, one object per person while cached (bounded)."""
        key = str(user_id)
        ref = self._refs.get(key)
        if ref is None:
            if len(self._refs) >= REFS_CACHED:
                self._refs.clear()
            ref = self._refs[key] = MemberRef("discord", key)
        return ref

    def _offer(self, key: str, event: Event) -> None:
        if not self.recent.claim(key):
            return
        if not self.sink.offer(event):
            self.recent.release(key)  # refused (counted by the ingest): a replay may still get in

    def _is_thread(self, guild_id: Any, channel_id: str) -> bool:
        guild = self.client.get_guild(int(guild_id))
        return guild is not None and guild.get_thread(int(channel_id)) is not None

    def _now(self) -> datetime:
        return self.clock.now()


def _read_ahead(socket: Any) -> deque[Any] | None:
    """aiohttp's queue of the frames a websocket has read off the wire and not yet handed out
    (internal to aiohttp: None if that has changed, and every frame takes the usual way)."""
    queue = getattr(getattr(socket, "_reader", None), "_buffer", None)
    return queue if isinstance(queue, deque) else None
