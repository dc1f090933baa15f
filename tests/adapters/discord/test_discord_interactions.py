"""Slash commands, forms, buttons and message actions: the real discord.py client against the fake,
routed through a test registry and the bus, asserting the exact requests sent."""

from __future__ import annotations

import asyncio
import logging
import re

import pytest
from sqlalchemy import func, select

from adapters.discord.identity import member_ref
from bot.core.effects import PostMessage
from bot.core.refs import MemberRef
from bot.core.registry import STALE_BUTTON
from bot.core.replies import Action
from storage.tables import OutboxRow
from tests.adapters.discord.conftest import Harness
from tests.adapters.discord.fake_discord import JSON
from tests.adapters.discord.kit import Announce, ApproveThing
from tests.adapters.kit_feature import Answer, MarkHelpful, SubmitSurvey

EPHEMERAL = 64


def _member(harness: Harness, name: str) -> JSON:
    return harness.square.members[name]


async def _answer(harness: Harness, interaction: JSON) -> JSON:
    """Dispatch an interaction and return the first callback body the bot sent for it."""
    await harness.fake.dispatch("INTERACTION_CREATE", interaction)
    request = await harness.fake.wait_for_request("POST", harness.fake.callback_path(interaction))
    return request.payload


async def _outbox_count(harness: Harness) -> int:
    async with harness.app.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(OutboxRow)) or 0)


async def test_slash_command_answers_privately_and_pings_nobody_else(harness: Harness) -> None:
    fake, guild = harness.fake, harness.square.guild
    async with harness.running(harness.client()):
        body = await _answer(
            harness, fake.slash_interaction("ping", user=_member(harness, "alice"), guild=guild)
        )
    alice = harness.square.member_id("alice")
    assert body["type"] == 4
    data = body["data"]
    assert data["flags"] == EPHEMERAL
    # the role mention and @everyone the handler wrote are shown, not live
    assert data["content"] == f"pong <@{alice}> @\u200beveryone <@\u200b&1234567890123456789>"
    assert data["allowed_mentions"] == {"parse": [], "users": [alice]}


async def test_typed_options_and_subcommands_reach_the_registry(harness: Harness) -> None:
    fake, guild = harness.fake, harness.square.guild
    mo = _member(harness, "mo")
    async with harness.running(harness.client()):
        pick = fake.slash_interaction(
            "topic",
            [
                {
                    "type": 1,
                    "name": "pick",
                    "options": [
                        {"name": "who", "type": 6, "value": mo["user"]["id"]},
                        {"name": "topic", "type": 3, "value": "topic-07"},
                    ],
                }
            ],
            user=_member(harness, "alice"),
            guild=guild,
        )
        body = await _answer(harness, pick)
        assert body["data"]["content"] == f"picked topic-07 for <@{mo['user']['id']}>"
        # a lead-only subcommand, tried by a member, is refused by the registry
        close = fake.slash_interaction(
            "topic",
            [{"type": 1, "name": "close", "options": []}],
            user=_member(harness, "alice"),
            guild=guild,
        )
        body = await _answer(harness, close)
        assert (
            body["data"]["content"] == "/topic close is for leads only."
            and body["data"]["flags"] == EPHEMERAL
        )
        close = fake.slash_interaction(
            "topic", [{"type": 1, "name": "close", "options": []}], user=_member(harness, "lee"), guild=guild
        )
        assert (await _answer(harness, close))["data"]["content"] == "closed"


async def test_autocomplete_offers_matching_choices(harness: Harness) -> None:
    fake, guild = harness.fake, harness.square.guild
    async with harness.running(harness.client()):
        interaction = fake.autocomplete_interaction(
            "topic",
            [
                {
                    "type": 1,
                    "name": "pick",
                    "options": [{"name": "topic", "type": 3, "value": "ic-1", "focused": True}],
                }
            ],
            user=_member(harness, "alice"),
            guild=guild,
        )
        body = await _answer(harness, interaction)
    assert body["type"] == 8
    assert [c["value"] for c in body["data"]["choices"]] == [f"topic-1{i}" for i in range(10)]


