"""Loopback stand-ins for Slack, for driving the real slack-bolt / slack-sdk stack in tests.

* :class:`FakeSlackApi` -- an aiohttp server that speaks enough of the Slack Web API for
  ``AsyncWebClient(base_url=fake.base_url)``; it records every call and can be told to fail.
* :class:`SlackSender` -- signs and POSTs requests to a bolt app exactly like Slack does
  (slash commands, interactivity payloads, Events API callbacks).
* :class:`BoltAppServer` -- serves a bolt ``AsyncApp`` over HTTP on 127.0.0.1 and shuts it
  down cleanly, including the listener tasks bolt leaves running after ``ack()``.

The fake also speaks Socket Mode: ``apps.connections.open`` hands out a WebSocket URL on the same
server, and :meth:`FakeSlackApi.socket_send` pushes an envelope and returns the client's ack.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import inspect
import itertools
import json
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, Self
from urllib.parse import urlencode

from aiohttp import ClientSession, ClientTimeout, WSMsgType, web

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

TEAM_ID = "T0TOWNSQ1"
TEAM_DOMAIN = "townsquare-test"
BOT_USER_ID = "U0TOWNBOT"
BOT_ID = "B0TOWNBOT"
API_APP_ID = "A0TOWNAPP"
DEFAULT_USER_ID = "U0MEMBER1"
DEFAULT_CHANNEL_ID = "C0GENERAL"
DEFAULT_SCOPES = (
    "chat:write,commands,channels:manage,groups:write,im:write,mpim:write,"
    "users:read,reactions:write,files:write,usergroups:read"
)
UPLOAD_CALL = "upload_url"
"""Pseudo method name recorded when file bytes are POSTed to an upload URL issued by the fake."""
RESPONSE_URL_CALL = "response_url"
"""Pseudo method name recorded when a message is POSTed to a response_url served by the fake."""

JsonDict = dict[str, Any]
Handler = Callable[[JsonDict], JsonDict | Awaitable[JsonDict]]


class ApiCall(NamedTuple):
    """One request received by the fake: method, merged query/form/JSON params, lower-cased headers."""

    method: str
    params: JsonDict
    headers: dict[str, str]

    @property
    def token(self) -> str | None:
        """The token sent as ``Authorization: Bearer`` (or as a ``token`` param)."""
        return _token_of(self.params, self.headers)


class ApiError(Exception):
    """Raise from a handler to answer ``{"ok": false, "error": <error>}``."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass
class _Failure:
    status: int
    error: str
    retry_after: int | None
    remaining: int


def _token_of(params: Mapping[str, Any], headers: Mapping[str, str]) -> str | None:
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    token = params.get("token")
    return str(token) if token else None


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in {"1", "true"}


