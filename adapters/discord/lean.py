"""The lean gateway path for the high-volume events: MESSAGE_CREATE and MESSAGE_REACTION_ADD in a
guild are read from the raw gateway payload into a platform fact and offered to the contribution
ingest right in the websocket reader, without building discord.py's Message / Member objects and
without a task per event (discord.py would run every `on_message` as its own task).

This wraps the parsers of discord.py's ConnectionState (`client._connection.parsers`, the dict the
websocket looks each dispatch up in), as `TownsquareClient._watch_member_updates` does. Direct
messages still take discord.py's own path. The ingest takes a fact without waiting (its journal is on
disk): the reader keeps reading, so heartbeats keep flowing, and memory does not grow with the backlog.
What the ingest cannot take is refused, counted (`ingest.stats.refused`) and logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import discord

from adapters.discord.identity import Communities
from adapters.shared import RecentIds
from bot.core.events import Event, MessagePosted, ReactionAdded
from bot.core.ports import Clock
from bot.core.refs import MemberRef

log = logging.getLogger("townsquare.discord.events")

COUNTED_TYPES = frozenset({discord.MessageType.default.value, discord.MessageType.reply.value})

Parser = Callable[[Any], None]
PACE_SECONDS = 0.002  # the longest the reader keeps the event loop to itself in a burst


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

    def install(self, parsers: dict[str, Parser]) -> None:
        """Replace the two parsers (once: a second install keeps the first), and pace each new
        websocket from its READY or RESUMED on."""
        for name in ("READY", "RESUMED"):
            if name in self._installed:
                continue
            parse_session = parsers[name]

            def parse_and_pace(data: Any, parse_session: Parser = parse_session) -> None:
                parse_session(data)
                self.pace(self.client.ws)

            parsers[name] = self._installed[name] = parse_and_pace
        for name, lean in (("MESSAGE_CREATE", self.message), ("MESSAGE_REACTION_ADD", self.reaction)):
            full = parsers[name]
            if self._installed.get(name) is full:
                continue

            def parse(data: Any, lean: Callable[[Any], bool] = lean, full: Parser = full) -> None:
                if not lean(data):
                    full(data)

            parsers[name] = self._installed[name] = parse

    @staticmethod
    def pace(ws: Any) -> None:
        """Let other tasks run while gateway frames are read back to back. While frames are
        buffered, discord.py's reader loop never suspends, so in a burst the ingest writer (and
        everything else) would wait for the burst to end. It yields once every `PACE_SECONDS` of
        reading rather than after every frame: a turn of the event loop per frame (a poll of the
        selector each time) costs about as much as reading the frame."""
        if ws is None or getattr(ws, "townsquare_paced", False):
            return
        poll = ws.poll_event
        yielded = [time.monotonic()]

        async def paced_poll() -> None:
            await poll()
            now = time.monotonic()
            if now - yielded[0] >= PACE_SECONDS:
                await asyncio.sleep(0)
                yielded[0] = time.monotonic()

        ws.poll_event = paced_poll
        ws.townsquare_paced = True

    def message(self, data: Any) -> bool:
        """Handled here (True) unless it is not a guild message: discord.py's parser takes those."""
        guild_id = data.get("guild_id")
        if guild_id is None:
            return False
        community = self.communities.for_guild(int(guild_id))
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
                member=MemberRef("discord", str(author["id"])),
                channel_id=channel_id,
                message_id=message_id,
                at=discord.utils.snowflake_time(int(message_id)),
                in_thread=self._is_thread(int(guild_id), int(channel_id)),
            ),
        )
        return True

    def reaction(self, data: Any) -> bool:
        guild_id = data.get("guild_id")
        if guild_id is None:
            return False
        community = self.communities.for_guild(int(guild_id))
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
                member=MemberRef("discord", user_id),
                channel_id=str(data["channel_id"]),
                message_id=str(data["message_id"]),
                at=self._now(),
                message_author=MemberRef("discord", str(author)) if author else None,
            ),
        )
        return True

    def _offer(self, key: str, event: Event) -> None:
        if not self.recent.claim(key):
            return
        if not self.sink.offer(event):
            self.recent.release(key)  # refused (counted by the ingest): a replay may still get in

    def _is_thread(self, guild_id: int, channel_id: int) -> bool:
        guild = self.client.get_guild(guild_id)
        return guild is not None and guild.get_thread(channel_id) is not None

    def _now(self) -> datetime:
        return self.clock.now()