async def test_form_opens_a_modal_and_its_submission_reaches_the_handler(harness: Harness) -> None:
    fake, guild = harness.fake, harness.square.guild
    alice = _member(harness, "alice")
    async with harness.running(harness.client()):
        body = await _answer(harness, fake.slash_interaction("survey", user=alice, guild=guild))
        assert body["type"] == 9  # the modal is the first and only response (no defer before it)
        modal = body["data"]
        assert modal["custom_id"] == "form:survey:ctx-42"
        assert modal["title"] == "A survey with a title much longer than Disco…"
        first, second = modal["components"]
        # a question longer than a label allows is shown whole in the label's description
        assert first["type"] == 18 and first["label"] == "What are you working on, and what brings you…"
        assert first["description"] == "What are you working on, and what brings you to this community?"
        assert (
            first["component"]
            | {
                "type": 4,
                "custom_id": "first",
                "style": 2,
                "min_length": 5,
                "max_length": 300,
                "required": True,
            }
            == first["component"]
        )
        assert second["component"]["style"] == 1 and second["component"]["required"] is False

        labelled = [
            {"type": 18, "component": {"type": 4, "custom_id": "first", "value": "gardens"}},
            {"type": 18, "component": {"type": 4, "custom_id": "second", "value": ""}},
        ]
        submit = fake.modal_submit_interaction("form:survey:ctx-42", labelled, user=alice, guild=guild)
        body = await _answer(harness, submit)
    assert body["data"]["content"] == "Thanks for answering." and body["data"]["flags"] == EPHEMERAL
    [command] = [c for c in harness.recorder.commands if isinstance(c, SubmitSurvey)]
    assert command.answers == (("first", "gardens"), ("second", "")) and command.context == "ctx-42"


async def _post_with_buttons(harness: Harness) -> JSON:
    """A moderator runs /announce; the relay posts the message with Approve and Going buttons."""
    fake, guild = harness.fake, harness.square.guild
    harness.recorder.applicant = member_ref(harness.square.member_id("nina"))
    body = await _answer(
        harness,
        fake.slash_interaction(
            "announce", {"text": "hi @everyone"}, user=_member(harness, "mo"), guild=guild
        ),
    )
    assert body["data"]["content"] == "Posted."
    await harness.app.relay.run_once()
    [post] = fake.sent_messages(harness.square.ids["channel:applications"])
    return post


async def test_posted_buttons_route_through_the_registry_and_edits_go_through_the_outbox(
    harness: Harness,
) -> None:
    fake, guild, ids = harness.fake, harness.square.guild, harness.square.ids
    nina = harness.square.member_id("nina")
    async with harness.running(harness.client()):
        post = await _post_with_buttons(harness)
        request = fake.requests_to("POST", f"/channels/{ids['channel:applications']}/messages")[0]
        assert request.payload["content"] == f"<@{nina}> asks: hi @\u200beveryone"
        assert request.payload["allowed_mentions"] == {"parse": [], "users": [nina]}
        assert [
            (b["custom_id"], b["label"], b["style"]) for b in request.payload["components"][0]["components"]
        ] == [
            ("thing:approve:1", "Approve", 3),
            ("thing:rsvp:7", "Going", 1),
        ]

        press = fake.component_interaction(
            "thing:approve:1", message=post, user=_member(harness, "mo"), guild=guild
        )
        body = await _answer(harness, press)
        assert body["type"] == 4
        assert body["data"]["content"] == "Approved." and body["data"]["flags"] == EPHEMERAL
        await harness.app.relay.run_once()

    mo = harness.square.member_id("mo")
    edit = fake.requests_to("PATCH", f"/channels/{post['channel_id']}/messages/{post['id']}")
    assert [r.payload["content"] for r in edit] == [f"Approved by <@{mo}>: <@{nina}>"]
    assert edit[0].payload["components"] == [] and edit[0].payload["allowed_mentions"]["parse"] == []
    role = f"/guilds/{guild['id']}/members/{nina}/roles/{ids['role:Member']}"
    assert [r.status for r in fake.requests_to("PUT", role)] == [204]
    dm = fake.requests_to("POST", re.compile(r"/channels/\d+/messages"))[-1]
    assert dm.payload["content"] == "You're in! @\u200bhere"
    assert fake.requests_to("POST", "/users/@me/channels")[0].payload == {"recipient_id": nina}


async def test_a_moderator_button_pressed_by_anyone_else_changes_nothing(harness: Harness) -> None:
    fake, guild = harness.fake, harness.square.guild
    async with harness.running(harness.client()):
        post = await _post_with_buttons(harness)
        before = await _outbox_count(harness)
        for name in ("alice", "nina"):
            press = fake.component_interaction(
                "thing:approve:1", message=post, user=_member(harness, name), guild=guild
            )
            body = await _answer(harness, press)
            assert body["type"] == 4 and body["data"]["flags"] == EPHEMERAL
            assert body["data"]["content"] == "Only moderators can use this button."
        await harness.app.relay.run_once()
    assert await _outbox_count(harness) == before
    assert not [c for c in harness.recorder.commands if isinstance(c, ApproveThing)]
    assert not fake.requests_to("PATCH", f"/channels/{post['channel_id']}/messages/{post['id']}")
    assert not fake.requests_to("PUT", re.compile(r"/guilds/\d+/members/\d+/roles/\d+"))


