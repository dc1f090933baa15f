"""/leads: for leads, privately, the consenting members whose CQL score reaches the threshold."""

from __future__ import annotations

from datetime import timedelta

from bot.core.business import feature
from bot.core.business.commands import ShowLeads
from bot.core.business.ports import BusinessRepository
from bot.core.business.rules import cql_score, level_of
from bot.core.context import Context
from bot.core.registry import SlashCommand
from bot.core.replies import Reply
from bot.core.text import mention

SHOWN = 15


@feature.command(ShowLeads)
async def show_leads(command: ShowLeads, ctx: Context) -> Reply:
    """Only members who consent to the current text are listed; the reasons say why each is."""
    policy = ctx.community.business
    repo = ctx.uow.repo(BusinessRepository)
    consenting = {
        c.member_id: c
        for c in await repo.consenting(command.community_id)
        if c.version >= policy.consent_version
    }
    if not consenting:
        return Reply(
            text="No member has agreed to the business link yet (/consent give): there are no leads to show."
        )
    since = ctx.now() - timedelta(days=policy.window_days)
    scored = []
    for activity in await repo.activities(command.community_id, since, list(consenting)):
        score = cql_score(activity, policy)
        if score.qualifies(policy.cql_threshold):
            scored.append((score, level_of(activity, policy), consenting[activity.member_id]))
    if not scored:
        return Reply(
            text=f"No community-qualified leads: none of the {len(consenting)} consenting members "
            f"reaches a score of {policy.cql_threshold:g} in the last {policy.window_days} days."
        )
    scored.sort(key=lambda item: (-item[0].score, item[2].member_id))
    lines = [f"Community-qualified leads (score ≥ {policy.cql_threshold:g}, last {policy.window_days} days):"]
    for score, level, consent in scored[:SHOWN]:
        lines.append(
            f"{mention(consent.member)} {score.score:g} ({level.value}): {'; '.join(score.reasons[:3])}"
        )
    if len(scored) > SHOWN:
        lines.append(f"…and {len(scored) - SHOWN} more.")
    return Reply(text="\n".join(lines))


feature.slash(
    SlashCommand(
        name="leads",
        description="Community-qualified leads among members who agreed to the business link (private)",
        build=lambda inv: ShowLeads(community_id=inv.community_id),
        command=ShowLeads,
    )
)
