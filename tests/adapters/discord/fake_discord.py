"""A local fake of Discord's REST API and gateway for driving the real discord.py client in tests.

``FakeDiscord`` runs an ``aiohttp.web`` server on ``127.0.0.1`` (random free port) that serves

* ``/api/v10/...`` - a recording REST API with realistic responses for the routes a community bot
  uses (login, application commands, interaction callbacks and webhooks, messages, DMs, roles,
  invites, threads, scheduled events, members).  Every request is recorded in ``fake.requests``.
* ``/gateway`` - a websocket speaking the Discord gateway protocol (HELLO, IDENTIFY -> READY +
  GUILD_CREATE, heartbeats, RESUME -> RESUMED, REQUEST_GUILD_MEMBERS -> GUILD_MEMBERS_CHUNK).

Pointing discord.py 2.x at the fake
-----------------------------------
discord.py has no per-client option for the API or gateway URL; both come from class attributes:

* REST: ``discord.http.Route.BASE`` (default ``https://discord.com/api/v10``).  Every ``Route`` - including
  the ones the interaction/webhook adapter (``discord.webhook.async_``) builds for interaction callbacks
  and follow-ups - computes its URL as ``Route.BASE + path`` *when the Route is constructed*, so assigning
  the class attribute before the client makes requests redirects everything.
* Gateway: ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` (a ``yarl.URL``, default
  ``wss://gateway.discord.gg/``).  ``Client.connect`` never calls ``GET /gateway/bot``; it connects to
  ``DEFAULT_GATEWAY`` (adding ``?v=10&encoding=json&compress=...``), then uses READY's
  ``resume_gateway_url`` for RESUMEs and falls back to ``DEFAULT_GATEWAY`` after an INVALID_SESSION.
  (Only ``AutoShardedClient`` asks ``GET /gateway/bot`` for the URL; the fake answers with its own.)

``configure_discord_endpoints(api_base_url, gateway_url)`` sets both and returns a function restoring
the previous values.  Both settings are process-wide.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import re
import secrets
import socket
import string
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import discord
import yarl
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

JSON = dict[str, Any]
Handler = Callable[["_Call"], Awaitable[web.StreamResponse]]

DISCORD_EPOCH_MS = 1420070400000
API_VERSION = 10
EPHEMERAL = 64
LOADING = 128

# Gateway opcodes.
OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_PRESENCE, OP_VOICE_STATE = 0, 1, 2, 3, 4
OP_RESUME, OP_RECONNECT, OP_REQUEST_MEMBERS, OP_INVALID_SESSION = 6, 7, 8, 9
OP_HELLO, OP_HEARTBEAT_ACK = 10, 11

# Interaction types / callback types.
INTERACTION_PING, INTERACTION_COMMAND, INTERACTION_COMPONENT = 1, 2, 3
INTERACTION_AUTOCOMPLETE, INTERACTION_MODAL_SUBMIT = 4, 5

# Discord JSON error codes used by the fake.
ERROR_MESSAGES: dict[int, str] = {
    0: "General error",
    10003: "Unknown Channel",
    10004: "Unknown Guild",
    10006: "Unknown Invite",
    10007: "Unknown Member",
    10008: "Unknown Message",
    10011: "Unknown Role",
    10013: "Unknown User",
    10015: "Unknown Webhook",
    10062: "Unknown interaction",
    10063: "Unknown application command",
    10070: "Unknown Guild Scheduled Event",
    40060: "Interaction has already been acknowledged.",
    50001: "Missing Access",
    50007: "Cannot send messages to this user",
    50013: "Missing Permissions",
}
STATUS_TEXT: dict[int, str] = {
    400: "400: Bad Request",
    401: "401: Unauthorized",
    403: "403: Forbidden",
    404: "404: Not Found",
    405: "405: Method Not Allowed",
    429: "You are being rate limited.",
    500: "500: Internal Server Error",
    502: "502: Bad Gateway",
    503: "503: Service Unavailable",
    504: "504: Gateway Timeout",
}

# Which intent a dispatch event needs (events not listed are always delivered).
_I = discord.Intents.VALID_FLAGS
_EVENT_INTENTS: dict[str, int] = {
    **dict.fromkeys(
        [
            "GUILD_CREATE",
            "GUILD_UPDATE",
            "GUILD_DELETE",
            "GUILD_ROLE_CREATE",
            "GUILD_ROLE_UPDATE",
            "GUILD_ROLE_DELETE",
            "CHANNEL_CREATE",
            "CHANNEL_UPDATE",
            "CHANNEL_DELETE",
            "CHANNEL_PINS_UPDATE",
            "THREAD_CREATE",
            "THREAD_UPDATE",
            "THREAD_DELETE",
            "THREAD_LIST_SYNC",
            "THREAD_MEMBER_UPDATE",
            "STAGE_INSTANCE_CREATE",
            "STAGE_INSTANCE_UPDATE",
            "STAGE_INSTANCE_DELETE",
        ],
        _I["guilds"],
    ),
    **dict.fromkeys(
        ["GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE", "GUILD_MEMBER_REMOVE", "THREAD_MEMBERS_UPDATE"],
        _I["members"],
    ),
    **dict.fromkeys(["GUILD_BAN_ADD", "GUILD_BAN_REMOVE", "GUILD_AUDIT_LOG_ENTRY_CREATE"], _I["moderation"]),
    **dict.fromkeys(["INVITE_CREATE", "INVITE_DELETE"], _I["invites"]),
    "VOICE_STATE_UPDATE": _I["voice_states"],
    "PRESENCE_UPDATE": _I["presences"],
    **dict.fromkeys(
        [
            "GUILD_SCHEDULED_EVENT_CREATE",
            "GUILD_SCHEDULED_EVENT_UPDATE",
            "GUILD_SCHEDULED_EVENT_DELETE",
            "GUILD_SCHEDULED_EVENT_USER_ADD",
            "GUILD_SCHEDULED_EVENT_USER_REMOVE",
        ],
        _I["guild_scheduled_events"],
    ),
}
# (guild intent, DM intent) for events whose intent depends on where they happen.
_SPLIT_EVENT_INTENTS: dict[str, tuple[int, int]] = {
    **dict.fromkeys(
        ["MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK"],
        (_I["guild_messages"], _I["dm_messages"]),
    ),
    **dict.fromkeys(
        [
            "MESSAGE_REACTION_ADD",
            "MESSAGE_REACTION_REMOVE",
            "MESSAGE_REACTION_REMOVE_ALL",
            "MESSAGE_REACTION_REMOVE_EMOJI",
        ],
        (_I["guild_reactions"], _I["dm_reactions"]),
    ),
    "TYPING_START": (_I["guild_typing"], _I["dm_typing"]),
}

DEFAULT_EVERYONE_PERMISSIONS = discord.Permissions(
    view_channel=True,
    create_instant_invite=True,
    change_nickname=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    embed_links=True,
    attach_files=True,
    add_reactions=True,
    use_external_emojis=True,
    read_message_history=True,
    use_application_commands=True,
    connect=True,
    speak=True,
).value
DEFAULT_BOT_PERMISSIONS = (
    discord.Permissions(
        manage_guild=True,
        manage_roles=True,
        manage_channels=True,
        manage_threads=True,
        manage_events=True,
        manage_messages=True,
        moderate_members=True,
        create_private_threads=True,
    ).value
    | DEFAULT_EVERYONE_PERMISSIONS
)
ALL_PERMISSIONS = discord.Permissions.all().value
# GATEWAY_GUILD_MEMBERS_LIMITED | GATEWAY_MESSAGE_CONTENT_LIMITED | APPLICATION_COMMAND_BADGE
APPLICATION_FLAGS = 1 << 15 | 1 << 19 | 1 << 23


# --------------------------------------------------------------------------- small helpers


def iso(when: dt.datetime | None = None) -> str:
    """Discord-style ISO8601 timestamp (UTC, microseconds, ``+00:00``)."""
    return (when or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat(timespec="microseconds")


def snowflake_id(value: Any) -> int:
    """Return the snowflake of ``value`` (an int/str id or a payload dict with ``id``)."""
    if isinstance(value, Mapping):
        if "id" in value:
            return int(value["id"])
        return int(value["user"]["id"])
    return int(value)


class SnowflakeFactory:
    """Monotonic, time-based snowflakes (so ``discord.utils.snowflake_time`` gives sensible values)."""

    def __init__(self) -> None:
        self._last = 0

    def __call__(self) -> int:
        value = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last = max(value, self._last + 1)
        return self._last


@dataclass(frozen=True)
class MultipartPart:
    """One part of a ``multipart/form-data`` request (``payload_json`` or ``files[n]``)."""

    name: str | None
    filename: str | None
    content_type: str | None
    data: bytes

    @property
    def text(self) -> str:
        return self.data.decode()

    def json(self) -> Any:
        return json.loads(self.data)


@dataclass
class RecordedRequest:
    """An HTTP request received by the fake (``path`` is relative to ``/api/v10``)."""

    method: str
    path: str
    body: Any  # decoded JSON, list[MultipartPart] for multipart, str for other bodies, None if empty
    headers: CIMultiDictProxy[str]
    query: dict[str, str] = field(default_factory=dict)
    status: int = 0  # status the fake answered with
    at: float = field(default_factory=time.monotonic)  # when the request arrived (time.monotonic)

    @property
    def payload(self) -> Any:
        """The JSON payload, whether sent as a JSON body or as the ``payload_json`` multipart field."""
        if isinstance(self.body, list) and all(isinstance(p, MultipartPart) for p in self.body):
            for part in self.body:
                if part.name == "payload_json":
                    return part.json()
            return None
        return self.body

    @property
    def files(self) -> list[MultipartPart]:
        """Uploaded files (multipart parts that carry a filename)."""
        if isinstance(self.body, list):
            return [p for p in self.body if isinstance(p, MultipartPart) and p.filename is not None]
        return []

    def __iter__(self) -> Iterator[Any]:  # allows ``method, path, body, headers = request``
        return iter((self.method, self.path, self.body, self.headers))


@dataclass
class _Failure:
    method: str
    pattern: re.Pattern[str]
    status: int
    times: int
    retry_after: float | None
    code: int | None
    message: str | None
    is_global: bool


@dataclass
class _Bucket:
    """A route's rate limit, counted like Discord: `limit` requests per `per` seconds, the window
    starting with its first request."""

    method: str
    pattern: re.Pattern[str]
    limit: int
    per: float
    used: int = 0
    window_ends: float = 0.0

    def take(self, now: float) -> tuple[int, float] | None:
        """(remaining, reset_after) after counting one request; None when the limit is exceeded."""
        if now >= self.window_ends:
            self.used, self.window_ends = 0, now + self.per
        if self.used >= self.limit:
            return None
        self.used += 1
        return self.limit - self.used, self.window_ends - now


@dataclass
class _Session:
    session_id: str
    intents: int
    identify: JSON
    seq: int = 0
    history: list[JSON] = field(default_factory=list)
    connection: _GatewayConnection | None = None


@dataclass
class _GatewayConnection:
    ws: web.WebSocketResponse
    query: dict[str, str]
    session: _Session | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    closed_by_server: bool = False

    async def close(self, code: int, reason: str = "") -> None:
        self.closed_by_server = True
        await self.ws.close(code=code, message=reason.encode())


@dataclass
class _InteractionRecord:
    id: int
    token: str
    type: int
    payload: JSON
    created: float
    acked_type: int | None = None
    original_message_id: int | None = None


@dataclass
class _Call:
    """A parsed REST request handed to a route handler."""

    request: web.Request
    record: RecordedRequest
    params: dict[str, str]

    @property
    def body(self) -> Any:
        return self.record.payload

    def int(self, name: str) -> int:
        return int(self.params[name])


def configure_discord_endpoints(api_base_url: str | None, gateway_url: str | None) -> Callable[[], None]:
    """Point discord.py at custom REST / gateway URLs; returns a function restoring the previous values.

    ``api_base_url`` must include the version path, e.g. ``http://127.0.0.1:8080/api/v10``.
    ``None`` leaves the corresponding setting untouched.
    """
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

    previous_base, previous_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    if api_base_url is not None:
        Route.BASE = api_base_url.rstrip("/")
    if gateway_url is not None:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)

    def restore() -> None:
        Route.BASE = previous_base
        DiscordWebSocket.DEFAULT_GATEWAY = previous_gateway

    return restore


@contextlib.asynccontextmanager
async def running_client(
    client: discord.Client,
    token: str = "fake-token",
    *,
    timeout: float = 10.0,  # noqa: ASYNC109
) -> AsyncIterator[discord.Client]:
    """Run ``client.start(token)`` in a task until the client is ready; close it on exit."""
    task = asyncio.create_task(client.start(token), name="fake-discord-client")
    ready = asyncio.create_task(client.wait_until_ready())
    try:
        done, _ = await asyncio.wait({task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()  # re-raise the start() error
            raise RuntimeError("client.start() returned before the client became ready")
        if ready not in done:
            raise TimeoutError(f"client not ready after {timeout}s")
        yield client
    finally:
        ready.cancel()
        # Bounded on every step: asyncio.wait (unlike wait_for) never waits on a task that ignores its
        # cancellation, so a client that will not stop fails one test instead of hanging the run.
        closing = asyncio.create_task(client.close())
        await asyncio.wait({closing}, timeout=10)
        done, _ = await asyncio.wait({task}, timeout=5)
        if not done:
            task.cancel()
            await asyncio.wait({task}, timeout=5)
        if task.done() and not task.cancelled():
            with contextlib.suppress(Exception):
                task.result()


# --------------------------------------------------------------------------- the fake


class FakeDiscord:
    """Fake Discord REST API + gateway on 127.0.0.1.  Use as ``async with FakeDiscord() as fake:``.

    State (guilds, members, messages, invites, commands, interactions ...) lives in plain dicts of
    Discord-shaped JSON payloads so tests can inspect and tweak it directly.
    """

    def __init__(
        self,
        *,
        bot_name: str = "Townsquare",
        token: str | None = None,
        heartbeat_interval_ms: int = 41250,
        enforce_intents: bool = True,
        interaction_ack_deadline: float | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        """``token``: if set, REST ``Authorization`` and IDENTIFY tokens must match (401 / close 4004).
        ``enforce_intents``: drop dispatches the client did not ask for and strip message content
        without the MESSAGE_CONTENT intent, like Discord.  ``interaction_ack_deadline``: seconds after
        which an unacknowledged interaction's callback fails with 10062 (Discord uses 3s); ``None``=off.
        """
        self.host = host
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.enforce_intents = enforce_intents
        self.interaction_ack_deadline = interaction_ack_deadline
        self.snowflake = SnowflakeFactory()

        self.bot_user: JSON = self.user(bot_name, bot=True)
        self.application_id: int = int(self.bot_user["id"])
        self.application: JSON = self._application_payload()
        self.application_flags = APPLICATION_FLAGS

        # state
        self.users: dict[int, JSON] = {self.application_id: self.bot_user}
        self.guilds: dict[int, JSON] = {}
        self.channels: dict[int, JSON] = {}
        self.messages: dict[int, JSON] = {}
        self.invites: dict[str, JSON] = {}
        # targeted invites (Create Channel Invite's target users and role_ids): who may accept, what
        # roles they get; with ``targeted_invites`` off the fake refuses them like a guild without it
        self.invite_targets: dict[str, set[str]] = {}
        self.invite_roles: dict[str, list[str]] = {}
        self.targeted_invites: tuple[int, int] | None = None  # None: allowed; else (status, code) refusal
        self.vanity: dict[int, JSON] = {}
        self.scheduled_events: dict[int, JSON] = {}
        self.thread_members: dict[int, set[int]] = {}
        self.global_commands: list[JSON] = []
        self.guild_commands: dict[int, list[JSON]] = {}
        self.interactions: dict[str, _InteractionRecord] = {}

        # recordings
        self.requests: list[RecordedRequest] = []
        self.identify_payloads: list[JSON] = []
        self.resume_payloads: list[JSON] = []
        self.gateway_received: list[JSON] = []
        self.presence_updates: list[JSON] = []

        # programmable behaviour
        self.ack_heartbeats = True
        self.allow_resume = True
        self._identify_close: tuple[int, str] | None = None
        self._failures: list[_Failure] = []
        self._buckets: list[_Bucket] = []
        self._delays: list[tuple[str, re.Pattern[str], float]] = []

        self._sessions: dict[str, _Session] = {}
        self._connections: list[_GatewayConnection] = []
        self._changed = asyncio.Condition()
        self._routes = self._build_routes()
        self._runner: web.AppRunner | None = None
        self.port: int = 0

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Bind a random free port on ``host`` and start serving."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway_handler)
        app.router.add_route("*", "/api/v{version:\\d+}/{tail:.*}", self._rest_handler)
        app.router.add_route("*", "/{tail:.*}", self._not_found_handler)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def close(self) -> None:
        """Close gateway connections (code 1001) and stop the server."""
        for conn in list(self._connections):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(1001, "server shutting down"), 2)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base_url(self) -> str:
        """Value for ``discord.http.Route.BASE`` (``http://127.0.0.1:PORT/api/v10``)."""
        return f"{self.base_url}/api/v{API_VERSION}"

    @property
    def gateway_url(self) -> str:
        """Value for ``DiscordWebSocket.DEFAULT_GATEWAY`` (``ws://127.0.0.1:PORT/gateway``)."""
        return f"ws://{self.host}:{self.port}/gateway"

    def configure_discord(self) -> Callable[[], None]:
        """Shortcut for ``configure_discord_endpoints(self.api_base_url, self.gateway_url)``."""
        return configure_discord_endpoints(self.api_base_url, self.gateway_url)

    # ------------------------------------------------------------------ payload builders

    def user(
        self,
        username: str | None = None,
        *,
        id: int | None = None,
        bot: bool = False,
        global_name: str | None = None,
        avatar: str | None = None,
    ) -> JSON:
        """A user object (registered in ``fake.users``)."""
        uid = id or self.snowflake()
        payload: JSON = {
            "id": str(uid),
            "username": username or f"user{uid % 100000}",
            "discriminator": "0",
            "global_name": global_name,
            "avatar": avatar,
            "avatar_decoration_data": None,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "primary_guild": None,
            "collectibles": None,
        }
        if bot:
            payload["bot"] = True
        if hasattr(self, "users"):
            self.users[uid] = payload
        return payload

    def role(
        self,
        name: str,
        *,
        id: int | None = None,
        permissions: int = 0,
        position: int = 1,
        color: int = 0,
        hoist: bool = False,
        mentionable: bool = False,
        managed: bool = False,
        tags: JSON | None = None,
    ) -> JSON:
        """A role object."""
        payload: JSON = {
            "id": str(id or self.snowflake()),
            "name": name,
            "description": None,
            "permissions": str(permissions),
            "position": position,
            "color": color,
            "colors": {"primary_color": color, "secondary_color": None, "tertiary_color": None},
            "hoist": hoist,
            "managed": managed,
            "mentionable": mentionable,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }
        if tags is not None:
            payload["tags"] = tags
        return payload

    def member(
        self,
        user: JSON | str | None = None,
        *,
        roles: Iterable[JSON | int | str] = (),
        nick: str | None = None,
        joined_at: dt.datetime | str | None = None,
        pending: bool = False,
        bot: bool = False,
        communication_disabled_until: str | None = None,
    ) -> JSON:
        """A guild member object; ``user`` is a user payload or a username for a new user."""
        if not isinstance(user, Mapping):
            user = self.user(user, bot=bot)
        joined = joined_at if isinstance(joined_at, str) else iso(joined_at)
        return {
            "user": dict(user),
            "nick": nick,
            "avatar": None,
            "banner": None,
            "roles": [str(snowflake_id(r)) for r in roles],
            "joined_at": joined,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": pending,
            "communication_disabled_until": communication_disabled_until,
            "avatar_decoration_data": None,
        }

    def channel(
        self,
        name: str = "general",
        *,
        type: int = 0,
        guild: JSON | int | None = None,
        id: int | None = None,
        parent: JSON | int | None = None,
        position: int = 0,
        topic: str | None = None,
    ) -> JSON:
        """A guild channel object (text=0, voice=2, category=4, announcement=5, forum=15).

        With ``guild`` given it is also added to that guild's channel list.
        """
        payload: JSON = {
            "id": str(id or self.snowflake()),
            "type": type,
            "name": name,
            "position": position,
            "permission_overwrites": [],
            "parent_id": str(snowflake_id(parent)) if parent is not None else None,
            "nsfw": False,
            "flags": 0,
        }
        if type in (0, 5, 15):
            payload.update(
                topic=topic, rate_limit_per_user=0, last_message_id=None, default_auto_archive_duration=1440
            )
        if type == 2:
            payload.update(bitrate=64000, user_limit=0, rtc_region=None, rate_limit_per_user=0)
        if type == 15:
            payload.update(
                available_tags=[],
                default_reaction_emoji=None,
                default_sort_order=None,
                default_forum_layout=0,
                default_thread_rate_limit_per_user=0,
            )
        if guild is not None:
            g = self._guild(guild)
            payload["guild_id"] = g["id"]
            g["channels"].append(payload)
            self.channels[int(payload["id"])] = payload
        return payload

    def guild(
        self,
        name: str = "Town Square",
        *,
        id: int | None = None,
        channels: Sequence[JSON | str] = ("general",),
        roles: Sequence[JSON] = (),
        members: Sequence[JSON] = (),
        owner: JSON | None = None,
        bot_permissions: int = DEFAULT_BOT_PERMISSIONS,
        everyone_permissions: int = DEFAULT_EVERYONE_PERMISSIONS,
        features: Sequence[str] = (),
        register: bool = True,
    ) -> JSON:
        """A full guild payload (as in GUILD_CREATE) with @everyone, a managed bot role and the bot member.

        ``channels`` are channel payloads or names of text channels to create; ``register=True`` stores it
        in ``fake.guilds`` so it is sent on IDENTIFY and served by REST.
        """
        gid = id or self.snowflake()
        everyone = self.role("@everyone", id=gid, permissions=everyone_permissions, position=0)
        bot_role = self.role(
            self.bot_user["username"],
            permissions=bot_permissions,
            position=1,
            managed=True,
            tags={"bot_id": self.bot_user["id"]},
        )
        owner_member = owner if owner is not None else self.member("owner")
        bot_member = self.member(self.bot_user, roles=[bot_role])
        all_members = [owner_member, bot_member, *members]
        by_id: dict[str, JSON] = {}
        for m in all_members:
            by_id.setdefault(m["user"]["id"], m)
        unique_members = list(by_id.values())
        payload: JSON = {
            "id": str(gid),
            "name": name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": owner_member["user"]["id"],
            "region": None,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 2,
            "features": list(features),
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "roles": [everyone, bot_role, *roles],
            "emojis": [],
            "stickers": [],
            "channels": [],
            "threads": [],
            "members": unique_members,
            "member_count": len(unique_members),
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "joined_at": iso(),
            "large": False,
            "unavailable": False,
            "lazy": True,
        }
        for i, ch in enumerate(channels):
            ch_payload = self.channel(ch, position=i) if isinstance(ch, str) else dict(ch)
            ch_payload["guild_id"] = str(gid)
            payload["channels"].append(ch_payload)
        text = [c for c in payload["channels"] if c["type"] == 0]
        if text:
            payload["system_channel_id"] = text[0]["id"]
        if register:
            self.add_guild(payload)
        return payload

    def add_guild(self, guild: JSON) -> JSON:
        """Register a guild payload (channels and users included) in the fake's state."""
        self.guilds[int(guild["id"])] = guild
        for ch in guild["channels"]:
            self.channels[int(ch["id"])] = ch
        for th in guild.get("threads", []):
            self.channels[int(th["id"])] = th
        for m in guild["members"]:
            self.users.setdefault(int(m["user"]["id"]), m["user"])
        return guild

    def message(
        self,
        content: str = "",
        *,
        channel: JSON | int | None = None,
        author: JSON | None = None,
        guild: JSON | int | None = None,
        embeds: Sequence[JSON] = (),
        components: Sequence[JSON] = (),
        mentions: Sequence[JSON] = (),
        flags: int = 0,
        type: int = 0,
        id: int | None = None,
        **extra: Any,
    ) -> JSON:
        """A message payload (MESSAGE_CREATE shape).  ``author`` is a user or member payload."""
        ch = self._channel_or_default(channel, guild)
        guild_id = ch.get("guild_id")
        author = author or self.bot_user
        user = author["user"] if "user" in author else author
        payload: JSON = {
            "id": str(id or self.snowflake()),
            "channel_id": ch["id"],
            "author": dict(user),
            "content": content,
            "timestamp": iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [dict(m.get("user", m)) for m in mentions],
            "mention_roles": [],
            "attachments": [],
            "embeds": list(embeds),
            "reactions": [],
            "pinned": False,
            "type": type,
            "flags": flags,
            "components": list(components),
            "nonce": None,
        }
        if guild_id is not None:
            payload["guild_id"] = guild_id
            member = self._find_member(int(guild_id), int(user["id"]))
            if member is not None:
                payload["member"] = {k: v for k, v in member.items() if k != "user"}
        if user.get("bot") and int(user["id"]) == self.application_id:
            payload["application_id"] = str(self.application_id)
        payload.update(extra)
        return payload

    def thread(
        self,
        name: str,
        *,
        parent: JSON | int,
        owner: JSON | None = None,
        private: bool = False,
        id: int | None = None,
        auto_archive_duration: int = 1440,
    ) -> JSON:
        """A thread channel payload (THREAD_CREATE shape) under text channel ``parent``."""
        parent_ch = self.channels[snowflake_id(parent)]
        owner_user = owner or self.bot_user
        owner_user = owner_user.get("user", owner_user)
        now = iso()
        return {
            "id": str(id or self.snowflake()),
            "guild_id": parent_ch.get("guild_id"),
            "parent_id": parent_ch["id"],
            "owner_id": owner_user["id"],
            "type": 12 if private else 11,
            "name": name,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "flags": 0,
            "applied_tags": [],
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": auto_archive_duration,
                "archive_timestamp": now,
                "locked": False,
                "invitable": True,
                "create_timestamp": now,
            },
        }

    def reaction(
        self, emoji: str | JSON, *, message: JSON, user: JSON | None = None, burst: bool = False
    ) -> JSON:
        """A MESSAGE_REACTION_ADD payload for ``message`` by ``user`` (member or user payload)."""
        guild_id = message.get("guild_id")
        member = self._resolve_member(self.guilds.get(int(guild_id)) if guild_id else None, user)
        user_payload = member.get("user", member)
        payload: JSON = {
            "user_id": user_payload["id"],
            "channel_id": message["channel_id"],
            "message_id": message["id"],
            "message_author_id": message["author"]["id"],
            "emoji": {"id": None, "name": emoji} if isinstance(emoji, str) else dict(emoji),
            "burst": burst,
            "burst_colors": [],
            "type": 1 if burst else 0,
        }
        if guild_id is not None:
            payload["guild_id"] = guild_id
            payload["member"] = member
        return payload

    def member_event(self, member: JSON, guild: JSON | int) -> JSON:
        """A GUILD_MEMBER_ADD / GUILD_MEMBER_UPDATE payload (member object plus ``guild_id``)."""
        return {**member, "guild_id": str(snowflake_id(guild))}

    # interactions

    def slash_interaction(
        self,
        name: str,
        options: Mapping[str, Any] | Sequence[JSON] | None = None,
        *,
        user: JSON | int | None = None,
        guild: JSON | int | None = None,
        channel: JSON | int | None = None,
        dm: bool = False,
        command_id: int | None = None,
        command_guild_id: int | None = None,
        resolved: JSON | None = None,
        locale: str = "en-US",
    ) -> JSON:
        """An APPLICATION_COMMAND (type 2, chat input) interaction.

        ``options`` is a raw option list or a mapping ``{name: value}`` (str/int/float/bool values, user
        or member payloads become USER options with ``resolved`` data).  ``command_guild_id`` marks the
        invoked command as a guild command (discord.py's CommandTree looks commands up by it).
        """
        resolved_data: JSON = dict(resolved or {})
        if options is None:
            option_list: list[JSON] = []
        elif isinstance(options, Mapping):
            option_list = [self._option(k, v, resolved_data, guild) for k, v in options.items()]
        else:
            option_list = [dict(o) for o in options]
        data: JSON = {
            "id": str(command_id or self._command_id(name, command_guild_id)),
            "name": name,
            "type": 1,
            "options": option_list,
        }
        if resolved_data:
            data["resolved"] = resolved_data
        if command_guild_id is not None:
            data["guild_id"] = str(command_guild_id)
        return self._interaction(
            INTERACTION_COMMAND, data, user=user, guild=guild, channel=channel, dm=dm, locale=locale
        )

    def message_context_interaction(
        self,
        name: str,
        message: JSON,
        *,
        user: JSON | int | None = None,
        guild: JSON | int | None = None,
        channel: JSON | int | None = None,
        dm: bool = False,
        command_guild_id: int | None = None,
    ) -> JSON:
        """A message context-menu command (type 2, data.type 3) targeting ``message``."""
        data: JSON = {
            "id": str(self._command_id(name, command_guild_id)),
            "name": name,
            "type": 3,
            "target_id": message["id"],
            "resolved": {"messages": {message["id"]: message}},
        }
        if command_guild_id is not None:
            data["guild_id"] = str(command_guild_id)
        channel = channel if channel is not None else int(message["channel_id"])
        return self._interaction(INTERACTION_COMMAND, data, user=user, guild=guild, channel=channel, dm=dm)

    def user_context_interaction(
        self,
        name: str,
        target: JSON,
        *,
        user: JSON | int | None = None,
        guild: JSON | int | None = None,
        channel: JSON | int | None = None,
        command_guild_id: int | None = None,
    ) -> JSON:
        """A user context-menu command (type 2, data.type 2) targeting member/user payload ``target``."""
        resolved: JSON = {}
        self._resolve_user_option(target, resolved, guild)
        data: JSON = {
            "id": str(self._command_id(name, command_guild_id)),
            "name": name,
            "type": 2,
            "target_id": target.get("user", target)["id"],
            "resolved": resolved,
        }
        if command_guild_id is not None:
            data["guild_id"] = str(command_guild_id)
        return self._interaction(INTERACTION_COMMAND, data, user=user, guild=guild, channel=channel)

    def component_interaction(
        self,
        custom_id: str,
        *,
        message: JSON | None = None,
        component_type: int = 2,
        values: Sequence[str] | None = None,
        user: JSON | int | None = None,
        guild: JSON | int | None = None,
        channel: JSON | int | None = None,
        dm: bool = False,
    ) -> JSON:
        """A MESSAGE_COMPONENT interaction (type 3) for a button (2) or select (3, 5-8) click.

        ``message`` is the message carrying the component; by default a bot message with one button.
        """
        if message is None:
            button = {"type": 2, "style": 1, "label": custom_id, "custom_id": custom_id}
            message = self.message(
                "",
                channel=channel,
                guild=None if dm else self._default_guild(guild),
                components=[{"type": 1, "components": [button]}],
            )
            self.messages.setdefault(int(message["id"]), message)
        data: JSON = {"custom_id": custom_id, "component_type": component_type}
        if values is not None or component_type != 2:
            data["values"] = list(values or [])
        channel = channel if channel is not None else int(message["channel_id"])
        return self._interaction(
            INTERACTION_COMPONENT, data, user=user, guild=guild, channel=channel, dm=dm, message=message
        )

    def modal_submit_interaction(
        self,
        custom_id: str,
        components: Mapping[str, str] | Sequence[JSON],
        *,
        user: JSON | int | None = None,
        guild: JSON | int | None = None,
        channel: JSON | int | None = None,
        dm: bool = False,
        message: JSON | None = None,
    ) -> JSON:
        """A MODAL_SUBMIT interaction (type 5).  ``components`` maps text-input custom_id -> value, or is
        the raw component list (action rows / labels)."""
        if isinstance(components, Mapping):
            rows: list[JSON] = [
                {"type": 1, "components": [{"type": 4, "custom_id": cid, "value": value}]}
                for cid, value in components.items()
            ]
        else:
            rows = [dict(c) for c in components]
        data: JSON = {"custom_id": custom_id, "components": rows}
        return self._interaction(
            INTERACTION_MODAL_SUBMIT, data, user=user, guild=guild, channel=channel, dm=dm, message=message
        )

    def autocomplete_interaction(self, name: str, options: Sequence[JSON], **kwargs: Any) -> JSON:
        """An APPLICATION_COMMAND_AUTOCOMPLETE interaction (type 4); mark one option ``focused``."""
        payload = self.slash_interaction(name, options, **kwargs)
        payload["type"] = INTERACTION_AUTOCOMPLETE
        return payload

    # ------------------------------------------------------------------ programmable state

    def invite(
        self,
        guild: JSON | int,
        *,
        channel: JSON | int | None = None,
        code: str | None = None,
        inviter: JSON | None = None,
        uses: int = 0,
        max_uses: int = 0,
        max_age: int = 0,
        temporary: bool = False,
    ) -> JSON:
        """Create (and register) an invite with a ``uses`` counter."""
        g = self._guild(guild)
        ch = self._channel_or_default(channel, g)
        code = code or "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(8))
        inviter_user = inviter or self.bot_user
        inviter_user = inviter_user.get("user", inviter_user)
        created = dt.datetime.now(dt.UTC)
        payload: JSON = {
            "type": 0,
            "code": code,
            "guild": {
                k: g[k]
                for k in (
                    "id",
                    "name",
                    "splash",
                    "banner",
                    "description",
                    "icon",
                    "features",
                    "verification_level",
                    "vanity_url_code",
                    "nsfw_level",
                    "premium_subscription_count",
                )
            },
            "channel": {"id": ch["id"], "type": ch["type"], "name": ch["name"]},
            "inviter": dict(inviter_user),
            "uses": uses,
            "max_uses": max_uses,
            "max_age": max_age,
            "temporary": temporary,
            "created_at": iso(created),
            "expires_at": iso(created + dt.timedelta(seconds=max_age)) if max_age else None,
        }
        self.invites[code] = payload
        return payload

    def bump_invite(self, code: str, by: int = 1) -> int:
        """Increase an invite's (or a vanity code's) ``uses`` as if someone joined; returns the new count."""
        for vanity in self.vanity.values():
            if vanity["code"] == code:
                vanity["uses"] += by
                return int(vanity["uses"])
        self.invites[code]["uses"] += by
        return int(self.invites[code]["uses"])

    def set_vanity_url(self, guild: JSON | int, code: str | None, uses: int = 0) -> None:
        """Set the guild's vanity invite (``GET /guilds/{g}/vanity-url``)."""
        g = self._guild(guild)
        g["vanity_url_code"] = code
        if code is not None and "VANITY_URL" not in g["features"]:
            g["features"].append("VANITY_URL")
        self.vanity[int(g["id"])] = {"code": code, "uses": uses}

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        times: int = 1,
        *,
        retry_after: float | None = None,
        code: int | None = None,
        message: str | None = None,
        is_global: bool = False,
    ) -> None:
        """Make the next ``times`` requests matching ``method`` (or ``"*"``) and ``path_regex``
        (``re.fullmatch`` against the path relative to ``/api/v10``, no query) fail with ``status``.

        429s carry Discord's rate-limit headers (``Via``, ``Retry-After``, ``X-RateLimit-*``) and a JSON
        body with ``retry_after`` (default 0.05s) so discord.py sleeps and retries.  Other statuses get
        ``{"message", "code"}``; pass e.g. ``status=404, code=10062`` for "Unknown interaction" or
        ``status=400, code=40060`` for "Interaction has already been acknowledged."
        """
        self._failures.append(
            _Failure(
                method.upper(), re.compile(path_regex), status, times, retry_after, code, message, is_global
            )
        )

    def rate_limit(self, method: str, path_regex: str, limit: int, per: float) -> None:
        """Count requests matching ``method`` and ``path_regex`` like Discord does: ``limit`` per ``per``
        seconds, with exact ``X-RateLimit-Limit/Remaining/Reset/Reset-After`` headers. A client that
        ignores them and sends one more within the window gets a 429 with ``retry_after``."""
        self._buckets.append(_Bucket(method.upper(), re.compile(path_regex), limit, per))

    def delay(self, method: str, path_regex: str, seconds: float) -> None:
        """Answer requests matching ``method`` (or ``"*"``) and ``path_regex`` ``seconds`` late (a slow
        Discord); the request is recorded when it arrives."""
        self._delays.append((method.upper(), re.compile(path_regex), seconds))

    def close_on_identify(self, code: int | None, reason: str = "") -> None:
        """Answer the next IDENTIFYs by closing the socket with ``code`` (e.g. 4014, 4004); None resets."""
        default = {4004: "Authentication failed.", 4013: "Invalid intent(s).", 4014: "Disallowed intent(s)."}
        self._identify_close = None if code is None else (code, reason or default.get(code, "Closed"))

    # ------------------------------------------------------------------ recordings

    def requests_to(self, method: str, path: str | re.Pattern[str]) -> list[RecordedRequest]:
        """Recorded requests with ``method`` (or ``"*"``) whose path equals ``path`` (or fullmatches a
        compiled pattern).  Paths are relative to ``/api/v10``, e.g. ``/channels/123/messages``."""
        method = method.upper()
        return [r for r in self.requests if method in ("*", r.method) and _path_matches(r.path, path)]

    async def wait_for_request(
        self,
        method: str,
        path: str | re.Pattern[str],
        *,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> RecordedRequest:
        """Wait until ``count`` matching requests were answered; returns the ``count``-th one."""

        def ready() -> bool:
            done = [r for r in self.requests_to(method, path) if r.status]
            return len(done) >= count

        await self._wait_for(ready, timeout, f"{method} {path} x{count}")
        return [r for r in self.requests_to(method, path) if r.status][count - 1]

    async def wait_for_identify(self, *, count: int = 1, timeout: float = 5.0) -> JSON:  # noqa: ASYNC109
        """Wait until ``count`` IDENTIFY payloads were received; returns the latest ``d``."""
        await self._wait_for(lambda: len(self.identify_payloads) >= count, timeout, "IDENTIFY")
        return self.identify_payloads[-1]

    @property
    def identify(self) -> JSON | None:
        """The last IDENTIFY ``d`` payload (token, intents, properties ...)."""
        return self.identify_payloads[-1] if self.identify_payloads else None

    def clear_requests(self) -> None:
        self.requests.clear()

    def callback_path(self, interaction: JSON) -> str:
        return f"/interactions/{interaction['id']}/{interaction['token']}/callback"

    def callbacks(self, interaction: JSON) -> list[RecordedRequest]:
        """Recorded callback POSTs (initial responses) for ``interaction``."""
        return self.requests_to("POST", self.callback_path(interaction))

    def original_message(self, interaction: JSON) -> JSON | None:
        """The interaction's ``@original`` response message, if one exists."""
        record = self.interactions.get(interaction["token"])
        if record is None or record.original_message_id is None:
            return None
        return self.messages.get(record.original_message_id)

    def sent_messages(self, channel: JSON | int | None = None) -> list[JSON]:
        """Messages authored by the bot (channel posts and interaction responses), oldest first."""
        cid = None if channel is None else str(snowflake_id(channel))
        return [
            m
            for m in self.messages.values()
            if m["author"]["id"] == self.bot_user["id"] and (cid is None or m["channel_id"] == cid)
        ]

    # ------------------------------------------------------------------ gateway control

    @property
    def connected(self) -> bool:
        """Whether a client has an identified (or resumed) gateway connection."""
        return any(c.session is not None and not c.ws.closed for c in self._connections)

    async def dispatch(self, event: str, data: JSON) -> JSON | None:
        """Send a DISPATCH (op 0) with the next sequence number to every gateway session.

        Sessions whose socket is currently down (closed with a resumable code) queue the event; it is
        replayed when the client RESUMEs.  Applies the event to the fake's state (members, messages,
        interactions, channels).  Returns the frame (re-send it with ``send_raw`` to simulate a
        duplicate delivery), or ``None`` if the session's intents filtered it out.
        """
        sessions = list(self._sessions.values())
        if not sessions:
            raise RuntimeError(f"cannot dispatch {event}: no gateway session (has the client identified?)")
        self.apply_event(event, data)
        frame: JSON | None = None
        for session in sessions:
            sent = await self._dispatch_to(session, event, data)
            frame = sent or frame
        return frame

    async def send_raw(self, frame: JSON) -> None:
        """Send ``frame`` verbatim (e.g. a previous dispatch with the same ``s``) to all connections."""
        for conn in list(self._connections):
            if not conn.ws.closed:
                await self._send(conn, frame)

    async def member_join(self, guild: JSON | int, member: JSON | None = None) -> JSON:
        """Dispatch GUILD_MEMBER_ADD for ``member`` (a new one by default); returns the member payload."""
        member = member or self.member()
        await self.dispatch("GUILD_MEMBER_ADD", self.member_event(member, guild))
        return member

    async def accept_invite(self, code: str, member: JSON | None = None) -> JSON:
        """``member`` joins through invite ``code`` as Discord would: refused (PermissionError) when the
        invite is targeted at other users; otherwise the use is counted, the invite deleted on its last
        use, its ``role_ids`` given, and GUILD_MEMBER_ADD dispatched. Returns the member payload."""
        invite = self.invites[code]
        member = member or self.member()
        allowed = self.invite_targets.get(code)
        if allowed is not None and member["user"]["id"] not in allowed:
            raise PermissionError(f"invite {code} can only be accepted by {sorted(allowed)}")
        invite["uses"] += 1
        if invite["max_uses"] and invite["uses"] >= invite["max_uses"]:
            del self.invites[code]
        member = {**member, "roles": [*member["roles"], *self.invite_roles.get(code, ())]}
        return await self.member_join(int(invite["guild"]["id"]), member)

    async def member_leave(self, guild: JSON | int, member: JSON) -> None:
        """Dispatch GUILD_MEMBER_REMOVE for ``member``."""
        await self.dispatch(
            "GUILD_MEMBER_REMOVE", {"guild_id": str(snowflake_id(guild)), "user": member.get("user", member)}
        )

    async def close_gateway(self, code: int = 4000, reason: str = "") -> None:
        """Close every gateway connection with ``code`` (4000 = resumable, 4014 = disallowed intents ...)."""
        for conn in list(self._connections):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(code, reason), 5)

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT (the client should reconnect and RESUME)."""
        await self.send_raw({"op": OP_RECONNECT, "d": None, "s": None, "t": None})

    async def invalidate_session(self, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION; with ``resumable=False`` the session is forgotten."""
        if not resumable:
            for conn in self._connections:
                if conn.session is not None:
                    self._sessions.pop(conn.session.session_id, None)
        await self.send_raw({"op": OP_INVALID_SESSION, "d": resumable, "s": None, "t": None})

    # ------------------------------------------------------------------ gateway internals

    async def _gateway_handler(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = _GatewayConnection(ws=ws, query=dict(request.query))
        self._connections.append(conn)
        try:
            await self._send(
                conn,
                {
                    "op": OP_HELLO,
                    "d": {"heartbeat_interval": self.heartbeat_interval_ms, "_trace": ["fake-gateway"]},
                    "s": None,
                    "t": None,
                },
            )
            async for msg in ws:
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                self.gateway_received.append(frame)
                await self._notify()
                await self._handle_gateway_frame(conn, frame)
        finally:
            self._connections.remove(conn)
            if conn.session is not None and conn.session.connection is conn:
                conn.session.connection = None
                if ws.close_code in (1000, 1001) and not conn.closed_by_server:
                    # a clean close by the client ends the session (Discord invalidates it too)
                    self._sessions.pop(conn.session.session_id, None)
            await self._notify()
        return ws

    async def _handle_gateway_frame(self, conn: _GatewayConnection, frame: JSON) -> None:
        op, d = frame.get("op"), frame.get("d")
        if op == OP_HEARTBEAT:
            if self.ack_heartbeats:
                await self._send(conn, {"op": OP_HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == OP_IDENTIFY:
            await self._on_identify(conn, d)
        elif op == OP_RESUME:
            await self._on_resume(conn, d)
        elif op == OP_REQUEST_MEMBERS and conn.session is not None:
            await self._on_request_members(conn.session, d)
        elif op == OP_PRESENCE:
            self.presence_updates.append(d)

    async def _on_identify(self, conn: _GatewayConnection, d: JSON) -> None:
        self.identify_payloads.append(d)
        await self._notify()
        if self._identify_close is not None:
            code, reason = self._identify_close
            await conn.close(code, reason)
            return
        if self.token is not None and d.get("token") != self.token:
            await conn.close(4004, "Authentication failed.")
            return
        session = _Session(session_id=secrets.token_hex(16), intents=int(d.get("intents", 0)), identify=d)
        session.connection = conn
        conn.session = session
        self._sessions[session.session_id] = session
        ready: JSON = {
            "v": API_VERSION,
            "user": {**self.bot_user, "verified": True, "mfa_enabled": False, "email": None},
            "guilds": [{"id": str(gid), "unavailable": True} for gid in self.guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": self.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["fake"],
            "auth": {},
            "user_settings": {},
            "_trace": ["fake-gateway"],
        }
        if "shard" in d:
            ready["shard"] = d["shard"]
        await self._dispatch_to(session, "READY", ready)
        for guild in list(self.guilds.values()):
            payload = self._guild_create_payload(guild, session.intents)
            await self._dispatch_to(session, "GUILD_CREATE", payload)

    async def _on_resume(self, conn: _GatewayConnection, d: JSON) -> None:
        self.resume_payloads.append(d)
        await self._notify()
        session = self._sessions.get(d.get("session_id", ""))
        if not self.allow_resume or session is None:
            await self._send(conn, {"op": OP_INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        session.connection = conn
        conn.session = session
        last_seen = int(d.get("seq") or 0)
        for frame in [f for f in session.history if f["s"] > last_seen]:
            await self._send(conn, frame)
        await self._dispatch_to(session, "RESUMED", {"_trace": ["fake-gateway"]})

    async def _on_request_members(self, session: _Session, d: JSON) -> None:
        guild = self.guilds.get(int(d["guild_id"]))
        if guild is None:
            return
        members = list(guild["members"])
        not_found: list[str] = []
        if d.get("user_ids"):
            wanted = [str(u) for u in d["user_ids"]]
            members = [m for m in members if m["user"]["id"] in wanted]
            found = {m["user"]["id"] for m in members}
            not_found = [u for u in wanted if u not in found]
        elif d.get("query"):
            q = d["query"].lower()
            members = [
                m
                for m in members
                if m["user"]["username"].lower().startswith(q) or (m.get("nick") or "").lower().startswith(q)
            ]
        if d.get("limit"):
            members = members[: int(d["limit"])]
        chunk: JSON = {
            "guild_id": guild["id"],
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": not_found,
        }
        if d.get("presences"):
            chunk["presences"] = []
        if d.get("nonce"):
            chunk["nonce"] = d["nonce"]
        await self._dispatch_to(session, "GUILD_MEMBERS_CHUNK", chunk)

    async def _dispatch_to(self, session: _Session, event: str, data: JSON) -> JSON | None:
        data = self._filter_for_intents(event, data, session.intents)
        if data is None:
            return None
        session.seq += 1
        frame = {"op": OP_DISPATCH, "t": event, "s": session.seq, "d": data}
        session.history.append(frame)
        if session.connection is not None and not session.connection.ws.closed:
            await self._send(session.connection, frame)
        return frame

    async def _send(self, conn: _GatewayConnection, frame: JSON) -> None:
        async with conn.lock:
            await conn.ws.send_str(json.dumps(frame))

    def _filter_for_intents(self, event: str, data: JSON, intents: int) -> JSON | None:
        if not self.enforce_intents:
            return data
        needed = _EVENT_INTENTS.get(event)
        if event in _SPLIT_EVENT_INTENTS:
            guild_bit, dm_bit = _SPLIT_EVENT_INTENTS[event]
            needed = guild_bit if data.get("guild_id") else dm_bit
        if needed is not None and not intents & needed:
            return None
        if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE") and not intents & _I["message_content"]:
            return _strip_message_content(data, self.bot_user["id"])
        return data

    def _guild_create_payload(self, guild: JSON, intents: int) -> JSON:
        payload = dict(guild)
        if self.enforce_intents and not intents & _I["members"]:
            payload["members"] = [m for m in guild["members"] if m["user"]["id"] == self.bot_user["id"]]
        if self.enforce_intents and not intents & _I["presences"]:
            payload["presences"] = []
        payload["member_count"] = len(guild["members"])
        return payload

    def apply_event(self, event: str, data: JSON) -> None:
        """Update the fake's state as ``dispatch`` would, without sending anything (e.g. to register an
        interaction for REST-only tests)."""
        if event == "GUILD_MEMBER_ADD":
            guild = self.guilds.get(int(data["guild_id"]))
            member = {k: v for k, v in data.items() if k != "guild_id"}
            self.users.setdefault(int(member["user"]["id"]), member["user"])
            if guild is not None and self._find_member(int(guild["id"]), int(member["user"]["id"])) is None:
                guild["members"].append(member)
                guild["member_count"] = len(guild["members"])
        elif event == "GUILD_MEMBER_REMOVE":
            guild = self.guilds.get(int(data["guild_id"]))
            if guild is not None:
                guild["members"] = [m for m in guild["members"] if m["user"]["id"] != data["user"]["id"]]
                guild["member_count"] = len(guild["members"])
        elif event == "GUILD_MEMBER_UPDATE":
            member = self._find_member(int(data["guild_id"]), int(data["user"]["id"]))
            if member is not None:
                member.update({k: v for k, v in data.items() if k != "guild_id"})
        elif event == "INTERACTION_CREATE":
            self.interactions[data["token"]] = _InteractionRecord(
                id=int(data["id"]),
                token=data["token"],
                type=int(data["type"]),
                payload=data,
                created=time.monotonic(),
            )
        elif event == "MESSAGE_CREATE":
            self.messages[int(data["id"])] = data
        elif event in ("THREAD_CREATE", "CHANNEL_CREATE"):
            self.channels[int(data["id"])] = data
            guild = self.guilds.get(int(data.get("guild_id") or 0))
            if guild is not None:
                guild["threads" if event == "THREAD_CREATE" else "channels"].append(data)

    # ------------------------------------------------------------------ REST internals

    async def _not_found_handler(self, request: web.Request) -> web.StreamResponse:
        return _error(404, 0, STATUS_TEXT[404])

    async def _rest_handler(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        record = RecordedRequest(
            method=request.method,
            path=path,
            body=await _read_body(request),
            headers=CIMultiDictProxy(CIMultiDict(request.headers)),
            query=dict(request.query),
        )
        self.requests.append(record)
        for method, pattern, seconds in self._delays:
            if method in ("*", record.method) and pattern.fullmatch(record.path):
                await self._notify()  # waiters see the request now, its answer comes later
                await asyncio.sleep(seconds)
        bucket = next(
            (
                b
                for b in self._buckets
                if b.method in ("*", record.method) and b.pattern.fullmatch(record.path)
            ),
            None,
        )
        counted = bucket.take(time.monotonic()) if bucket is not None else None
        if bucket is not None and counted is None:
            retry = max(bucket.window_ends - time.monotonic(), 0.001)
            limited = _Failure(record.method, bucket.pattern, 429, 1, retry, None, None, False)
            response = _failure_response(limited, record)
        else:
            try:
                response = await self._route(request, record)
            except Exception as exc:  # a bug in the fake should be visible, not hang the client
                response = _error(500, 0, f"fake discord error: {exc!r}")
        record.status = response.status
        if response.status < 400 and not record.path.startswith("/gateway"):
            route = f"{record.method} {record.path}"
            if bucket is not None and counted is not None:
                headers = _ratelimit_headers(route, remaining=counted[0], reset_after=counted[1])
                headers["X-RateLimit-Limit"] = str(bucket.limit)
            else:
                headers = _ratelimit_headers(route)
            response.headers.update(headers)
        await self._notify()
        return response

    async def _route(self, request: web.Request, record: RecordedRequest) -> web.StreamResponse:
        failure = self._take_failure(record.method, record.path)
        if failure is not None:
            return _failure_response(failure, record)
        public = record.path.startswith(("/interactions/", "/webhooks/", "/gateway"))
        authorized = request.headers.get("Authorization") == f"Bot {self.token}"
        if self.token is not None and not public and not authorized:
            return _error(401, 0, STATUS_TEXT[401])
        for method, pattern, handler in self._routes:
            if method != record.method:
                continue
            match = pattern.fullmatch(record.path)
            if match:
                return await handler(_Call(request, record, match.groupdict()))
        return _error(
            404 if record.method in ("GET", "POST", "PUT", "PATCH", "DELETE") else 405, 0, STATUS_TEXT[404]
        )

    def _take_failure(self, method: str, path: str) -> _Failure | None:
        for failure in self._failures:
            if failure.method in ("*", method) and failure.pattern.fullmatch(path):
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                return failure
        return None

    def _build_routes(self) -> list[tuple[str, re.Pattern[str], Handler]]:
        app = "/applications/{app}"
        gcmd = app + "/guilds/{guild}/commands"
        wh = "/webhooks/{app}/{token}"
        msg = "/channels/{channel}/messages/{message}"
        member = "/guilds/{guild}/members/{user}"
        event = "/guilds/{guild}/scheduled-events/{event}"
        table: list[tuple[str, str, Handler]] = [
            ("GET", "/gateway", self._get_gateway),
            ("GET", "/gateway/bot", self._get_gateway_bot),
            ("GET", "/users/@me", self._get_me),
            ("GET", "/users/{user}", self._get_user),
            ("POST", "/users/@me/channels", self._create_dm),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/applications/@me", self._get_application),
            # application commands (global and guild)
            ("GET", app + "/commands", self._list_commands),
            ("PUT", app + "/commands", self._bulk_commands),
            ("POST", app + "/commands", self._upsert_command),
            ("GET", app + "/commands/{cmd}", self._get_command),
            ("PATCH", app + "/commands/{cmd}", self._edit_command),
            ("DELETE", app + "/commands/{cmd}", self._delete_command),
            ("GET", gcmd, self._list_commands),
            ("PUT", gcmd, self._bulk_commands),
            ("POST", gcmd, self._upsert_command),
            ("GET", gcmd + "/{cmd}", self._get_command),
            ("PATCH", gcmd + "/{cmd}", self._edit_command),
            ("DELETE", gcmd + "/{cmd}", self._delete_command),
            # interactions and webhooks
            ("POST", "/interactions/{iid}/{token}/callback", self._interaction_callback),
            ("POST", wh, self._webhook_execute),
            ("GET", wh + "/messages/{mid}", self._webhook_get_message),
            ("PATCH", wh + "/messages/{mid}", self._webhook_edit_message),
            ("DELETE", wh + "/messages/{mid}", self._webhook_delete_message),
            # channels and messages
            ("GET", "/channels/{channel}", self._get_channel),
            ("PATCH", "/channels/{channel}", self._edit_channel),
            ("GET", "/channels/{channel}/messages", self._list_messages),
            ("POST", "/channels/{channel}/messages", self._create_message),
            ("GET", msg, self._get_message),
            ("PATCH", msg, self._edit_message),
            ("DELETE", msg, self._delete_message),
            ("PUT", msg + "/reactions/{emoji}/@me", self._no_content),
            ("DELETE", msg + "/reactions/{emoji}/{any}", self._no_content),
            ("POST", "/channels/{channel}/typing", self._no_content),
            ("POST", "/channels/{channel}/invites", self._create_invite),
            ("GET", "/channels/{channel}/invites", self._list_channel_invites),
            # threads
            ("POST", "/channels/{channel}/threads", self._create_thread),
            ("POST", msg + "/threads", self._create_thread),
            ("PUT", "/channels/{channel}/thread-members/{member}", self._add_thread_member),
            ("DELETE", "/channels/{channel}/thread-members/{member}", self._remove_thread_member),
            ("GET", "/guilds/{guild}/threads/active", self._active_threads),
            # guilds, members, roles
            ("GET", "/guilds/{guild}", self._get_guild),
            ("GET", "/guilds/{guild}/channels", self._get_guild_channels),
            ("POST", "/guilds/{guild}/channels", self._create_guild_channel),
            ("PUT", "/channels/{channel}/permissions/{target}", self._edit_permissions),
            ("GET", "/guilds/{guild}/roles", self._get_roles),
            ("POST", "/guilds/{guild}/roles", self._create_role),
            ("GET", "/guilds/{guild}/members", self._list_members),
            ("GET", member, self._get_member),
            ("PATCH", member, self._edit_member),
            ("DELETE", member, self._kick_member),
            ("PUT", member + "/roles/{role}", self._add_role),
            ("DELETE", member + "/roles/{role}", self._remove_role),
            ("PUT", "/guilds/{guild}/bans/{user}", self._no_content),
            ("DELETE", "/guilds/{guild}/bans/{user}", self._no_content),
            # invites
            ("GET", "/guilds/{guild}/invites", self._list_guild_invites),
            ("GET", "/guilds/{guild}/vanity-url", self._get_vanity),
            ("GET", "/invites/{code}", self._get_invite),
            ("DELETE", "/invites/{code}", self._delete_invite),
            # scheduled events
            ("GET", "/guilds/{guild}/scheduled-events", self._list_events),
            ("POST", "/guilds/{guild}/scheduled-events", self._create_event),
            ("GET", event, self._get_event),
            ("PATCH", event, self._edit_event),
            ("DELETE", event, self._delete_event),
        ]
        return [(method, _compile_route(template), handler) for method, template, handler in table]

    # --- handlers: misc

    async def _no_content(self, call: _Call) -> web.StreamResponse:
        return _ok(None)

    async def _get_gateway(self, call: _Call) -> web.StreamResponse:
        return _ok({"url": self.gateway_url})

    async def _get_gateway_bot(self, call: _Call) -> web.StreamResponse:
        return _ok(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 14400000,
                    "max_concurrency": 1,
                },
            }
        )

    async def _get_me(self, call: _Call) -> web.StreamResponse:
        return _ok(
            {**self.bot_user, "verified": True, "mfa_enabled": False, "locale": "en-US", "email": None}
        )

    async def _get_user(self, call: _Call) -> web.StreamResponse:
        user = self.users.get(call.int("user"))
        return _ok(user) if user is not None else _error(404, 10013)

    async def _get_application(self, call: _Call) -> web.StreamResponse:
        return _ok(self.application)

    async def _create_dm(self, call: _Call) -> web.StreamResponse:
        recipient_id = int(call.body["recipient_id"])
        recipient = self.users.get(recipient_id) or self.user(id=recipient_id)
        for ch in self.channels.values():
            if ch["type"] == 1 and ch["recipients"][0]["id"] == str(recipient_id):
                return _ok(ch)
        ch = {
            "id": str(self.snowflake()),
            "type": 1,
            "last_message_id": None,
            "flags": 0,
            "recipients": [recipient],
        }
        self.channels[int(ch["id"])] = ch
        return _ok(ch)

    # --- handlers: application commands

    def _command_store(self, call: _Call) -> list[JSON]:
        if "guild" in call.params:
            return self.guild_commands.setdefault(call.int("guild"), [])
        return self.global_commands

    def _command_from_body(self, body: JSON, call: _Call, existing: JSON | None = None) -> JSON:
        cmd_type = int(body.get("type", 1))
        cmd: JSON = {
            "id": existing["id"] if existing else str(self.snowflake()),
            "application_id": str(self.application_id),
            "version": str(self.snowflake()),
            "type": cmd_type,
            "name": body["name"],
            "name_localizations": body.get("name_localizations"),
            "description": body.get("description", "") if cmd_type == 1 else "",
            "description_localizations": body.get("description_localizations"),
            "options": body.get("options", []),
            "default_member_permissions": body.get("default_member_permissions"),
            "dm_permission": body.get("dm_permission", True),
            "contexts": body.get("contexts"),
            "integration_types": body.get("integration_types", [0]),
            "nsfw": body.get("nsfw", False),
        }
        if "guild" in call.params:
            cmd["guild_id"] = call.params["guild"]
        return cmd

    async def _list_commands(self, call: _Call) -> web.StreamResponse:
        return _ok(self._command_store(call))

    async def _bulk_commands(self, call: _Call) -> web.StreamResponse:
        store = self._command_store(call)
        previous = {(c["name"], c["type"]): c for c in store}
        new = [
            self._command_from_body(b, call, previous.get((b["name"], int(b.get("type", 1)))))
            for b in call.body
        ]
        store[:] = new
        return _ok(new)

    async def _upsert_command(self, call: _Call) -> web.StreamResponse:
        store = self._command_store(call)
        body = call.body
        key = (body["name"], int(body.get("type", 1)))
        existing = next((c for c in store if (c["name"], c["type"]) == key), None)
        cmd = self._command_from_body(body, call, existing)
        if existing is not None:
            store[store.index(existing)] = cmd
        else:
            store.append(cmd)
        return _ok(cmd, status=200 if existing else 201)

    async def _get_command(self, call: _Call) -> web.StreamResponse:
        cmd = next((c for c in self._command_store(call) if c["id"] == call.params["cmd"]), None)
        return _ok(cmd) if cmd else _error(404, 10063)

    async def _edit_command(self, call: _Call) -> web.StreamResponse:
        store = self._command_store(call)
        cmd = next((c for c in store if c["id"] == call.params["cmd"]), None)
        if cmd is None:
            return _error(404, 10063)
        cmd.update(call.body)
        return _ok(cmd)

    async def _delete_command(self, call: _Call) -> web.StreamResponse:
        store = self._command_store(call)
        store[:] = [c for c in store if c["id"] != call.params["cmd"]]
        return _ok(None)

    # --- handlers: interactions and webhooks

    async def _interaction_callback(self, call: _Call) -> web.StreamResponse:
        record = self.interactions.get(call.params["token"])
        if record is None or record.id != call.int("iid"):
            return _error(404, 10062)
        if record.acked_type is not None:
            return _error(400, 40060)
        if (
            self.interaction_ack_deadline is not None
            and time.monotonic() - record.created > self.interaction_ack_deadline
        ):
            return _error(404, 10062)
        body = call.body or {}
        cb_type = int(body["type"])
        data = body.get("data") or {}
        record.acked_type = cb_type
        interaction = record.payload
        message: JSON | None = None
        if cb_type in (4, 5):
            flags = int(data.get("flags", 0)) | (LOADING if cb_type == 5 else 0)
            message = self._webhook_message(record, data if cb_type == 4 else {}, flags=flags)
            record.original_message_id = int(message["id"])
        elif cb_type in (6, 7) and interaction.get("message"):
            target = self.messages.get(int(interaction["message"]["id"])) or dict(interaction["message"])
            self.messages[int(target["id"])] = target
            record.original_message_id = int(target["id"])
            if cb_type == 7:
                _apply_message_edit(target, data)
                message = target
        if call.record.query.get("with_response") not in ("1", "true", "True"):
            return _ok(None)
        result: JSON = {
            "interaction": {
                "id": str(record.id),
                "type": record.type,
                "response_message_loading": cb_type == 5,
                "response_message_ephemeral": bool(int(data.get("flags", 0)) & EPHEMERAL),
            }
        }
        if record.original_message_id is not None and cb_type in (4, 5, 7):
            result["interaction"]["response_message_id"] = str(record.original_message_id)
        if message is not None:
            result["resource"] = {"type": cb_type, "message": message}
        elif cb_type == 9:
            result["resource"] = {"type": cb_type}
        return _ok(result)

    def _webhook_message(self, record: _InteractionRecord, data: JSON, *, flags: int = 0) -> JSON:
        interaction = record.payload
        channel_id = interaction.get("channel_id") or interaction.get("channel", {}).get("id")
        invoker = interaction.get("member", {}).get("user") or interaction.get("user")
        message = {
            "id": str(self.snowflake()),
            "channel_id": str(channel_id),
            "author": dict(self.bot_user),
            "content": data.get("content", ""),
            "timestamp": iso(),
            "edited_timestamp": None,
            "tts": bool(data.get("tts", False)),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [_attachment(f, self.snowflake()) for f in data.get("attachments", [])],
            "embeds": data.get("embeds", []),
            "reactions": [],
            "pinned": False,
            "type": 20 if record.type == INTERACTION_COMMAND else 0,
            "flags": flags or int(data.get("flags", 0)),
            "components": data.get("components", []),
            "webhook_id": str(self.application_id),
            "application_id": str(self.application_id),
            "interaction_metadata": {
                "id": str(record.id),
                "type": record.type,
                "user": invoker,
                "authorizing_integration_owners": interaction.get("authorizing_integration_owners", {}),
            },
        }
        if interaction.get("guild_id"):
            message["guild_id"] = interaction["guild_id"]
        if "poll" in data:
            message["poll"] = data["poll"]
        self.messages[int(message["id"])] = message
        return message

    def _webhook_record(self, call: _Call) -> _InteractionRecord | None:
        if call.int("app") != self.application_id:
            return None
        return self.interactions.get(call.params["token"])

    def _webhook_target(self, call: _Call) -> JSON | None:
        record = self._webhook_record(call)
        if record is None:
            return None
        mid = record.original_message_id if call.params["mid"] == "@original" else call.int("mid")
        return self.messages.get(mid) if mid is not None else None

    async def _webhook_execute(self, call: _Call) -> web.StreamResponse:
        record = self._webhook_record(call)
        if record is None:
            return _error(404, 10015)
        message = self._webhook_message(record, call.body or {}, flags=int((call.body or {}).get("flags", 0)))
        message["type"] = 0
        if call.record.query.get("wait") in ("true", "1", "True"):
            return _ok(message)
        return _ok(None)

    async def _webhook_get_message(self, call: _Call) -> web.StreamResponse:
        if self._webhook_record(call) is None:
            return _error(404, 10015)
        message = self._webhook_target(call)
        return _ok(message) if message is not None else _error(404, 10008)

    async def _webhook_edit_message(self, call: _Call) -> web.StreamResponse:
        if self._webhook_record(call) is None:
            return _error(404, 10015)
        message = self._webhook_target(call)
        if message is None:
            return _error(404, 10008)
        _apply_message_edit(message, call.body or {})
        message["flags"] = int(message.get("flags", 0)) & ~LOADING
        return _ok(message)

    async def _webhook_delete_message(self, call: _Call) -> web.StreamResponse:
        if self._webhook_record(call) is None:
            return _error(404, 10015)
        message = self._webhook_target(call)
        if message is None:
            return _error(404, 10008)
        self.messages.pop(int(message["id"]), None)
        return _ok(None)

    # --- handlers: channels and messages

    async def _get_channel(self, call: _Call) -> web.StreamResponse:
        ch = self.channels.get(call.int("channel"))
        return _ok(ch) if ch is not None else _error(404, 10003)

    async def _edit_channel(self, call: _Call) -> web.StreamResponse:
        ch = self.channels.get(call.int("channel"))
        if ch is None:
            return _error(404, 10003)
        body = dict(call.body or {})
        for key in ("archived", "locked", "auto_archive_duration", "invitable"):
            if key in body and "thread_metadata" in ch:
                ch["thread_metadata"][key] = body.pop(key)
        ch.update(body)
        return _ok(ch)

    async def _list_messages(self, call: _Call) -> web.StreamResponse:
        cid = call.params["channel"]
        msgs = sorted(
            (m for m in self.messages.values() if m["channel_id"] == cid), key=lambda m: -int(m["id"])
        )
        return _ok(msgs[: int(call.record.query.get("limit", 50))])

    async def _create_message(self, call: _Call) -> web.StreamResponse:
        cid = call.int("channel")
        ch = self.channels.get(cid)
        if ch is None:  # lenient: unknown channels behave like guild-less text channels
            ch = {"id": str(cid), "type": 0}
        if ch["type"] in (4, 15, 16):  # category, forum, media: no plain messages
            return _error(400, 50008, "Cannot send messages in a non-text channel")
        body = call.body or {}
        if body.get("enforce_nonce") and body.get("nonce"):
            # Discord: another message by the same author with this nonce (in the last few minutes)
            # is returned, and no new message is created.
            for earlier in self.messages.values():
                if earlier.get("nonce") == str(body["nonce"]) and earlier["channel_id"] == str(cid):
                    return _ok(earlier)
        message = self.message(
            body.get("content", ""),
            channel=ch,
            embeds=body.get("embeds", []),
            components=body.get("components", []),
            flags=int(body.get("flags", 0)),
        )
        message["tts"] = bool(body.get("tts", False))
        message["nonce"] = body.get("nonce")
        message["attachments"] = [_attachment(a, self.snowflake()) for a in body.get("attachments", [])]
        if "message_reference" in body:
            message["message_reference"] = body["message_reference"]
            message["type"] = 19
        if "poll" in body:
            message["poll"] = body["poll"]
        if "sticker_ids" in body:
            message["sticker_items"] = [
                {"id": str(sid), "name": "sticker", "format_type": 1} for sid in body["sticker_ids"]
            ]
        self.messages[int(message["id"])] = message
        return _ok(message)

    async def _get_message(self, call: _Call) -> web.StreamResponse:
        message = self.messages.get(call.int("message"))
        if message is None or message["channel_id"] != call.params["channel"]:
            return _error(404, 10008)
        return _ok(message)

    async def _edit_message(self, call: _Call) -> web.StreamResponse:
        message = self.messages.get(call.int("message"))
        if message is None or message["channel_id"] != call.params["channel"]:
            return _error(404, 10008)
        _apply_message_edit(message, call.body or {})
        return _ok(message)

    async def _delete_message(self, call: _Call) -> web.StreamResponse:
        if self.messages.pop(call.int("message"), None) is None:
            return _error(404, 10008)
        return _ok(None)

    # --- handlers: threads

    async def _create_thread(self, call: _Call) -> web.StreamResponse:
        parent_id = call.int("channel")
        if parent_id not in self.channels:
            return _error(404, 10003)
        body = call.body or {}
        from_message = "message" in call.params
        forum_post = "message" in body
        if forum_post and self.channels[parent_id]["type"] != 15:
            return _error(400, 50024, "Cannot execute action on this channel type")
        thread_type = int(body.get("type", 11 if from_message or forum_post else 12))
        thread = self.thread(
            body.get("name", "thread"),
            parent=parent_id,
            private=thread_type == 12,
            id=call.int("message") if from_message else None,
            auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
        )
        thread["thread_metadata"]["invitable"] = body.get("invitable", True)
        thread["rate_limit_per_user"] = body.get("rate_limit_per_user") or 0
        thread["member"] = {
            "id": thread["id"],
            "user_id": self.bot_user["id"],
            "join_timestamp": iso(),
            "flags": 0,
        }
        if forum_post:  # the starter message shares the thread's id, as on Discord
            posted = body["message"]
            starter = self.message(
                posted.get("content", ""),
                channel=thread,
                embeds=posted.get("embeds", []),
                components=posted.get("components", []),
                id=int(thread["id"]),
            )
            starter["attachments"] = [_attachment(a, self.snowflake()) for a in posted.get("attachments", [])]
            self.messages[int(starter["id"])] = starter
            thread["message"] = starter
            thread["message_count"] = 1
        self.channels[int(thread["id"])] = thread
        self.thread_members[int(thread["id"])] = {self.application_id}
        guild = self.guilds.get(int(thread["guild_id"] or 0))
        if guild is not None:
            guild["threads"].append(thread)
        return _ok(thread, status=201)

    async def _add_thread_member(self, call: _Call) -> web.StreamResponse:
        tid = call.int("channel")
        if tid not in self.channels:
            return _error(404, 10003)
        uid = self.application_id if call.params["member"] == "@me" else call.int("member")
        self.thread_members.setdefault(tid, set()).add(uid)
        return _ok(None)

    async def _remove_thread_member(self, call: _Call) -> web.StreamResponse:
        uid = self.application_id if call.params["member"] == "@me" else call.int("member")
        self.thread_members.get(call.int("channel"), set()).discard(uid)
        return _ok(None)

    async def _active_threads(self, call: _Call) -> web.StreamResponse:
        guild = self.guilds.get(call.int("guild"))
        if guild is None:
            return _error(404, 10004)
        threads = [t for t in guild["threads"] if not t["thread_metadata"]["archived"]]
        return _ok({"threads": threads, "members": []})

    # --- handlers: guilds, members, roles

    async def _get_guild(self, call: _Call) -> web.StreamResponse:
        guild = self.guilds.get(call.int("guild"))
        if guild is None:
            return _error(404, 10004)
        payload = {k: v for k, v in guild.items() if k not in _GATEWAY_ONLY_GUILD_KEYS}
        if call.record.query.get("with_counts") in ("true", "1", "True"):
            payload.update(approximate_member_count=len(guild["members"]), approximate_presence_count=0)
        return _ok(payload)

    async def _get_guild_channels(self, call: _Call) -> web.StreamResponse:
        guild = self.guilds.get(call.int("guild"))
        return _ok(guild["channels"]) if guild is not None else _error(404, 10004)

    async def _create_guild_channel(self, call: _Call) -> web.StreamResponse:
        guild = self.guilds.get(call.int("guild"))
        if guild is None:
            return _error(404, 10004)
        body = call.body or {}
        channel = self.channel(
            body.get("name", "channel"),
            type=int(body.get("type", 0)),
            guild=guild,
            parent=body.get("parent_id"),
            topic=body.get("topic"),
        )
        channel["permission_overwrites"] = [
            {"id": str(o["id"]), "type": int(o["type"]), "allow": str(o["allow"]), "deny": str(o["deny"])}
            for o in body.get("permission_overwrites", [])
        ]
        return _ok(channel, status=201)

    async def _edit_permissions(self, call: _Call) -> web.StreamResponse:
        ch = self.channels.get(call.int("channel"))
        if ch is None:
            return _error(404, 10003)
        body = call.body or {}
        target = call.params["target"]
        overwrites = [o for o in ch.setdefault("permission_overwrites", []) if o["id"] != target]
        overwrites.append(
            {
                "id": target,
                "type": int(body.get("type", 1)),
                "allow": str(body.get("allow", 0)),
                "deny": str(body.get("deny", 0)),
            }
        )
        ch["permission_overwrites"] = overwrites
        return _ok(None)

    async def _get_roles(self, call: _Call) -> web.StreamResponse:
        guild = self.guilds.get(call.int("guild"))
        return _ok(guild["roles"]) if guild is not None else _error(404, 10004)

    async def _create_role(self, call: _Call) -> web.StreamResponse:
        guild = self.guilds.get(call.int("guild"))
        if guild is None:
            return _error(404, 10004)
        body = call.body or {}
        role = self.role(
            body.get("name", "new role"),
            permissions=int(body.get("permissions") or 0),
            color=int(body.get("color") or 0),
            hoist=bool(body.get("hoist")),
            mentionable=bool(body.get("mentionable")),
            position=len(guild["roles"]),
        )
        guild["roles"].append(role)
        return _ok(role)

    async def _list_members(self, call: _Call) -> web.StreamResponse:
        guild = self.guilds.get(call.int("guild"))
        if guild is None:
            return _error(404, 10004)
        after = int(call.record.query.get("after", 0))
        limit = int(call.record.query.get("limit", 1))
        members = sorted(
            (m for m in guild["members"] if int(m["user"]["id"]) > after), key=lambda m: int(m["user"]["id"])
        )
        return _ok(members[:limit])

    async def _get_member(self, call: _Call) -> web.StreamResponse:
        member = self._find_member(call.int("guild"), call.int("user"))
        return _ok(member) if member is not None else _error(404, 10007)

    async def _edit_member(self, call: _Call) -> web.StreamResponse:
        member = self._find_member(call.int("guild"), call.int("user"))
        if member is None:
            return _error(404, 10007)
        body = call.body or {}
        for key in ("nick", "roles", "communication_disabled_until", "mute", "deaf", "flags"):
            if key in body:
                member[key] = [str(r) for r in body[key]] if key == "roles" else body[key]
        return _ok(member)

    async def _kick_member(self, call: _Call) -> web.StreamResponse:
        guild = self.guilds.get(call.int("guild"))
        if guild is None or self._find_member(call.int("guild"), call.int("user")) is None:
            return _error(404, 10007)
        guild["members"] = [m for m in guild["members"] if m["user"]["id"] != call.params["user"]]
        guild["member_count"] = len(guild["members"])
        return _ok(None)

    async def _add_role(self, call: _Call) -> web.StreamResponse:
        member, error = self._member_and_role(call)
        if member is None:
            return error
        if call.params["role"] not in member["roles"]:
            member["roles"].append(call.params["role"])
        return _ok(None)

    async def _remove_role(self, call: _Call) -> web.StreamResponse:
        member, error = self._member_and_role(call)
        if member is None:
            return error
        member["roles"] = [r for r in member["roles"] if r != call.params["role"]]
        return _ok(None)

    def _member_and_role(self, call: _Call) -> tuple[JSON | None, web.Response]:
        guild = self.guilds.get(call.int("guild"))
        if guild is None:
            return None, _error(404, 10004)
        if not any(r["id"] == call.params["role"] for r in guild["roles"]):
            return None, _error(404, 10011)
        member = self._find_member(call.int("guild"), call.int("user"))
        if member is None:
            return None, _error(404, 10007)
        return member, _ok(None)

    # --- handlers: invites

    async def _list_guild_invites(self, call: _Call) -> web.StreamResponse:
        if call.int("guild") not in self.guilds:
            return _error(404, 10004)
        return _ok([i for i in self.invites.values() if i["guild"]["id"] == call.params["guild"]])

    async def _list_channel_invites(self, call: _Call) -> web.StreamResponse:
        return _ok([i for i in self.invites.values() if i["channel"]["id"] == call.params["channel"]])

    async def _create_invite(self, call: _Call) -> web.StreamResponse:
        ch = self.channels.get(call.int("channel"))
        if ch is None or "guild_id" not in ch:
            return _error(404, 10003)
        body = call.body or {}
        # the users allowed to accept: a CSV ``target_users_file`` part (one id a line), or JSON ids
        targets = {str(u) for u in body.get("target_user_ids") or ()}
        for part in call.record.files:
            if part.name == "target_users_file":
                targets |= {cell.strip() for cell in part.text.split() if cell.strip().isdigit()}
        roles = [str(r) for r in body.get("role_ids") or ()]
        if (targets or roles) and self.targeted_invites is not None:
            status, code = self.targeted_invites
            return _error(status, code, "Targeted invites are not available")
        invite = self.invite(
            int(ch["guild_id"]),
            channel=ch,
            max_uses=int(body.get("max_uses", 0)),
            max_age=int(body.get("max_age", 86400)),
            temporary=bool(body.get("temporary")),
        )
        if targets:
            self.invite_targets[invite["code"]] = targets
        if roles:
            self.invite_roles[invite["code"]] = roles
        return _ok(invite)

    async def _get_vanity(self, call: _Call) -> web.StreamResponse:
        guild = self.guilds.get(call.int("guild"))
        if guild is None:
            return _error(404, 10004)
        return _ok(self.vanity.get(int(guild["id"]), {"code": None, "uses": 0}))

    async def _get_invite(self, call: _Call) -> web.StreamResponse:
        code = call.params["code"]
        invite = self.invites.get(code)
        if invite is None:
            gid = next((g for g, v in self.vanity.items() if v["code"] == code), None)
            if gid is None:
                return _error(404, 10006)
            guild = self.guilds[gid]
            invite = self.invite(guild, code=code)  # builds the shape; vanity invites are not listed
            del self.invites[code]
            invite.pop("inviter")
        # GET /invites/{code} returns the invite without metadata (uses etc. only come from listings)
        hidden = ("uses", "max_uses", "max_age", "temporary", "created_at")
        return _ok({k: v for k, v in invite.items() if k not in hidden})

    async def _delete_invite(self, call: _Call) -> web.StreamResponse:
        invite = self.invites.pop(call.params["code"], None)
        return _ok(invite) if invite is not None else _error(404, 10006)

    # --- handlers: scheduled events

    async def _list_events(self, call: _Call) -> web.StreamResponse:
        return _ok([e for e in self.scheduled_events.values() if e["guild_id"] == call.params["guild"]])

    async def _create_event(self, call: _Call) -> web.StreamResponse:
        if call.int("guild") not in self.guilds:
            return _error(404, 10004)
        body = call.body or {}
        event = {
            "id": str(self.snowflake()),
            "guild_id": call.params["guild"],
            "channel_id": body.get("channel_id"),
            "creator_id": self.bot_user["id"],
            "creator": self.bot_user,
            "name": body["name"],
            "description": body.get("description"),
            "scheduled_start_time": body["scheduled_start_time"],
            "scheduled_end_time": body.get("scheduled_end_time"),
            "privacy_level": body.get("privacy_level", 2),
            "status": 1,
            "entity_type": body["entity_type"],
            "entity_id": None,
            "entity_metadata": body.get("entity_metadata"),
            "user_count": 0,
            "image": None,
            "recurrence_rule": body.get("recurrence_rule"),
        }
        self.scheduled_events[int(event["id"])] = event
        return _ok(event)

    async def _get_event(self, call: _Call) -> web.StreamResponse:
        event = self.scheduled_events.get(call.int("event"))
        return _ok(event) if event is not None else _error(404, 10070)

    async def _edit_event(self, call: _Call) -> web.StreamResponse:
        event = self.scheduled_events.get(call.int("event"))
        if event is None:
            return _error(404, 10070)
        event.update(call.body or {})
        return _ok(event)

    async def _delete_event(self, call: _Call) -> web.StreamResponse:
        if self.scheduled_events.pop(call.int("event"), None) is None:
            return _error(404, 10070)
        return _ok(None)

    # ------------------------------------------------------------------ internal helpers

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _wait_for(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:  # noqa: ASYNC109
        try:
            async with asyncio.timeout(timeout):
                async with self._changed:
                    await self._changed.wait_for(predicate)
        except TimeoutError:
            raise TimeoutError(f"fake discord: timed out after {timeout}s waiting for {what}") from None

    def _application_payload(self) -> JSON:
        owner = self.user("townsquare-owner")
        return {
            "id": self.bot_user["id"],
            "name": self.bot_user["username"],
            "icon": None,
            "description": "Fake application",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": secrets.token_hex(32),
            "owner": owner,
            "flags": APPLICATION_FLAGS,
            "team": None,
            "bot": self.bot_user,
            "tags": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "approximate_guild_count": 1,
            "integration_types_config": {"0": {}},
            "install_params": None,
        }

    def _guild(self, guild: JSON | int | str) -> JSON:
        gid = snowflake_id(guild)
        if gid not in self.guilds and isinstance(guild, Mapping):
            return dict(guild)
        return self.guilds[gid]

    def _channel_or_default(self, channel: JSON | int | None, guild: JSON | int | None) -> JSON:
        if isinstance(channel, Mapping):
            return dict(channel)
        if channel is not None:
            return self.channels.get(int(channel)) or {"id": str(channel), "type": 0}
        if guild is not None:
            g = self._guild(guild)
            text = [c for c in g["channels"] if c["type"] == 0]
            if text:
                return text[0]
            return {"id": str(self.snowflake()), "type": 0, "guild_id": g["id"]}
        return {"id": str(self.snowflake()), "type": 1}

    def _find_member(self, guild_id: int, user_id: int) -> JSON | None:
        guild = self.guilds.get(guild_id)
        if guild is None:
            return None
        return next((m for m in guild["members"] if m["user"]["id"] == str(user_id)), None)

    def _resolve_member(self, guild: JSON | None, user: JSON | int | None) -> JSON:
        """Member payload (guild) or user payload (no guild) for ``user`` (payload or id)."""
        if isinstance(user, Mapping):
            if guild is None:
                return dict(user.get("user", user))
            if "user" in user:
                return dict(user)
            return self._find_member(int(guild["id"]), int(user["id"])) or self.member(user)
        if guild is None:
            return (
                self.users.get(int(user))
                if user is not None and int(user) in self.users
                else self.user(id=int(user) if user is not None else None)
            )
        if user is not None:
            found = self._find_member(int(guild["id"]), int(user))
            if found is None:
                raise KeyError(f"user {user} is not a member of guild {guild['id']}")
            return found
        owner_id = guild["owner_id"]
        humans = [m for m in guild["members"] if not m["user"].get("bot") and m["user"]["id"] != owner_id]
        return humans[0] if humans else next(m for m in guild["members"] if m["user"]["id"] == owner_id)

    def _member_permissions(self, guild: JSON, member: JSON) -> int:
        if member["user"]["id"] == guild["owner_id"]:
            return ALL_PERMISSIONS
        value = 0
        for role in guild["roles"]:
            if role["id"] == guild["id"] or role["id"] in member["roles"]:
                value |= int(role["permissions"])
        return ALL_PERMISSIONS if value & discord.Permissions(administrator=True).value else value

    def _command_id(self, name: str, guild_id: int | None) -> int:
        store = self.guild_commands.get(guild_id, []) if guild_id else self.global_commands
        found = next((c for c in store if c["name"] == name), None)
        return int(found["id"]) if found else self.snowflake()

    def _resolve_user_option(self, target: JSON, resolved: JSON, guild: JSON | int | None) -> str:
        user = target.get("user", target)
        resolved.setdefault("users", {})[user["id"]] = user
        g = self._default_guild(guild)
        member = target if "user" in target else None
        if member is None and g is not None:
            member = self._find_member(int(g["id"]), int(user["id"]))
        if g is not None and member is not None:
            resolved.setdefault("members", {})[user["id"]] = {
                **{k: v for k, v in member.items() if k != "user"},
                "permissions": str(self._member_permissions(g, member)),
            }
        return str(user["id"])

    def _option(self, name: str, value: Any, resolved: JSON, guild: JSON | int | None) -> JSON:
        if isinstance(value, bool):
            return {"name": name, "type": 5, "value": value}
        if isinstance(value, int):
            return {"name": name, "type": 4, "value": value}
        if isinstance(value, float):
            return {"name": name, "type": 10, "value": value}
        if isinstance(value, str):
            return {"name": name, "type": 3, "value": value}
        if isinstance(value, Mapping) and ("user" in value or "username" in value):
            return {"name": name, "type": 6, "value": self._resolve_user_option(value, resolved, guild)}
        if isinstance(value, Mapping) and "permissions" in value and "position" in value:
            resolved.setdefault("roles", {})[value["id"]] = value
            return {"name": name, "type": 8, "value": value["id"]}
        if isinstance(value, Mapping) and "type" in value:
            resolved.setdefault("channels", {})[value["id"]] = {
                k: value[k] for k in ("id", "name", "type", "parent_id", "guild_id") if k in value
            } | {"permissions": str(ALL_PERMISSIONS)}
            return {"name": name, "type": 7, "value": value["id"]}
        raise TypeError(f"cannot turn {value!r} into an application command option")

    def _default_guild(self, guild: JSON | int | None) -> JSON | None:
        if guild is not None:
            return self._guild(guild)
        return next(iter(self.guilds.values()), None)

    def _interaction(
        self,
        type_: int,
        data: JSON,
        *,
        user: JSON | int | None,
        guild: JSON | int | None,
        channel: JSON | int | None,
        dm: bool,
        message: JSON | None = None,
        locale: str = "en-US",
    ) -> JSON:
        iid = self.snowflake()
        g = None if dm else self._default_guild(guild)
        if g is None and message is not None and message.get("guild_id"):
            g = self._guild(int(message["guild_id"]))
        payload: JSON = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": type_,
            "data": data,
            "token": f"fake-interaction-token-{iid}-{secrets.token_urlsafe(16)}",
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        invoker = self._resolve_member(g, user)
        if g is not None:
            ch = self._channel_or_default(channel, g)
            bot_member = self._find_member(int(g["id"]), self.application_id)
            app_permissions = (
                self._member_permissions(g, bot_member) if bot_member else DEFAULT_BOT_PERMISSIONS
            )
            payload.update(
                guild_id=g["id"],
                guild={
                    "id": g["id"],
                    "locale": g.get("preferred_locale", "en-US"),
                    "features": g["features"],
                },
                guild_locale=g.get("preferred_locale", "en-US"),
                member={**invoker, "permissions": str(self._member_permissions(g, invoker))},
                app_permissions=str(app_permissions),
                authorizing_integration_owners={"0": g["id"]},
                context=0,
            )
        else:
            ch = (
                self._channel_or_default(channel, None)
                if channel is not None
                else {"id": str(self.snowflake()), "type": 1}
            )
            ch = {**ch, "type": 1, "recipients": [invoker]}
            ch.setdefault("last_message_id", None)
            ch.setdefault("flags", 0)
            payload.update(
                user=invoker,
                app_permissions=str(DEFAULT_BOT_PERMISSIONS),
                authorizing_integration_owners={"1": invoker["id"]},
                context=1,
            )
        channel_payload = {k: v for k, v in ch.items() if k not in ("permission_overwrites",)}
        channel_payload["permissions"] = payload.get("member", {}).get("permissions", str(ALL_PERMISSIONS))
        payload["channel"] = channel_payload
        payload["channel_id"] = ch["id"]
        if message is not None:
            payload["message"] = message
        return payload


# --------------------------------------------------------------------------- module helpers


# Guild keys only sent over the gateway (GUILD_CREATE), not by GET /guilds/{id}.
_GATEWAY_ONLY_GUILD_KEYS = frozenset(
    {
        "channels",
        "threads",
        "members",
        "presences",
        "voice_states",
        "joined_at",
        "large",
        "unavailable",
        "member_count",
        "lazy",
        "stage_instances",
        "guild_scheduled_events",
        "soundboard_sounds",
    }
)

# Route template placeholders: snowflakes unless listed here.
_SNOWFLAKE = r"\d+"
_PLACEHOLDERS = {
    "token": r"[^/]+",
    "code": r"[^/]+",
    "emoji": r"[^/]+",
    "any": r"[^/]+",
    "mid": r"@original|\d+",
    "member": r"@me|\d+",
}


def _compile_route(template: str) -> re.Pattern[str]:
    """``/guilds/{guild}/members/{user}`` -> regex with named groups (snowflakes unless in _PLACEHOLDERS)."""

    def group(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"(?P<{name}>{_PLACEHOLDERS.get(name, _SNOWFLAKE)})"

    return re.compile(re.sub(r"\{(\w+)\}", group, template))


def _path_matches(path: str, wanted: str | re.Pattern[str]) -> bool:
    if isinstance(wanted, re.Pattern):
        return wanted.fullmatch(path) is not None
    return path == wanted


def _strip_message_content(data: JSON, bot_id: str) -> JSON:
    """Emulate a missing MESSAGE_CONTENT intent (DMs, bot mentions and the bot's own messages keep it)."""
    if not data.get("guild_id") or data.get("author", {}).get("id") == bot_id:
        return data
    if any(m.get("id") == bot_id for m in data.get("mentions", [])):
        return data
    stripped = dict(data)
    stripped.update(content="", embeds=[], attachments=[], components=[])
    stripped.pop("poll", None)
    return stripped


def _apply_message_edit(message: JSON, body: JSON) -> None:
    for key in ("content", "embeds", "components", "flags", "poll"):
        if key in body and body[key] is not None:
            message[key] = body[key]
    if "attachments" in body:
        message["attachments"] = [_attachment(a, int(a.get("id", 0)) or 1) for a in body["attachments"]]
    message["edited_timestamp"] = iso()


def _attachment(spec: JSON, new_id: int) -> JSON:
    """Turn an upload descriptor (``{"id": 0, "filename": ...}``) into an attachment object."""
    filename = spec.get("filename", "file")
    return {
        "id": str(
            spec.get("id") if str(spec.get("id", "0")).isdigit() and int(spec.get("id", 0)) > 100 else new_id
        ),
        "filename": filename,
        "size": 0,
        "url": f"https://cdn.fake/attachments/{new_id}/{filename}",
        "proxy_url": f"https://media.fake/attachments/{new_id}/{filename}",
        "description": spec.get("description"),
        "content_type": None,
    }


async def _read_body(request: web.Request) -> Any:
    if not request.body_exists:
        return None
    if request.content_type.startswith("multipart/"):
        parts: list[MultipartPart] = []
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            data = await part.read(decode=False)  # type: ignore[union-attr]
            parts.append(
                MultipartPart(
                    name=part.name,
                    filename=part.filename,  # type: ignore[union-attr]
                    content_type=part.headers.get("Content-Type"),
                    data=bytes(data),
                )
            )
        return parts
    raw = await request.read()
    if not raw:
        return None
    if request.content_type == "application/json":
        return json.loads(raw)
    return raw.decode(errors="replace")


def _ratelimit_headers(route: str, *, remaining: int = 49, reset_after: float = 1.0) -> dict[str, str]:
    """Discord's per-route rate-limit headers (bucket hash derived from the route with ids masked)."""
    bucket = hashlib.sha1(re.sub(r"\d{6,}", "{id}", route).encode()).hexdigest()[:32]
    return {
        "Via": "1.1 google",
        "X-RateLimit-Bucket": bucket,
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
    }


def _json_response(data: Any, status: int, headers: Mapping[str, str] | None = None) -> web.Response:
    # discord.py only decodes bodies whose Content-Type is exactly "application/json" (no charset).
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        content_type="application/json",
        headers={"Via": "1.1 google", **(headers or {})},
    )


def _ok(data: Any, status: int = 200) -> web.Response:
    if data is None:
        return web.Response(status=204, headers={"Via": "1.1 google"})
    return _json_response(data, status)


def _error(status: int, code: int, message: str | None = None) -> web.Response:
    text = message or (ERROR_MESSAGES.get(code) if code else None) or STATUS_TEXT.get(status, str(status))
    return _json_response({"message": text, "code": code}, status)


def _failure_response(failure: _Failure, record: RecordedRequest) -> web.Response:
    if failure.status == 429:
        retry_after = 0.05 if failure.retry_after is None else failure.retry_after
        headers = _ratelimit_headers(f"{record.method} {record.path}", remaining=0, reset_after=retry_after)
        headers["Retry-After"] = str(max(1, round(retry_after)))
        headers["X-RateLimit-Scope"] = "global" if failure.is_global else "user"
        if failure.is_global:
            headers["X-RateLimit-Global"] = "true"
        body = {
            "message": failure.message or STATUS_TEXT[429],
            "retry_after": retry_after,
            "global": failure.is_global,
            "code": 0,
        }
        return _json_response(body, 429, headers)
    return _error(failure.status, failure.code or 0, failure.message)
