"""What erasure rewrites in a text: the member's mention, id (in any platform form) and names."""

from __future__ import annotations

import pytest

from bot.core.privacy.scrub import FORMER_MEMBER, Scrubber, keyed_hash
from bot.core.refs import MemberRef
from bot.core.text import mention

DISCORD = MemberRef("discord", "112233445566778899")
SLACK = MemberRef("slack", "U0ABCDEF12")
F = FORMER_MEMBER


@pytest.mark.parametrize(
    ("ref", "names", "text", "expected"),
    [
        (DISCORD, (), f"thanks {mention(DISCORD)}!", f"thanks {F}!"),
        (DISCORD, (), "pinged <@112233445566778899> and <@!112233445566778899>", f"pinged {F} and {F}"),
        (SLACK, (), "see <@U0ABCDEF12|zoe> now", f"see {F} now"),
        (SLACK, (), "user U0ABCDEF12 failed", f"user {F} failed"),
        (SLACK, (), "U0ABCDEF123 is someone else", "U0ABCDEF123 is someone else"),  # a longer id
        (SLACK, ("Bob",), "Bob's idea, by bob, not Bobby", f"{F}'s idea, by {F}, not Bobby"),
        (SLACK, ("Zoë Quokka", "zoe_q"), "Zoë Quokka (@zoe_q) wrote", f"{F} (@{F}) wrote"),
        (SLACK, ("B",), "B and b stay: too short to mean someone", "B and b stay: too short to mean someone"),
        (
            SLACK,
            ("member",),
            "a member's name that is a word of the replacement",
            "a member's name that is a word of the replacement",
        ),
        (MemberRef("fake", "x"), (), "x marks the spot, not an id", "x marks the spot, not an id"),
    ],
)
def test_text_is_made_neutral(ref: MemberRef, names: tuple[str, ...], text: str, expected: str) -> None:
    assert Scrubber(ref, names).text(text) == expected


def test_names_stay_where_only_ids_are_looked_for() -> None:
    scrubber = Scrubber(SLACK, ("Bob",))
    assert scrubber.text("Bob U0ABCDEF12", names=False) == f"Bob {F}"


def test_keys_with_the_id_become_a_keyed_hash_and_others_stay() -> None:
    scrubber = Scrubber(DISCORD, salt="s1")
    key = "member_remove:42:112233445566778899:2026-11-02"
    hashed = scrubber.key(key)
    assert hashed == keyed_hash("s1", key) and DISCORD.user_id not in hashed and len(hashed) == 40
    assert scrubber.key(key) == hashed  # the same key hashes the same: it still dedupes
    assert Scrubber(DISCORD, salt="s2").key(key) != hashed  # another community's salt, another hash
    assert scrubber.key("message:998877") == "message:998877"
    assert len(scrubber.key(key, 16)) == 16