async def test_a_restarted_client_still_handles_a_button_posted_before(harness: Harness) -> None:
    fake, guild = harness.fake, harness.square.guild
    async with harness.running(harness.client()):
        post = await _post_with_buttons(harness)
    # a new process: a new client that never saw the post
    async with harness.running(harness.client()):
        approve = fake.component_interaction(
            "thing:approve:1", message=post, user=_member(harness, "mo"), guild=guild
        )
        assert (await _answer(harness, approve))["data"]["content"] == "Approved."
        press = fake.component_interaction(
            "thing:rsvp:7", message=post, user=_member(harness, "alice"), guild=guild
        )
        body = await _answer(harness, press)
    # Going: the pressed message itself is updated (callback type 7), with its button still there
    assert body["type"] == 7
    assert body["data"]["content"] == "1 going"
    assert body["data"]["components"][0]["components"][0]["custom_id"] == "thing:rsvp:7"


async def test_unknown_button_keys_are_answered(harness: Harness) -> None:
    fake, guild = harness.fake, harness.square.guild
    async with harness.running(harness.client()):
        old = await _answer(
            harness, fake.component_interaction("gone:away:1", guild=guild, user=_member(harness, "alice"))
        )
        odd = await _answer(
            harness, fake.component_interaction("not-ours", guild=guild, user=_member(harness, "alice"))
        )
    assert old["data"]["content"] == STALE_BUTTON and odd["data"]["content"] == STALE_BUTTON


async def test_mark_helpful_context_menu(harness: Harness) -> None:
    fake, guild = harness.fake, harness.square.guild
    target = fake.message("a helpful answer", guild=guild, author=_member(harness, "lee"))
    async with harness.running(harness.client()):
        body = await _answer(
            harness,
            fake.message_context_interaction(
                "Mark helpful", target, user=_member(harness, "alice"), guild=guild
            ),
        )
        bot_message = fake.message("beep", guild=guild)
        refused = await _answer(
            harness,
            fake.message_context_interaction(
                "Mark helpful", bot_message, user=_member(harness, "alice"), guild=guild
            ),
        )
    assert body["data"]["content"] == f"Marked <@{target['author']['id']}>'s answer as helpful."
    [command] = [c for c in harness.recorder.commands if isinstance(c, MarkHelpful)]
    assert command.author == MemberRef("discord", target["author"]["id"])
    assert command.message_id == target["id"]
    assert refused["data"]["content"] == "Bots cannot be marked."
    assert command.thread_owner is None and command.reply_to is None


async def test_mark_helpful_names_the_asker_and_the_help_channel(harness: Harness) -> None:
    fake, guild = harness.fake, harness.square.guild
    alice, bob, lee = (_member(harness, n) for n in ("alice", "nina", "lee"))
    parent = next(c for c in guild["channels"] if c["type"] == 0)
    thread = fake.thread("How do I deploy?", parent=int(parent["id"]), owner=alice)
    fake.channels[int(thread["id"])] = thread
    question = fake.message("the question", channel=thread, guild=guild, author=bob)
    answer = fake.message(
        "an answer",
        channel=thread,
        guild=guild,
        author=lee,
        referenced_message=question,
        message_reference={"message_id": question["id"], "channel_id": thread["id"]},
    )
    async with harness.running(harness.client()):
        await _answer(
            harness, fake.message_context_interaction("Mark helpful", answer, user=alice, guild=guild)
        )
    [command] = [c for c in harness.recorder.commands if isinstance(c, MarkHelpful)]
    assert command.thread_owner == MemberRef("discord", alice["user"]["id"])
    assert command.reply_to == MemberRef("discord", bob["user"]["id"])
    assert command.channel_name == parent["name"]


