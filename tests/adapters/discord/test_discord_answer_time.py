"""Every interaction is answered within a second, even when Discord (or the core's work) is slow:
the work gets half a second, then the interaction is deferred and the answer follows."""

from __future__ import annotations

import re
import time

from adapters.discord.interactions import ACK_BUDGET_SECONDS
from tests.adapters.discord.conftest import Harness
from tests.adapters.discord.fake_discord import JSON, FakeDiscord, RecordedRequest

INVITES = r"/channels/\d+/invites"


async def _sent(fake: FakeDiscord, interaction: JSON) -> float:
    sent = time.monotonic()
    await fake.dispatch("INTERACTION_CREATE", interaction)
    return sent


def _original_edit(fake: FakeDiscord, interaction: JSON) -> str:
    return f"/webhooks/{fake.application_id}/{interaction['token']}/messages/@original"


async def test_refer_is_deferred_within_a_second_when_discord_answers_in_one_and_a_half(
    harness: Harness,
) -> None:
    fake, guild = harness.fake, harness.square.guild
    fake.delay("POST", INVITES, 1.5)  # minting the personal invite: Discord is slow today
    async with harness.running(harness.client(ack_budget=ACK_BUDGET_SECONDS)):
        refer = fake.slash_interaction("refer", user=harness.square.members["alice"], guild=guild)
        sent = await _sent(fake, refer)
        callback: RecordedRequest = await fake.wait_for_request("POST", fake.callback_path(refer))
        edit = await fake.wait_for_request("PATCH", _original_edit(fake, refer), timeout=5)
    answered = callback.at - sent
    print(f"/refer with 1.5 s of Discord latency: deferred after {answered:.3f} s")  # noqa: T201
    assert callback.payload["type"] == 5 and answered < 1.0
    assert fake.requests_to("POST", re.compile(INVITES))[0].at < edit.at
    embed = edit.payload["embeds"][0]
    assert "https://discord.gg/" in embed["description"]  # the answer followed, with the invite


async def test_slow_core_work_is_deferred_within_a_second_and_fast_work_answers_directly(
    harness: Harness,
) -> None:
    fake, guild, alice = harness.fake, harness.square.guild, harness.square.members["alice"]
    async with harness.running(harness.client(ack_budget=ACK_BUDGET_SECONDS)):
        slow = fake.slash_interaction("slow", {"seconds": 2}, user=alice, guild=guild)
        sent = await _sent(fake, slow)
        deferred = await fake.wait_for_request("POST", fake.callback_path(slow))
        edit = await fake.wait_for_request("PATCH", _original_edit(fake, slow), timeout=5)
        fast = fake.slash_interaction("ping", user=alice, guild=guild)
        fast_sent = await _sent(fake, fast)
        direct = await fake.wait_for_request("POST", fake.callback_path(fast))
    assert deferred.payload["type"] == 5 and deferred.at - sent < 1.0
    assert edit.payload["content"] == "Finally done."
    assert direct.payload["type"] == 4 and direct.at - fast_sent < 1.0
