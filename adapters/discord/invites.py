"""Which invite brought a member in: invite-use diffing, per guild, under a lock.

Discord does not say which invite a member used. The adapter keeps each guild's invite use counts (and
the vanity URL's); after a join it fetches them again and compares. A targeted invite (one that only
the newcomer could accept, minted by `/refer member:@x`) used or gone → "certain". Otherwise the
counts are all there is: exactly one invite used once more → "inferred"; an invite that vanished on
its last use (Discord deletes it) → "likely"; anything else (two joins at once, nothing changed, the
counts unreadable) → "ambiguous", and the newcomer falls back to `/join CODE`. A join through the
vanity URL is not a referral. Which invites are targeted is remembered from their minting, in memory:
after a restart a join through one is still matched by counts ("likely"), just not "certain".
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import discord

log = logging.getLogger("townsquare.discord.invites")

CERTAIN, INFERRED, LIKELY, AMBIGUOUS = "certain", "inferred", "likely", "ambiguous"
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


def used(before: Snapshot, after: Snapshot, code: str) -> bool:
    """Whether the invite was used between the two snapshots: its count grew, or it vanished (used up)."""
    was = before.invites.get(code)
    now = after.invites.get(code)
    if now is not None:
        return now.uses > (was.uses if was else 0)
    return was is not None and bool(was.max_uses) and was.uses + 1 == was.max_uses


def attribute(
    before: Snapshot, after: Snapshot, targets: Mapping[str, int] | None = None, user_id: int | None = None
) -> Attribution:
    """Compare invite counters around one join of `user_id` (pure; the tests drive it directly).
    `targets` maps targeted invites to the one user who may accept each."""
    targets = targets or {}
    mine = [code for code, user in targets.items() if user == user_id and used(before, after, code)]
    if len(mine) == 1:
        return Attribution(mine[0], CERTAIN)
    # another person's targeted invite cannot explain this join: leave it out of the counts
    others = {code for code, user in targets.items() if user != user_id}
    if others:
        before = Snapshot({c: u for c, u in before.invites.items() if c not in others}, before.vanity_uses)
        after = Snapshot({c: u for c, u in after.invites.items() if c not in others}, after.vanity_uses)
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
        return Attribution(code, INFERRED) if by == 1 else Attribution(None, AMBIGUOUS)
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
        self._targets: dict[int, dict[str, int]] = {}  # guild → targeted invite code → the one user

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

    def created(self, guild_id: int, code: str, max_uses: int, target: int | None = None) -> None:
        """An invite appeared (minted by us or announced by INVITE_CREATE): it starts at zero uses.
        `target`: the one user who may accept it (a targeted invite we minted)."""
        if target is not None:
            self._targets.setdefault(guild_id, {})[code] = target
        snapshot = self._snapshots.get(guild_id)
        if snapshot is None or code in snapshot.invites:
            return
        invites = dict(snapshot.invites)
        invites[code] = InviteUse(0, max_uses)
        self._snapshots[guild_id] = Snapshot(invites, snapshot.vanity_uses)

    async def explain_join(self, guild: discord.Guild, user_id: int | None = None) -> Attribution:
        """Which invite the join of `user_id` just seen used. Call while holding `lock(guild.id)`."""
        before = self._snapshots.get(guild.id)
        try:
            after = await read_snapshot(guild)
        except discord.HTTPException as exc:
            log.warning("guild %s: cannot read invites after a join (%s)", guild.id, exc)
            return Attribution(None, AMBIGUOUS)
        self._snapshots[guild.id] = after
        if before is None:
            return Attribution(None, AMBIGUOUS)
        targets = self._targets.get(guild.id, {})
        found = attribute(before, after, targets, user_id)
        for code in [c for c in targets if c in before.invites and c not in after.invites]:
            del targets[code]  # used up, expired or deleted: it explains no later join
        return found


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


async def mint_targeted_invite(
    http: discord.http.HTTPClient,
    channel_id: int,
    *,
    user_id: int,
    role_ids: Sequence[int],
    max_age: int,
    reason: str,
) -> Mapping[str, Any]:
    """A single-use invite that only `user_id` can accept and that gives `role_ids` on accept.

    discord.py has no parameters for these, so this sends Create Channel Invite itself: Discord takes
    the users allowed to accept as `target_users_file`, a CSV of user ids, in a multipart body whose
    `payload_json` carries the rest. Raises discord.HTTPException (400/403 where the feature is off).
    """
    payload = {
        "max_age": max_age,
        "max_uses": 1,
        "temporary": False,
        "unique": True,
        "role_ids": [str(r) for r in role_ids],
    }
    form: list[dict[str, Any]] = [
        {"name": "payload_json", "value": json.dumps(payload)},
        {
            "name": "target_users_file",
            "value": f"{user_id}\n".encode(),
            "filename": "target_users.csv",
            "content_type": "text/csv",
        },
    ]
    route = discord.http.Route("POST", "/channels/{channel_id}/invites", channel_id=channel_id)
    data: Mapping[str, Any] = await http.request(route, form=form, reason=reason)
    return data
