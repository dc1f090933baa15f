"""End-to-end checks: real slack-bolt AsyncApp + slack-sdk AsyncWebClient against the loopback fake."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.adapters.slack.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.adapters.slack.fake_slack import (
    BOT_USER_ID,
    DEFAULT_CHANNEL_ID,
    RESPONSE_URL_CALL,
    TEAM_ID,
    UPLOAD_CALL,
    BoltAppServer,
    FakeSlackApi,
    SlackSender,
)

REACTION_EVENT = {
    "type": "reaction_added",
    "user": "U0MEMBER2",
    "reaction": "tada",
    "item_user": "U0MEMBER1",
    "item": {"type": "message", "channel": DEFAULT_CHANNEL_ID, "ts": "1700000000.000100"},
}


def client_for(fake: FakeSlackApi, **kwargs: Any) -> AsyncWebClient:
    return AsyncWebClient(token=BOT_TOKEN, base_url=fake.base_url, **kwargs)


# ----------------------------------------------------------------------------- signing


def test_signatures_match_slack_sdk_verifier() -> None:
    sender = SlackSender("http://unused", SIGNING_SECRET)
    verifier = SignatureVerifier(SIGNING_SECRET)
    body = "command=%2Fts&text=h%C3%A9llo"

    good = sender.signed_headers(body)
    forged = sender.signed_headers(body, forge_signature=True)
    stale = sender.signed_headers(body, stale_timestamp=True)

    assert verifier.is_valid_request(body, good)
    assert not verifier.is_valid_request(body, forged)
    assert not verifier.is_valid_request(body, stale)
    assert int(good["X-Slack-Request-Timestamp"]) - int(stale["X-Slack-Request-Timestamp"]) > 300


# ----------------------------------------------------------------------------- bolt over HTTP


async def test_slash_command_is_acked_and_listener_posts(
    bolt_app: AsyncApp, slack: SlackSender, fake_slack: FakeSlackApi
) -> None:
    @bolt_app.command("/townsquare")
    async def handle(ack: Any, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.chat_postMessage(channel=command["channel_id"], text=f"echo: {command['text']}")

    reply = await slack.slash_command("/townsquare", "hello world", user_id="U0ALICE")

    assert reply.status == 200
    assert reply.body == ""
    assert reply.elapsed < 3
    [call] = await fake_slack.wait_for("chat.postMessage")
    # bolt's per-request client is built with team_id=<request team>, which slack-sdk adds to every call
    assert call.params == {"channel": DEFAULT_CHANNEL_ID, "text": "echo: hello world", "team_id": TEAM_ID}
    assert call.headers["authorization"] == f"Bearer {BOT_TOKEN}"
    assert call.token == BOT_TOKEN
    # bolt's single-workspace authorization ran auth.test lazily, on this first request
    assert fake_slack.methods() == ["auth.test", "chat.postMessage"]


async def test_bad_signature_is_rejected_before_any_listener(
    bolt_app: AsyncApp, slack: SlackSender, fake_slack: FakeSlackApi
) -> None:
    called: list[str] = []

    @bolt_app.command("/townsquare")
    async def handle(ack: Any) -> None:
        called.append("yes")
        await ack()

    reply = await slack.slash_command("/townsquare", "hi", forge_signature=True)

    assert reply.status == 401
    assert reply.json() == {"error": "invalid request"}
    assert called == []
    assert fake_slack.calls == []  # verification precedes authorization (auth.test)


async def test_stale_timestamp_is_rejected(bolt_app: AsyncApp, slack: SlackSender) -> None:
    called: list[str] = []

    @bolt_app.command("/townsquare")
    async def handle(ack: Any) -> None:
        called.append("yes")
        await ack()

    reply = await slack.slash_command("/townsquare", "hi", stale_timestamp=True)

    assert reply.status == 401
    assert called == []


async def test_block_action_reaches_action_listener_and_respond(
    bolt_app: AsyncApp, slack: SlackSender, fake_slack: FakeSlackApi
) -> None:
    seen: dict[str, Any] = {}

    @bolt_app.action("rsvp_yes")
    async def handle(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any) -> None:
        await ack()
        seen.update(user=body["user"]["id"], value=action["value"], ts=body["container"]["message_ts"])
        await respond(text="See you there!", replace_original=False)

    reply = await slack.block_action("rsvp_yes", "event-42", user_id="U0BOB", message_ts="1700000000.000100")

    assert reply.status == 200
    [call] = await fake_slack.wait_for(RESPONSE_URL_CALL)
    assert call.params["text"] == "See you there!"
    assert seen == {"user": "U0BOB", "value": "event-42", "ts": "1700000000.000100"}


async def test_view_submission_reaches_view_listener(bolt_app: AsyncApp, slack: SlackSender) -> None:
    seen: list[tuple[str, str]] = []

    @bolt_app.view("apply_modal")
    async def handle(ack: Any, view: dict[str, Any], body: dict[str, Any]) -> None:
        answer = view["state"]["values"]["why"]["why_input"]["value"]
        if not answer:
            await ack(response_action="errors", errors={"why": "Please tell us why"})
            return
        await ack()
        seen.append((answer, view["private_metadata"]))

    def state(answer: str) -> dict[str, Any]:
        return {"why": {"why_input": {"type": "plain_text_input", "value": answer}}}

    rejected = await slack.view_submission("apply_modal", state(""), private_metadata="cohort-7")
    accepted = await slack.view_submission("apply_modal", state("I like it"), private_metadata="cohort-7")

    assert rejected.status == 200
    assert rejected.json() == {"response_action": "errors", "errors": {"why": "Please tell us why"}}
    assert accepted.status == 200
    assert accepted.body == ""
    assert seen == [("I like it", "cohort-7")]


async def test_message_shortcut_opens_a_modal(
    bolt_app: AsyncApp, bolt_server: BoltAppServer, slack: SlackSender, fake_slack: FakeSlackApi
) -> None:
    opened: list[str] = []

    @bolt_app.shortcut("report_message")
    async def handle(ack: Any, shortcut: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        view = {
            "type": "modal",
            "callback_id": "report_modal",
            "title": {"type": "plain_text", "text": "Report"},
            "private_metadata": shortcut["message"]["ts"],
            "blocks": [],
        }
        result = await client.views_open(trigger_id=shortcut["trigger_id"], view=view)
        opened.append(result["view"]["id"])

    reply = await slack.message_shortcut(
        "report_message", trigger_id="111.222.abc", message={"ts": "1700000000.000300", "text": "spam"}
    )

    assert reply.status == 200
    [call] = await fake_slack.wait_for("views.open")
    assert call.params["trigger_id"] == "111.222.abc"
    assert call.params["view"]["private_metadata"] == "1700000000.000300"
    await bolt_server.settle()
    assert opened == list(fake_slack.views)


async def test_event_callback_reaches_event_listener(bolt_app: AsyncApp, slack: SlackSender) -> None:
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    @bolt_app.event("reaction_added")
    async def handle(event: dict[str, Any], body: dict[str, Any]) -> None:
        await received.put({"reaction": event["reaction"], "event_id": body["event_id"]})

    reply = await slack.event(REACTION_EVENT, event_id="Ev0000001", team_id=TEAM_ID)

    assert reply.status == 200
    got = await asyncio.wait_for(received.get(), 2)
    assert got == {"reaction": "tada", "event_id": "Ev0000001"}


async def test_events_are_acked_before_the_listener_finishes(bolt_app: AsyncApp, slack: SlackSender) -> None:
    finished = asyncio.Event()

    @bolt_app.event("reaction_added")
    async def slow(event: dict[str, Any]) -> None:
        await asyncio.sleep(0.5)
        finished.set()

    reply = await slack.event(REACTION_EVENT)

    assert reply.status == 200
    assert reply.elapsed < 0.4
    assert not finished.is_set()
    await asyncio.wait_for(finished.wait(), 2)


async def test_own_bot_events_are_ignored(
    bolt_app: AsyncApp, bolt_server: BoltAppServer, slack: SlackSender
) -> None:
    called: list[str] = []

    @bolt_app.event("reaction_added")
    async def handle(event: dict[str, Any]) -> None:
        called.append(event["user"])

    reply = await slack.event({**REACTION_EVENT, "user": BOT_USER_ID})
    await bolt_server.settle()

    assert reply.status == 200
    assert called == []


async def test_retried_events_are_processed_by_default(bolt_app: AsyncApp, slack: SlackSender) -> None:
    retries: asyncio.Queue[list[str]] = asyncio.Queue()

    @bolt_app.event("reaction_added")
    async def handle(request: Any) -> None:
        await retries.put(request.headers.get("x-slack-retry-num", []))

    reply = await slack.event(REACTION_EVENT, event_id="EvSAME", retry_num=1, retry_reason="http_timeout")

    assert reply.status == 200
    assert await asyncio.wait_for(retries.get(), 2) == ["1"]


async def test_retried_events_can_be_skipped_with_a_global_middleware(
    bolt_app: AsyncApp, bolt_server: BoltAppServer, slack: SlackSender
) -> None:
    handled: list[str] = []

    @bolt_app.middleware
    async def skip_slack_retries(request: Any, next: Any) -> BoltResponse | None:
        if request.headers.get("x-slack-retry-num"):
            return BoltResponse(status=200, body="")
        return await next()

    @bolt_app.event("reaction_added")
    async def handle(body: dict[str, Any]) -> None:
        handled.append(body["event_id"])

    first = await slack.event(REACTION_EVENT, event_id="EvDUP")
    retry = await slack.event(REACTION_EVENT, event_id="EvDUP", retry_num=1, retry_reason="http_timeout")
    await bolt_server.settle()

    assert (first.status, retry.status) == (200, 200)
    assert handled == ["EvDUP"]


async def test_url_verification_is_answered_by_bolt(slack: SlackSender) -> None:
    reply = await slack.url_verification("challenge-123")

    assert reply.status == 200
    assert reply.json() == {"challenge": "challenge-123"}


async def test_quirk_command_whose_body_contains_payload_is_dropped(
    bolt_app: AsyncApp, slack: SlackSender
) -> None:
    """Canary for a slack-bolt 1.30 bug: parse_body() treats any form body containing the
    substring "payload" as an interactivity payload, so the command body parses to {}."""
    called: list[str] = []

    @bolt_app.command("/townsquare")
    async def handle(ack: Any) -> None:
        called.append("yes")
        await ack()

    reply = await slack.slash_command("/townsquare", "show payload")

    assert reply.status == 404
    assert called == []


async def test_rate_limited_call_is_retried_by_bolt_listener_client(fake_slack: FakeSlackApi) -> None:
    client = client_for(fake_slack, retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)])
    app = AsyncApp(signing_secret=SIGNING_SECRET, client=client)
    results: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    @app.command("/townsquare")
    async def handle(ack: Any, client: AsyncWebClient) -> None:
        await ack()
        started = time.monotonic()
        result = await client.chat_postMessage(channel="C0ANNOUNCE", text="digest")
        await results.put({"ts": result["ts"], "waited": time.monotonic() - started})

    fake_slack.fail_next("chat.postMessage", status=429, retry_after=1)
    async with BoltAppServer(app) as server:
        reply = await SlackSender(server.url, SIGNING_SECRET).slash_command("/townsquare")
        result = await asyncio.wait_for(results.get(), 5)

    assert reply.status == 200
    calls = fake_slack.calls_to("chat.postMessage")
    assert len(calls) == 2
    assert [c.params["text"] for c in calls] == ["digest", "digest"]
    assert results.empty() and result["ts"]
    assert result["waited"] >= 1.0  # Retry-After honoured (slack-sdk adds 0-1 s of jitter)


# ----------------------------------------------------------------------------- fake Web API


async def test_rate_limit_without_retry_handler_surfaces_retry_after(fake_slack: FakeSlackApi) -> None:
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=7)

    with pytest.raises(SlackApiError) as info:
        await client_for(fake_slack).chat_postMessage(channel="C1", text="x")

    assert info.value.response.status_code == 429
    assert info.value.response.headers["Retry-After"] == "7"
    assert info.value.response["error"] == "ratelimited"
    assert (await client_for(fake_slack).chat_postMessage(channel="C1", text="x"))["ok"]


async def test_programmed_errors_and_unknown_methods(fake_slack: FakeSlackApi) -> None:
    client = client_for(fake_slack)
    fake_slack.fail_next("chat.postMessage", error="channel_not_found", times=2)
    fake_slack.fail_next("users.info", status=500)

    for _ in range(2):
        with pytest.raises(SlackApiError, match="channel_not_found"):
            await client.chat_postMessage(channel="C404", text="x")
    with pytest.raises(SlackApiError) as server_error:
        await client.users_info(user="U1")
    with pytest.raises(SlackApiError, match="unknown_method"):
        await client.api_call("townsquare.nope", params={"a": "1"})

    assert server_error.value.response.status_code == 500
    assert (await client.chat_postMessage(channel="C404", text="x"))["ok"]
    assert fake_slack.calls_to("townsquare.nope")[0].params == {"a": "1"}
    assert len(fake_slack.calls_to("chat.postMessage")) == 3


async def test_token_checks(fake_slack: FakeSlackApi) -> None:
    fake_slack.tokens = {BOT_TOKEN}

    with pytest.raises(SlackApiError, match="invalid_auth"):
        await AsyncWebClient(token="xoxb-revoked", base_url=fake_slack.base_url).auth_test()
    with pytest.raises(SlackApiError, match="not_authed"):
        await AsyncWebClient(base_url=fake_slack.base_url).auth_test()

    auth = await client_for(fake_slack).auth_test()
    assert (auth["team_id"], auth["user_id"], auth["bot_id"]) == (TEAM_ID, BOT_USER_ID, "B0TOWNBOT")
    assert "chat:write" in auth.headers["X-OAuth-Scopes"]


async def test_messages_reactions_and_views(fake_slack: FakeSlackApi) -> None:
    client = client_for(fake_slack)

    first = await client.chat_postMessage(channel="C1", text="one")
    second = await client.chat_postMessage(channel="C1", text="two", blocks=[{"type": "divider"}])
    to_user = await client.chat_postMessage(channel="U0ALICE", text="psst")
    updated = await client.chat_update(channel="C1", ts=first["ts"], text="uno")
    ephemeral = await client.chat_postEphemeral(channel="C1", user="U0ALICE", text="only you")
    await client.reactions_add(channel="C1", timestamp=first["ts"], name="tada")
    with pytest.raises(SlackApiError, match="already_reacted"):
        await client.reactions_add(channel="C1", timestamp=first["ts"], name="tada")
    with pytest.raises(SlackApiError, match="no_text"), pytest.warns(UserWarning, match="`text`"):
        await client.chat_postMessage(channel="C1")

    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["user"] == BOT_USER_ID
    assert to_user["channel"].startswith("D")
    assert updated["text"] == "uno"
    assert ephemeral["message_ts"]

    view = {"type": "modal", "callback_id": "cb", "title": {"type": "plain_text", "text": "T"}, "blocks": []}
    opened = await client.views_open(trigger_id="1.2.3", view=view)
    pushed = await client.views_push(trigger_id="1.2.3", view={**view, "callback_id": "cb2"})
    changed = await client.views_update(view_id=opened["view"]["id"], view={**view, "private_metadata": "m"})

    assert opened["view"]["id"] != pushed["view"]["id"]
    assert changed["view"]["id"] == opened["view"]["id"]
    assert changed["view"]["private_metadata"] == "m"


async def test_conversations_users_and_usergroups(fake_slack: FakeSlackApi) -> None:
    client = client_for(fake_slack)
    fake_slack.add_user("U0ADMIN", is_admin=True)
    fake_slack.set_usergroup("S0MODS", ["U0ADMIN", "U0ALICE"])

    created = await client.conversations_create(name="cohort-7", is_private=True)
    channel_id = created["channel"]["id"]
    await client.conversations_invite(channel=channel_id, users=["U0ALICE", "U0BOB"])
    with pytest.raises(SlackApiError, match="already_in_channel"):
        await client.conversations_invite(channel=channel_id, users="U0ALICE")
    await client.conversations_kick(channel=channel_id, user="U0BOB")
    with pytest.raises(SlackApiError, match="name_taken"):
        await client.conversations_create(name="cohort-7")
    dm = await client.conversations_open(users="U0ALICE")
    dm_again = await client.conversations_open(users=["U0ALICE"])
    admin = await client.users_info(user="U0ADMIN")
    member = await client.users_info(user="U0ALICE")
    bot = await client.users_info(user=BOT_USER_ID)
    mods = await client.usergroups_users_list(usergroup="S0MODS")

    assert channel_id.startswith("C") and created["channel"]["is_private"] is True
    assert fake_slack.members[channel_id] == {BOT_USER_ID, "U0ALICE"}
    assert dm["channel"]["id"] == dm_again["channel"]["id"] and dm["channel"]["id"].startswith("D")
    assert admin["user"]["is_admin"] is True and member["user"]["is_admin"] is False
    assert bot["user"]["is_bot"] is True
    assert mods["users"] == ["U0ADMIN", "U0ALICE"]
    assert fake_slack.calls_to("conversations.invite")[0].params["users"] == "U0ALICE,U0BOB"


async def test_files_upload_v2_flow(fake_slack: FakeSlackApi) -> None:
    client = client_for(fake_slack)

    result = await client.files_upload_v2(
        channel="C0DIGEST", filename="digest.csv", content="week,joins\n1,12\n", title="Weekly digest"
    )

    assert fake_slack.methods() == ["files.getUploadURLExternal", UPLOAD_CALL, "files.completeUploadExternal"]
    get_url, upload, complete = fake_slack.calls
    assert get_url.params["filename"] == "digest.csv" and get_url.params["length"] == "16"
    assert upload.params["content"] == b"week,joins\n1,12\n"
    assert "authorization" not in upload.headers  # the upload URL is pre-authorised
    file_id = result["file"]["id"]
    assert json.loads(complete.params["files"]) == [{"id": file_id, "title": "Weekly digest"}]
    assert complete.params["channel_id"] == "C0DIGEST"
    assert fake_slack.uploads[file_id] == b"week,joins\n1,12\n"
    assert result["files"][0]["title"] == "Weekly digest"


async def test_custom_handler_and_wait_for_timeout(fake_slack: FakeSlackApi) -> None:
    fake_slack.set_handler("team.info", lambda params: {"team": {"id": TEAM_ID, "name": "Townsquare"}})

    info = await client_for(fake_slack).team_info()

    assert info["team"]["name"] == "Townsquare"
    with pytest.raises(AssertionError, match="expected 1 call"):
        await fake_slack.wait_for("chat.postMessage", within=0.05)