def _split(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [v.strip() for v in str(value or "").split(",") if v.strip()]


def _as_dict(value: Any) -> JsonDict:
    if isinstance(value, str):
        value = json.loads(value) if value else {}
    if not isinstance(value, dict):
        raise ApiError("invalid_arguments")
    return value


def _require(params: Mapping[str, Any], name: str, error: str = "invalid_arguments") -> Any:
    value = params.get(name)
    if value in (None, ""):
        raise ApiError(error)
    return value


class FakeSlackApi:
    """A local Slack Web API on 127.0.0.1 (random port); use as an async context manager.

    ``AsyncWebClient(token=..., base_url=fake.base_url)`` talks to it. Every request is recorded
    in :attr:`calls` *before* failures are injected, so rate-limited attempts are visible too.
    """

    def __init__(
        self,
        *,
        team_id: str = TEAM_ID,
        team_domain: str = TEAM_DOMAIN,
        bot_user_id: str = BOT_USER_ID,
        bot_id: str = BOT_ID,
        scopes: str = DEFAULT_SCOPES,
        tokens: Collection[str] | None = None,
    ) -> None:
        self.team_id = team_id
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.scopes = scopes
        self.tokens = tokens
        """Accepted tokens; ``None`` accepts any token (a missing token is always ``not_authed``)."""
        self.calls: list[ApiCall] = []
        self.users: dict[str, JsonDict] = {}
        self.channels: dict[str, JsonDict] = {}
        self.members: defaultdict[str, set[str]] = defaultdict(set)
        self.messages: dict[tuple[str, str], JsonDict] = {}
        self.views: dict[str, JsonDict] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.reactions: set[tuple[str, str, str]] = set()
        self.files: dict[str, JsonDict] = {}
        self.uploads: dict[str, bytes] = {}
        self._failures: defaultdict[str, deque[_Failure]] = defaultdict(deque)
        self._dms: dict[tuple[str, ...], str] = {}
        self._counters: defaultdict[str, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._ts_base = int(time.time())
        self._handlers: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
            "conversations.open": self._conversations_open,
            "conversations.create": self._conversations_create,
            "conversations.invite": self._conversations_invite,
            "conversations.kick": self._conversations_kick,
            "conversations.list": self._conversations_list,
            "conversations.info": self._conversations_info,
            "conversations.setTopic": self._conversations_set_topic,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "conversations.members": self._conversations_members,
            "reactions.add": self._reactions_add,
            "usergroups.users.list": self._usergroups_users_list,
            "usergroups.users.update": self._usergroups_users_update,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "apps.connections.open": self._apps_connections_open,
        }
        self.page_cap = 1000
        """Most items one page of a paginated method returns, whatever ``limit`` asks (Slack may return
        fewer than asked); lower it to make a test page through several cursors."""
        self._runner: web.AppRunner | None = None
        self.sockets: list[web.WebSocketResponse] = []
        self.socket_replies: list[JsonDict] = []
        """What Socket Mode clients sent back (envelope acknowledgements), oldest first."""
        self.port = 0
        self.add_user(bot_user_id, name="townsquare", is_bot=True)

    # ----------------------------------------------------------------- lifecycle

    @property
    def url(self) -> str:
        """Root URL of the server, e.g. ``http://127.0.0.1:54321``."""
        if not self.port:
            raise RuntimeError("FakeSlackApi is not started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """Web API base URL for ``AsyncWebClient(base_url=...)`` (ends in ``/api/``)."""
        return f"{self.url}/api/"

    async def start(self) -> None:
        """Bind to a free loopback port and start serving."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/upload/v1/{file_id}", self._handle_upload)
        app.router.add_post("/response-url/{key}", self._handle_response_url)
        app.router.add_get("/socket-mode", self._handle_socket)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        """Stop serving."""
        for socket in self.sockets:
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ----------------------------------------------------------------- programming

    def fail_next(
        self,
        method: str,
        *,
        status: int | None = None,
        error: str | None = None,
        retry_after: int = 1,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail.

        ``status=429`` (the default when neither ``status`` nor ``error`` is given) answers HTTP 429
        with ``Retry-After: <retry_after>`` and ``error=ratelimited``; ``error="x"`` alone answers
        HTTP 200 ``{"ok": false, "error": "x"}``; any other status (e.g. 500) answers that status.
        """
        if status is None:
            status = 200 if error is not None else 429
        if error is None:
            error = {429: "ratelimited", 200: "fatal_error"}.get(status, "internal_error")
        self._failures[method].append(_Failure(status, error, retry_after if status == 429 else None, times))

    def set_handler(self, method: str, handler: Handler) -> None:
        """Answer ``method`` with ``handler(params)`` (sync or async); ``"ok": true`` is implied."""
        self._handlers[method] = handler

    def add_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        is_bot: bool = False,
        is_admin: bool = False,
        is_owner: bool = False,
        deleted: bool = False,
        **extra: Any,
    ) -> JsonDict:
        """Register a user for ``users.info`` (unknown ids get an ordinary human member)."""
        name = name or f"user-{user_id.lower()}"
        user = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "real_name": name.title(),
            "deleted": deleted,
            "tz": "Etc/UTC",
            "tz_offset": 0,
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": self._ts_base,
            "profile": {
                "real_name": name.title(),
                "display_name": name,
                "team": self.team_id,
                **({"bot_id": self.bot_id} if user_id == self.bot_user_id else {}),
            },
            **extra,
        }
        self.users[user_id] = user
        return user

    def add_channel(
        self, channel_id: str, name: str, *, is_private: bool = False, members: Iterable[str] = ()
    ) -> JsonDict:
        """Register an existing channel (makes invite/kick membership checks apply to it)."""
        channel = self._channel_object(channel_id, name, is_private)
        self.channels[channel_id] = channel
        self.members[channel_id].update(members)
        return channel

    def set_usergroup(self, usergroup_id: str, user_ids: Iterable[str]) -> None:
        """Define the members returned by ``usergroups.users.list``."""
        self.usergroups[usergroup_id] = list(user_ids)

    def response_url(self, key: str = "1") -> str:
        """A ``response_url`` served by this fake (posts are recorded as :data:`RESPONSE_URL_CALL`)."""
        return f"{self.url}/response-url/{key}"

    # ----------------------------------------------------------------- inspection

    def calls_to(self, method: str) -> list[ApiCall]:
        """All recorded calls of ``method``, oldest first."""
        return [call for call in self.calls if call.method == method]

    def methods(self) -> list[str]:
        """Method names of all recorded calls, in order."""
        return [call.method for call in self.calls]

    async def wait_for(self, method: str, count: int = 1, within: float = 3.0) -> list[ApiCall]:
        """Wait up to ``within`` seconds until ``method`` was called ``count`` times; returns the calls."""
        deadline = time.monotonic() + within
        while len(calls := self.calls_to(method)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"expected {count} call(s) to {method}, got {len(calls)}; calls: {self.methods()}"
                )
            await asyncio.sleep(0.005)
        return calls

    def clear(self) -> None:
        """Forget recorded calls and pending failures (state such as users is kept)."""
        self.calls.clear()
        self._failures.clear()

    # ----------------------------------------------------------------- HTTP plumbing

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _read_params(request)
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.calls.append(ApiCall(method, params, headers))

        failure = self._take_failure(method)
        if failure is not None:
            extra = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            body = {"ok": False, "error": failure.error}
            return web.json_response(body, status=failure.status, headers=extra)

        token = _token_of(params, headers)
        handler = self._handlers.get(method)
        try:
            if handler is None:
                raise ApiError("unknown_method")
            if token is None:
                raise ApiError("not_authed")
            if self.tokens is not None and token not in self.tokens:
                raise ApiError("invalid_auth")
            result = handler(params)
            body = {"ok": True, **(await result if inspect.isawaitable(result) else result)}
        except ApiError as exc:
            body = {"ok": False, "error": exc.error}
        return web.json_response(body, headers={"X-OAuth-Scopes": self.scopes})

    async def _handle_upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        data = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.calls.append(ApiCall(UPLOAD_CALL, {"file_id": file_id, "content": data}, headers))
        failure = self._take_failure(UPLOAD_CALL)
        if failure is not None:
            return web.Response(status=failure.status if failure.status != 200 else 500, text=failure.error)
        if file_id not in self.files:
            return web.Response(status=404, text="file_not_found")
        self.uploads[file_id] = data
        return web.Response(text=f"OK - {len(data)}")

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        params = await _read_params(request)
        params["response_url_key"] = request.match_info["key"]
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.calls.append(ApiCall(RESPONSE_URL_CALL, params, headers))
        failure = self._take_failure(RESPONSE_URL_CALL)
        if failure is not None:
            return web.Response(status=failure.status if failure.status != 200 else 404, text=failure.error)
        return web.Response(text="ok")

    async def _handle_socket(self, request: web.Request) -> web.WebSocketResponse:
        """A Socket Mode connection: says hello, then records what the client sends back."""
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self.sockets.append(socket)
        await socket.send_json({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"}})
        async for frame in socket:
            if frame.type == WSMsgType.TEXT:
                self.socket_replies.append(json.loads(frame.data))
        return socket

    async def socket_send(self, envelope: Mapping[str, Any], within: float = 5.0) -> JsonDict:
        """Send a Socket Mode envelope to the newest client; returns its acknowledgement."""
        deadline = time.monotonic() + within
        while not self.sockets:
            if time.monotonic() > deadline:
                raise AssertionError("no Socket Mode client connected")
            await asyncio.sleep(0.01)
        seen = len(self.socket_replies)
        await self.sockets[-1].send_json(dict(envelope))
        while True:
            for reply in self.socket_replies[seen:]:
                if reply.get("envelope_id") == envelope.get("envelope_id"):
                    return reply
            if time.monotonic() > deadline:
                raise AssertionError(f"envelope {envelope.get('envelope_id')} was not acknowledged")
            await asyncio.sleep(0.01)

    def _take_failure(self, method: str) -> _Failure | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            queue.popleft()
        return failure

    # ----------------------------------------------------------------- id helpers

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._counters[prefix]):08X}"

    def _next_ts(self) -> str:
        return f"{self._ts_base}.{next(self._counters['ts']):06d}"

    def _channel_object(self, channel_id: str, name: str, is_private: bool) -> JsonDict:
        return {
            "id": channel_id,
            "name": name,
            "is_channel": True,
            "is_group": False,
            "is_im": False,
            "is_private": is_private,
            "is_archived": False,
            "created": self._ts_base,
            "creator": self.bot_user_id,
            "context_team_id": self.team_id,
        }

    def _resolve_channel(self, channel: str) -> str:
        """Posting to a user id lands in the DM with that user, as on Slack."""
        if channel[:1] in {"U", "W"}:
            return self._dm_for([channel])
        return channel

    def _dm_for(self, users: list[str]) -> str:
        key = tuple(sorted(users))
        if key not in self._dms:
            self._dms[key] = self._next_id("D" if len(key) == 1 else "G")
        return self._dms[key]

    # ----------------------------------------------------------------- API methods

    def _auth_test(self, params: JsonDict) -> JsonDict:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": "Townsquare Test",
            "user": "townsquare",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "bot_user_id": self.bot_user_id,
            "is_enterprise_install": False,
        }

    def _message(self, params: JsonDict, channel: str, ts: str) -> JsonDict:
        message = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": API_APP_ID,
            "team": self.team_id,
            "text": params.get("text", ""),
            "ts": ts,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if params.get(key) not in (None, ""):
                message[key] = params[key]
        self.messages[(channel, ts)] = message
        return message

    def _chat_post_message(self, params: JsonDict) -> JsonDict:
        channel = self._resolve_channel(str(_require(params, "channel", "channel_not_found")))
        if not any(params.get(k) for k in ("text", "blocks", "attachments")):
            raise ApiError("no_text")
        ts = self._next_ts()
        return {"channel": channel, "ts": ts, "message": self._message(params, channel, ts)}

    def _chat_update(self, params: JsonDict) -> JsonDict:
        channel = str(_require(params, "channel", "channel_not_found"))
        ts = str(_require(params, "ts", "message_not_found"))
        message = self._message(params, channel, ts)
        return {"channel": channel, "ts": ts, "text": message["text"], "message": message}

    def _chat_post_ephemeral(self, params: JsonDict) -> JsonDict:
        _require(params, "channel", "channel_not_found")
        _require(params, "user", "user_not_in_channel")
        if not any(params.get(k) for k in ("text", "blocks", "attachments")):
            raise ApiError("no_text")
        return {"message_ts": self._next_ts()}

    def _chat_get_permalink(self, params: JsonDict) -> JsonDict:
        channel = str(_require(params, "channel", "channel_not_found"))
        ts = str(_require(params, "message_ts", "message_not_found"))
        if (channel, ts) not in self.messages:
            raise ApiError("message_not_found")
        return {
            "channel": channel,
            "permalink": f"https://{self.team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}",
        }

    def _store_view(self, view: JsonDict, view_id: str, previous: JsonDict | None = None) -> JsonDict:
        stored = {
            "type": "modal",
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "clear_on_close": False,
            "notify_on_close": False,
            **(previous or {}),
            **view,
            "id": view_id,
            "team_id": self.team_id,
            "app_id": API_APP_ID,
            "bot_id": self.bot_id,
            "app_installed_team_id": self.team_id,
            "state": {"values": {}},
            "hash": f"{self._ts_base}.{next(self._counters['hash']):08x}",
            "root_view_id": (previous or {}).get("root_view_id", view_id),
            "previous_view_id": None,
        }
        self.views[view_id] = stored
        return stored

    def _views_open(self, params: JsonDict) -> JsonDict:
        _require(params, "trigger_id", "invalid_trigger_id")
        view = _as_dict(_require(params, "view"))
        return {"view": self._store_view(view, self._next_id("V"))}

    def _views_update(self, params: JsonDict) -> JsonDict:
        view = _as_dict(_require(params, "view"))
        view_id = params.get("view_id")
        if not view_id and params.get("external_id"):
            matches = [v["id"] for v in self.views.values() if v.get("external_id") == params["external_id"]]
            view_id = matches[0] if matches else None
        if not view_id:
            raise ApiError("not_found")
        return {"view": self._store_view(view, str(view_id), self.views.get(str(view_id)))}

    def _conversations_open(self, params: JsonDict) -> JsonDict:
        if params.get("channel"):
            return {"channel": {"id": params["channel"]}, "no_op": True, "already_open": True}
        users = _split(params.get("users"))
        if not users:
            raise ApiError("users_list_not_supplied")
        channel_id = self._dm_for(users)
        return {"channel": {"id": channel_id}, "no_op": False, "already_open": False}

    def _conversations_create(self, params: JsonDict) -> JsonDict:
        name = str(_require(params, "name", "invalid_name_required"))
        if any(channel.get("name") == name for channel in self.channels.values()):
            raise ApiError("name_taken")
        channel_id = self._next_id("C")
        channel = self.add_channel(
            channel_id, name, is_private=_truthy(params.get("is_private")), members=[self.bot_user_id]
        )
        return {"channel": channel}

    def _conversations_invite(self, params: JsonDict) -> JsonDict:
        channel = str(_require(params, "channel", "channel_not_found"))
        users = _split(params.get("users"))
        if not users:
            raise ApiError("no_user")
        if any(user in self.members[channel] for user in users):
            raise ApiError("already_in_channel")
        self.members[channel].update(users)
        return {"channel": self.channels.get(channel, {"id": channel})}

    def _conversations_kick(self, params: JsonDict) -> JsonDict:
        channel = str(_require(params, "channel", "channel_not_found"))
        user = str(_require(params, "user", "user_not_found"))
        if channel in self.channels and user not in self.members[channel]:
            raise ApiError("not_in_channel")
        self.members[channel].discard(user)
        return {}

    def _conversations_list(self, params: JsonDict) -> JsonDict:
        """Channels the bot can see: public ones, and private ones it is a member of (one page)."""
        types = set(_split(params.get("types"))) or {"public_channel"}
        found = []
        for channel_id, channel in self.channels.items():
            kind = "private_channel" if channel.get("is_private") else "public_channel"
            if kind not in types:
                continue
            if kind == "private_channel" and self.bot_user_id not in self.members[channel_id]:
                continue
            found.append(channel)
        return {"channels": found, "response_metadata": {"next_cursor": ""}}

    def _conversations_info(self, params: JsonDict) -> JsonDict:
        """A channel with ``is_member`` for the bot; a private one without the bot is not found."""
        channel_id = str(_require(params, "channel", "channel_not_found"))
        channel = self.channels.get(channel_id)
        is_member = self.bot_user_id in self.members[channel_id]
        if channel is None or (channel.get("is_private") and not is_member):
            raise ApiError("channel_not_found")
        return {"channel": {**channel, "is_member": is_member}}

    def _conversations_set_topic(self, params: JsonDict) -> JsonDict:
        channel = str(_require(params, "channel", "channel_not_found"))
        topic = str(params.get("topic", ""))
        self.channels.setdefault(channel, self._channel_object(channel, channel.lower(), False))["topic"] = {
            "value": topic
        }
        return {"channel": self.channels[channel]}

    def _apps_connections_open(self, params: JsonDict) -> JsonDict:
        return {"url": f"ws://127.0.0.1:{self.port}/socket-mode"}

    def _users_info(self, params: JsonDict) -> JsonDict:
        user_id = str(_require(params, "user", "user_not_found"))
        return {"user": self.users.get(user_id) or self.add_user(user_id)}

    def _page(self, params: JsonDict, items: list[Any]) -> tuple[list[Any], JsonDict]:
        """Cursor pagination as Slack does it: an opaque cursor, "" on the last page."""
        limit = min(int(params.get("limit") or 100), self.page_cap, 1000)
        cursor = str(params.get("cursor") or "")
        try:
            start = int(cursor.removeprefix("dXNlcjo"), 16) if cursor else 0
        except ValueError:
            raise ApiError("invalid_cursor") from None
        end = start + limit
        next_cursor = f"dXNlcjo{end:x}" if end < len(items) else ""
        return items[start:end], {"next_cursor": next_cursor}

    def _conversations_members(self, params: JsonDict) -> JsonDict:
        channel = str(_require(params, "channel", "channel_not_found"))
        if channel not in self.channels:
            raise ApiError("channel_not_found")
        info = self.channels[channel]
        if info.get("is_private") and self.bot_user_id not in self.members[channel]:
            raise ApiError("channel_not_found")
        page, metadata = self._page(params, sorted(self.members[channel]))
        return {"members": page, "response_metadata": metadata}

    def _users_list(self, params: JsonDict) -> JsonDict:
        page, metadata = self._page(params, [self.users[user] for user in sorted(self.users)])
        return {"members": page, "cache_ts": self._ts_base, "response_metadata": metadata}

    def _reactions_add(self, params: JsonDict) -> JsonDict:
        channel = str(_require(params, "channel", "channel_not_found"))
        ts = str(_require(params, "timestamp", "no_item_specified"))
        name = str(_require(params, "name", "invalid_name"))
        if (channel, ts, name) in self.reactions:
            raise ApiError("already_reacted")
        self.reactions.add((channel, ts, name))
        return {}

    def _usergroups_users_list(self, params: JsonDict) -> JsonDict:
        usergroup = str(_require(params, "usergroup", "no_such_subteam"))
        if usergroup not in self.usergroups:
            raise ApiError("no_such_subteam")
        return {"users": list(self.usergroups[usergroup])}

    def _usergroups_users_update(self, params: JsonDict) -> JsonDict:
        usergroup = str(_require(params, "usergroup", "no_such_subteam"))
        if usergroup not in self.usergroups:
            raise ApiError("no_such_subteam")
        users = [u for u in str(_require(params, "users", "invalid_users")).split(",") if u]
        if not users:
            raise ApiError("invalid_users")
        self.usergroups[usergroup] = users
        return {"usergroup": {"id": usergroup, "users": users}}

    def _files_get_upload_url(self, params: JsonDict) -> JsonDict:
        filename = str(_require(params, "filename"))
        length = int(_require(params, "length"))
        file_id = self._next_id("F")
        self.files[file_id] = {"id": file_id, "name": filename, "title": filename, "size": length}
        return {"upload_url": f"{self.url}/upload/v1/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, params: JsonDict) -> JsonDict:
        raw = params.get("files")
        entries = json.loads(raw) if isinstance(raw, str) else raw
        if not isinstance(entries, list) or not entries:
            raise ApiError("invalid_arguments")
        channels = _split(params.get("channels")) or _split(params.get("channel_id"))
        completed = []
        for entry in entries:
            file_id = entry.get("id")
            if file_id not in self.files or file_id not in self.uploads:
                raise ApiError("file_not_found")
            info = self.files[file_id]
            info.update(title=entry.get("title") or info["name"], size=len(self.uploads[file_id]))
            info["channels"] = channels
            completed.append(dict(info))
        return {"files": completed}


async def _read_params(request: web.Request) -> JsonDict:
    """Merge query string, form (urlencoded or multipart) and JSON body params."""
    params: JsonDict = dict(request.query)
    if not request.body_exists:
        return params
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
    elif request.content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        form = await request.post()
        for key, value in form.items():
            params[key] = value.file.read() if isinstance(value, web.FileField) else value
    return params


# --------------------------------------------------------------------------- sending to bolt


@dataclass(frozen=True)
class SlackReply:
    """What the bolt app answered to a request from :class:`SlackSender`."""

    status: int
    body: str
    headers: dict[str, str]
    elapsed: float

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


class SlackSender:
    """Signs and POSTs Slack-shaped requests to a bolt app at ``app_url``.

    Every send method accepts ``forge_signature=True`` (sign with the wrong secret) and
    ``stale_timestamp=True`` (sign correctly, but with a timestamp six minutes old).
    """

    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        *,
        team_id: str = TEAM_ID,
        team_domain: str = TEAM_DOMAIN,
        api_app_id: str = API_APP_ID,
        bot_user_id: str = BOT_USER_ID,
        response_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.app_url = app_url
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.team_domain = team_domain
        self.api_app_id = api_app_id
        self.bot_user_id = bot_user_id
        self.response_url = response_url
        self.timeout = timeout
        self._seq = itertools.count(1)

    # ----------------------------------------------------------------- signing

    def signature(self, body: str | bytes, timestamp: int | str, secret: str | None = None) -> str:
        """``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{body}`` with the signing secret."""
        text = body.decode() if isinstance(body, bytes) else body
        key = (secret if secret is not None else self.signing_secret).encode()
        return "v0=" + hmac.new(key, f"v0:{timestamp}:{text}".encode(), hashlib.sha256).hexdigest()

    def signed_headers(
        self, body: str | bytes, *, forge_signature: bool = False, stale_timestamp: bool = False
    ) -> dict[str, str]:
        """The ``X-Slack-Request-Timestamp`` and ``X-Slack-Signature`` headers for ``body``."""
        timestamp = int(time.time()) - (6 * 60 if stale_timestamp else 0)
        secret = self.signing_secret + "-forged" if forge_signature else None
        return {
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": self.signature(body, timestamp, secret),
        }

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        headers: Mapping[str, str] | None = None,
        forge_signature: bool = False,
        stale_timestamp: bool = False,
    ) -> SlackReply:
        """Sign ``body`` and POST it to the app; returns status, body and elapsed seconds."""
        all_headers = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            **self.signed_headers(body, forge_signature=forge_signature, stale_timestamp=stale_timestamp),
            **(headers or {}),
        }
        started = time.perf_counter()
        async with ClientSession(timeout=ClientTimeout(total=self.timeout)) as session:
            async with session.post(self.app_url, data=body.encode(), headers=all_headers) as resp:
                text = await resp.text()
                return SlackReply(
                    status=resp.status,
                    body=text,
                    headers=dict(resp.headers),
                    elapsed=time.perf_counter() - started,
                )

    async def post_form(self, fields: Mapping[str, Any], **options: Any) -> SlackReply:
        """POST ``application/x-www-form-urlencoded`` fields (``None`` values dropped)."""
        body = urlencode({k: v for k, v in fields.items() if v is not None})
        return await self.post(body, "application/x-www-form-urlencoded", **options)

    async def post_payload(self, payload: Mapping[str, Any], **options: Any) -> SlackReply:
        """POST an interactivity payload as the ``payload`` form field, as Slack does."""
        return await self.post_form({"payload": json.dumps(payload, ensure_ascii=False)}, **options)

    # ----------------------------------------------------------------- payload pieces

    def _trigger_id(self) -> str:
        return f"{next(self._seq)}.{int(time.time())}.{secrets.token_hex(16)}"

    def _response_url(self, override: str | None) -> str:
        if override is not None:
            return override
        if self.response_url is not None:
            return self.response_url
        return f"https://hooks.slack.com/commands/{self.team_id}/{next(self._seq)}/fake"

    def _user(self, user_id: str, team_id: str) -> JsonDict:
        name = f"user-{user_id.lower()}"
        return {"id": user_id, "username": name, "name": name, "team_id": team_id}

    def _team(self, team_id: str) -> JsonDict:
        return {"id": team_id, "domain": self.team_domain}

    # ----------------------------------------------------------------- request kinds

    async def slash_command(
        self,
        command: str,
        text: str = "",
        *,
        user_id: str = DEFAULT_USER_ID,
        team_id: str | None = None,
        channel_id: str = DEFAULT_CHANNEL_ID,
        channel_name: str = "general",
        trigger_id: str | None = None,
        response_url: str | None = None,
        forge_signature: bool = False,
        stale_timestamp: bool = False,
    ) -> SlackReply:
        """Send a slash command (form-encoded body)."""
        team_id = team_id or self.team_id
        fields = {
            "token": "deprecated-verification-token",
            "team_id": team_id,
            "team_domain": self.team_domain,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": f"user-{user_id.lower()}",
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": self._response_url(response_url),
            "trigger_id": trigger_id or self._trigger_id(),
        }
        return await self.post_form(fields, forge_signature=forge_signature, stale_timestamp=stale_timestamp)

    async def block_action(
        self,
        action_id: str,
        value: str | None = None,
        *,
        user_id: str = DEFAULT_USER_ID,
        team_id: str | None = None,
        channel_id: str | None = DEFAULT_CHANNEL_ID,
        message_ts: str | None = None,
        message: Mapping[str, Any] | None = None,
        view: Mapping[str, Any] | None = None,
        block_id: str = "block",
        action: Mapping[str, Any] | None = None,
        state_values: Mapping[str, Any] | None = None,
        trigger_id: str | None = None,
        response_url: str | None = None,
        forge_signature: bool = False,
        stale_timestamp: bool = False,
    ) -> SlackReply:
        """Send a ``block_actions`` payload (a button click unless ``action`` overrides fields).

        With ``view`` the action comes from a modal; otherwise from the message at ``message_ts``.
        """
        team_id = team_id or self.team_id
        act: JsonDict = {
            "type": "button",
            "action_id": action_id,
            "block_id": block_id,
            "text": {"type": "plain_text", "text": action_id, "emoji": True},
            "action_ts": f"{time.time():.6f}",
        }
        if value is not None:
            act["value"] = value
        act.update(action or {})
        payload: JsonDict = {
            "type": "block_actions",
            "user": self._user(user_id, team_id),
            "api_app_id": self.api_app_id,
            "token": "deprecated-verification-token",
            "trigger_id": trigger_id or self._trigger_id(),
            "team": self._team(team_id),
            "enterprise": None,
            "is_enterprise_install": False,
            "state": {"values": dict(state_values or {})},
            "actions": [act],
        }
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view.get("id", "V0VIEW")}
            payload["view"] = dict(view)
        else:
            ts = message_ts or (message or {}).get("ts") or f"{int(time.time())}.000100"
            payload["container"] = {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel_id,
                "is_ephemeral": False,
            }
            payload["channel"] = {"id": channel_id, "name": "general"}
            payload["message"] = {
                "type": "message",
                "user": self.bot_user_id,
                "ts": ts,
                "text": "",
                **(message or {}),
            }
            payload["response_url"] = self._response_url(response_url)
        return await self.post_payload(
            payload, forge_signature=forge_signature, stale_timestamp=stale_timestamp
        )

    async def view_submission(
        self,
        callback_id: str,
        state_values: Mapping[str, Any] | None = None,
        *,
        user_id: str = DEFAULT_USER_ID,
        team_id: str | None = None,
        private_metadata: str = "",
        view_id: str = "V0VIEW0001",
        external_id: str = "",
        blocks: list[JsonDict] | None = None,
        forge_signature: bool = False,
        stale_timestamp: bool = False,
    ) -> SlackReply:
        """Send a ``view_submission`` payload; ``state_values`` is ``{block_id: {action_id: {...}}}``."""
        team_id = team_id or self.team_id
        payload = {
            "type": "view_submission",
            "team": self._team(team_id),
            "user": self._user(user_id, team_id),
            "api_app_id": self.api_app_id,
            "token": "deprecated-verification-token",
            "trigger_id": self._trigger_id(),
            "view": {
                "id": view_id,
                "team_id": team_id,
                "type": "modal",
                "blocks": blocks or [],
                "private_metadata": private_metadata,
                "callback_id": callback_id,
                "state": {"values": dict(state_values or {})},
                "hash": f"{int(time.time())}.abcdef12",
                "title": {"type": "plain_text", "text": "Townsquare"},
                "clear_on_close": False,
                "notify_on_close": False,
                "root_view_id": view_id,
                "previous_view_id": None,
                "app_id": self.api_app_id,
                "external_id": external_id,
                "app_installed_team_id": team_id,
                "bot_id": BOT_ID,
            },
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return await self.post_payload(
            payload, forge_signature=forge_signature, stale_timestamp=stale_timestamp
        )

    async def message_shortcut(
        self,
        callback_id: str,
        *,
        user_id: str = DEFAULT_USER_ID,
        team_id: str | None = None,
        channel_id: str = DEFAULT_CHANNEL_ID,
        channel_name: str = "general",
        message: Mapping[str, Any] | None = None,
        trigger_id: str | None = None,
        response_url: str | None = None,
        forge_signature: bool = False,
        stale_timestamp: bool = False,
    ) -> SlackReply:
        """Send a message shortcut (``message_action``) on ``message`` (needs at least ``ts``)."""
        team_id = team_id or self.team_id
        msg = {"type": "message", "user": DEFAULT_USER_ID, "text": "", "ts": f"{int(time.time())}.000200"}
        msg.update(message or {})
        payload = {
            "type": "message_action",
            "token": "deprecated-verification-token",
            "action_ts": f"{time.time():.6f}",
            "team": self._team(team_id),
            "user": self._user(user_id, team_id),
            "channel": {"id": channel_id, "name": channel_name},
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": trigger_id or self._trigger_id(),
            "response_url": self._response_url(response_url),
            "message_ts": msg["ts"],
            "message": msg,
        }
        return await self.post_payload(
            payload, forge_signature=forge_signature, stale_timestamp=stale_timestamp
        )

    async def event(
        self,
        event: Mapping[str, Any],
        *,
        event_id: str | None = None,
        team_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        forge_signature: bool = False,
        stale_timestamp: bool = False,
    ) -> SlackReply:
        """Send an Events API ``event_callback`` (JSON) wrapping ``event``.

        ``retry_num``/``retry_reason`` add ``X-Slack-Retry-Num``/``X-Slack-Retry-Reason`` as
        Slack does when redelivering (reasons: ``http_timeout``, ``http_error``, ...).
        """
        team_id = team_id or self.team_id
        body = {
            "token": "deprecated-verification-token",
            "team_id": team_id,
            "api_app_id": self.api_app_id,
            "event": {"event_ts": f"{time.time():.6f}", **event},
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._seq):08X}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-fake-{next(self._seq)}",
        }
        headers: dict[str, str] = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
        if retry_reason is not None:
            headers["X-Slack-Retry-Reason"] = retry_reason
        return await self.post(
            json.dumps(body, ensure_ascii=False),
            "application/json",
            headers=headers,
            forge_signature=forge_signature,
            stale_timestamp=stale_timestamp,
        )

    async def url_verification(self, challenge: str = "fake-challenge") -> SlackReply:
        """Send the Events API ``url_verification`` handshake."""
        body = {"token": "deprecated-verification-token", "challenge": challenge, "type": "url_verification"}
        return await self.post(json.dumps(body), "application/json")


# --------------------------------------------------------------------------- serving bolt


class BoltAppServer:
    """Serve a bolt ``AsyncApp`` on 127.0.0.1 (random port) at ``path`` via ``app.web_app()``.

    On exit it stops the server, then waits up to ``drain_timeout`` seconds for tasks started
    while it ran (bolt runs listeners in fire-and-forget tasks after ``ack()``) and cancels the rest.
    """

    def __init__(self, app: AsyncApp, *, path: str = "/slack/events", drain_timeout: float = 2.0) -> None:
        self.app = app
        self.path = path
        self.drain_timeout = drain_timeout
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._baseline: set[asyncio.Task[Any]] = set()

    @property
    def url(self) -> str:
        """Full URL of the events endpoint, e.g. ``http://127.0.0.1:54321/slack/events``."""
        return f"http://127.0.0.1:{self.port}{self.path}"

    async def __aenter__(self) -> Self:
        self._baseline = asyncio.all_tasks()
        self._runner = web.AppRunner(self.app.web_app(path=self.path), shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        _, stragglers = await self._wait_for_background(self.drain_timeout)
        for task in stragglers:
            task.cancel()
        await asyncio.gather(*stragglers, return_exceptions=True)

    async def settle(self, within: float = 2.0) -> None:
        """Wait until every task started since the server came up is done.

        Bolt acks first and finishes listeners in fire-and-forget tasks; call this after sending
        a request to assert on what the listeners did (or did not do).
        """
        _, pending = await self._wait_for_background(within)
        if pending:
            raise AssertionError(
                f"{len(pending)} background task(s) still running after {within}s: {pending}"
            )

    async def _wait_for_background(
        self, within: float
    ) -> tuple[set[asyncio.Task[Any]], set[asyncio.Task[Any]]]:
        tasks = asyncio.all_tasks() - self._baseline - {asyncio.current_task()}
        if not tasks:
            return set(), set()
        return await asyncio.wait(tasks, timeout=within)