async def test_slow_work_is_deferred_then_answered(harness: Harness) -> None:
    fake, guild = harness.fake, harness.square.guild
    fake.interaction_ack_deadline = 3.0  # Discord's rule, enforced by the fake
    app_id = fake.application_id
    async with harness.running(harness.client(ack_budget=0.1)):
        private = fake.slash_interaction("slow", {"seconds": 1}, user=_member(harness, "alice"), guild=guild)
        body = await _answer(harness, private)
        assert body == {"type": 5, "data": {"flags": EPHEMERAL}}
        edit = await fake.wait_for_request(
            "PATCH", f"/webhooks/{app_id}/{private['token']}/messages/@original"
        )
        assert edit.payload["content"] == "Finally done."

        public = fake.slash_interaction(
            "slow", {"seconds": 1, "public": True}, user=_member(harness, "alice"), guild=guild
        )
        await _answer(harness, public)
        followup = await fake.wait_for_request("POST", f"/webhooks/{app_id}/{public['token']}")
        assert followup.payload["content"] == "Finally done." and not followup.payload.get("flags")
        assert fake.requests_to("DELETE", f"/webhooks/{app_id}/{public['token']}/messages/@original")


async def test_slow_button_is_acknowledged_then_updates_the_message(harness: Harness) -> None:
    fake, guild = harness.fake, harness.square.guild
    harness.registry.buttons.pop(("thing", "rsvp"))
    from bot.core.registry import ButtonRoute
    from tests.adapters.discord.kit import Slow

    harness.registry.button(
        ButtonRoute(
            "thing", "rsvp", lambda inv, i: Slow(community_id=inv.community_id, seconds=0.5), command=Slow
        )
    )
    async with harness.running(harness.client(ack_budget=0.05)):
        press = fake.component_interaction("thing:rsvp:7", user=_member(harness, "alice"), guild=guild)
        body = await _answer(harness, press)
        followup = await fake.wait_for_request("POST", f"/webhooks/{fake.application_id}/{press['token']}")
    assert body == {"type": 6}  # deferred update: nothing shows until the answer
    assert followup.payload["content"] == "Finally done." and followup.payload["flags"] == EPHEMERAL


async def test_expired_or_duplicate_interactions_are_logged_not_raised(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    fake, guild = harness.fake, harness.square.guild
    alice = _member(harness, "alice")
    async with harness.running(harness.client()):
        fake.fail_next("POST", r"/interactions/\d+/[^/]+/callback", 404, code=10062)
        with caplog.at_level(logging.WARNING, "townsquare.discord.interactions"):
            await _answer(harness, fake.slash_interaction("ping", user=alice, guild=guild))
            fake.fail_next("POST", r"/interactions/\d+/[^/]+/callback", 400, code=40060)
            await _answer(harness, fake.slash_interaction("ping", user=alice, guild=guild))
        # the client carries on
        body = await _answer(harness, fake.slash_interaction("ping", user=alice, guild=guild))
        assert body["data"]["content"].startswith("pong")
    assert "10062" in caplog.text and "40060" in caplog.text


async def test_a_replayed_interaction_is_answered_once(harness: Harness) -> None:
    fake, guild = harness.fake, harness.square.guild
    async with harness.running(harness.client()):
        interaction = fake.slash_interaction(
            "announce", {"text": "once"}, user=_member(harness, "mo"), guild=guild
        )
        frame = await fake.dispatch("INTERACTION_CREATE", interaction)
        await fake.wait_for_request("POST", fake.callback_path(interaction))
        assert frame is not None
        await fake.send_raw(frame)
        await asyncio.sleep(0.2)
    assert len(fake.callbacks(interaction)) == 1
    assert len([c for c in harness.recorder.commands if isinstance(c, Announce)]) == 1


async def test_buttons_in_a_direct_message_act_for_the_members_community(harness: Harness) -> None:
    fake = harness.fake
    async with harness.running(harness.client()):
        press = fake.component_interaction("thing:rsvp:7", user=_member(harness, "alice"), dm=True)
        body = await _answer(harness, press)
    assert body["type"] == 7 and body["data"]["content"] == "1 going"


async def test_error_in_a_handler_becomes_an_apology(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    fake, guild = harness.fake, harness.square.guild
    from bot.core.registry import SlashCommand

    def broken(inv: object) -> PostMessage:
        raise RuntimeError("bug")

    harness.registry.slash(SlashCommand("broken", "Fails", broken, command=Answer))  # type: ignore[arg-type]
    with caplog.at_level(logging.ERROR):
        async with harness.running(harness.client()):
            body = await _answer(
                harness, fake.slash_interaction("broken", user=_member(harness, "alice"), guild=guild)
            )
    assert body["data"]["content"].startswith("Sorry, something went wrong")
    assert "interaction failed" in caplog.text


def test_button_keys_must_fit_discord() -> None:
    from adapters.discord.render import button_view

    with pytest.raises(ValueError, match="longer than Discord allows"):
        button_view([Action("x", "area:verb:" + "9" * 100)])
