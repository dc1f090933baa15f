"""The weekly drift check: episodes opened and closed, the optional nudge; the opt-out button."""

from __future__ import annotations

from datetime import time, timedelta

from bot.core.badges.tier_rules import rank
from bot.core.context import Context
from bot.core.contributions.rules import week_start
from bot.core.effects import DirectMessage
from bot.core.recurring import Recurring, Weekly
from bot.core.reengagement import feature
from bot.core.reengagement.commands import CheckDrifting, StopNudges
from bot.core.reengagement.ports import DriftRepository
from bot.core.reengagement.rules import nudge_text, windows
from bot.core.registry import ButtonRoute
from bot.core.replies import Action, Reply

CHECK_AT = Weekly(6, time(20, 0))  # Sunday evenings: the week's digest, posted Monday, lists them
CHAMPION_RANK = 2  # the second tier up (Champion by default) and above may be asked to reach out


@feature.command(CheckDrifting)
async def check_drifting(command: CheckDrifting, ctx: Context) -> Reply:
    """Note who came back, open an episode for each member newly drifting, and nudge them (optional)."""
    cfg, cid, now = ctx.community.reengagement, command.community_id, ctx.now()
    lookback_from, silent_from = windows(week_start(now), cfg.lookback_weeks, cfg.silent_weeks)
    repo = ctx.uow.repo(DriftRepository)
    back = await repo.came_back(cid, now)
    ladder = ctx.community.tiers.ladder
    champions = [t.key for t in ladder if rank(ladder, t.key) >= CHAMPION_RANK]
    drifters = await repo.drifting(cid, lookback_from, silent_from, cfg.active_weeks, champions)
    nudged = 0
    for drifter in drifters:
        await repo.open_episode(cid, drifter, now)
        if not cfg.nudge or not await repo.may_nudge(
            drifter.member_id, now - timedelta(days=cfg.nudge_every_days)
        ):
            continue
        missed = await repo.missed(cid, now - timedelta(weeks=cfg.silent_weeks), now)
        await ctx.send(
            DirectMessage(
                cid,
                drifter.member,
                nudge_text(ctx.community.name, missed, cfg.silent_weeks),
                actions=(Action("No more of these", "reengage:stop:0"),),
            ),
            dedupe_key=f"reengage:{cid}:{drifter.member_id}:{now.date().isoformat()}",
        )
        await repo.nudged(cid, drifter.member_id, now)
        nudged += 1
    return Reply(text=f"{len(drifters)} drifting, {nudged} nudged, {back} came back.")


@feature.command(StopNudges)
async def stop_nudges(command: StopNudges, ctx: Context) -> Reply:
    """The member's choice: no more notes of what they missed."""
    member = ctx.acting_member()
    await ctx.uow.repo(DriftRepository).opt_out(command.community_id, member.id)
    return Reply(text="Got it: no more of these notes. You're welcome back any time.")


feature.recurring(Recurring("drifting", CheckDrifting, lambda c: CHECK_AT, timedelta(days=2)))
feature.button(
    ButtonRoute(
        "reengage", "stop", lambda inv, _: StopNudges(community_id=inv.community_id), command=StopNudges
    )
)
