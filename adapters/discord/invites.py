"""Which invite brought a member in: invite-use diffing, per guild, under a lock.

Discord does not say which invite a member used. The adapter keeps each guild's invite use counts (and
the vanity URL's); after a join it fetches them again and compares. Exactly one personal invite used
once more → "certain"; an invite that vanished on its last use (Discord deletes it) → "likely";
anything else (two joins at once, nothing changed, the counts unreadable) → "ambiguous", and the
newcomer falls back to `/join CODE`. A join through the vanity URL is not a referral.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import discord

log = logging.getLogger("townsquare.discord.invites")

CERTAIN, LIKELY, AMBIGUOUS = "certain", "likely", "ambiguous"
MAX_AGE_SECONDS = 7 * 24 * 3600  # Discord's longest invite lifetime short of "never"
MAX_USES = 100  # Discord's largest max_uses


@dataclass(frozen=True)
class InviteUse:
    uses: int
    max_uses: int = 0  # 0: unlimited


@dataclass(frozen=True)
class Snapshot:
    """One guild's invite counters at one moment."""

    invites: Mapping[str, InviteUse] = field(default_factory=dict)
    vanity_uses: int | None = None


@dataclass(frozen=True)
class Attribution:
    """What explains a join: the invite code (None when unknown or the vanity URL) and how sure."""

    code: str | None
    confidence: str | None
    vanity: bool = False


def attribute(before: Snapshot, after: Snapshot) -> Attribution:
    """Compare invite counters around one join (pure; the tests drive it directly)."""
    grown = {
        code: use.uses - before.invites.get(code, InviteUse(0)).uses
        for code, use in after.invites.items()
        if use.uses > before.invites.get(code, InviteUse(0)).uses
    }
    # Discord deletes an invite when its last use is taken: it vanishes instead of growing.
    vanished = [
        code
        for code, use in before.invites.items()
        if code not in after.invites and use.max_uses and use.uses + 1 == use.max_uses
    ]
    vanity_grew = (
        before.vanity_uses is not None
        and after.vanity_uses is not None
        and after.vanity_uses > before.vanity_uses
    )
    if vanity_grew and not grown and not vanished:
        return Attribution(None, None, vanity=True)
    if vanity_grew:
        return Attribution(None, AMBIGUOUS)
    if len(grown) == 1 and not vanished:
        code, by = next(iter(grown.items()))
        return Attribution(code, CERTAIN) if by == 1 else Attribution(None, AMBIGUOUS)
    if len(vanished) == 1 and not grown:
        return Attribution(vanished[0], LIKELY)
    return Attribution(None, AMBIGUOUS)


async def read_snapshot(guild: discord.Guild) -> Snapshot:
    """The guild's invite counters now (needs Manage Server). Raises discord.HTTPException."""
    invites = await guild.invites()
    vanity: int | None = None
    if "VANITY_URL" in guild.features:
        invite = await guild.vanity_invite()
        vanity = invite.uses if invite is not None and invite.uses is not None else 0
    return Snapshot(
        invites={i.code: InviteUse(i.uses or 0, i.max_uses or 0) for i in invites},
        vanity_uses=vanity,
    )


class InviteTracker:
    """Per-guild invite counters and the lock that serialises join attribution."""

    def __init__(self) -> None:
        self._snapshots: dict[int, Snapshot] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    def lock(self, guild_id: int) -> asyncio.Lock:
        return self._locks.setdefault(guild_id, asyncio.Lock())

    async def prime(self, guild: discord.Guild) -> None:
        """Remember the counters now (at start and after every new gateway session)."""
        async with self.lock(guild.id):
            try:
                self._snapshots[guild.id] = await read_snapshot(guild)
            except discord.HTTPException as exc:
                log.warning(
                    "guild %s: cannot read invites (%s); referral invites will fall back to /join",
                    guild.id,
                    exc,
                )
                self._snapshots.pop(guild.id, None)

    def created(self, guild_id: int, code: str, max_uses: int) -> None:
        """An invite appeared (minted by us or announced by INVITE_CREATE): it starts at zero uses."""
        snapshot = self._snapshots.get(guild_id)
        if snapshot is None or code in snapshot.invites:
            return
        invites = dict(snapshot.invites)
        invites[code] = InviteUse(0, max_uses)
        self._snapshots[guild_id] = Snapshot(invites, snapshot.vanity_uses)

    async def explain_join(self, guild: discord.Guild) -> Attribution:
        """Which invite the join just seen used. Call while holding `lock(guild.id)`."""
        before = self._snapshots.get(guild.id)
        try:
            after = await read_snapshot(guild)
        except discord.HTTPException as exc:
            log.warning("guild %s: cannot read invites after a join (%s)", guild.id, exc)
            return Attribution(None, AMBIGUOUS)
        self._snapshots[guild.id] = after
        if before is None:
            return Attribution(None, AMBIGUOUS)
        return attribute(before, after)


def invite_lifetime(expires_at: datetime | None, now: datetime) -> int:
    """Seconds an invite should live to end with its referral code, within Discord's 7-day limit."""
    if expires_at is None:
        return MAX_AGE_SECONDS
    return max(60, min(MAX_AGE_SECONDS, int((expires_at - now).total_seconds())))


async def mint_invite(
    channel: discord.abc.GuildChannel, *, max_uses: int, max_age: int, reason: str
) -> discord.Invite:
    """A personal invite: unique, limited to the referral code's uses and lifetime."""
    return await channel.create_invite(
        max_uses=max(1, min(MAX_USES, max_uses)), max_age=max_age, unique=True, reason=reason
    )
