"""Automations fire: a badge rule as the badge is awarded, the others (level, CQL, count) in a daily
pass. Each rule fires at most once per member (recorded in the same transaction as its effects).
CRM properties go out only for members who consent, and only when the community syncs."""

from __future__ import annotations

from datetime import time, timedelta

from bot.core.badges.events import BadgeAwarded
from bot.core.business import feature
from bot.core.business.automation_settings import Automation
from bot.core.business.commands import RunAutomations
from bot.core.business.ports import AutomationRepository, BusinessRepository, Consent
from bot.core.business.rules import Activity, Level, cql_score, level_of, subject_of
from bot.core.context import Context
from bot.core.effects import SINKS, AssignBadgeRole, DirectMessage, SyncProfile
from bot.core.recurring import Daily, Recurring
from bot.core.refs import MemberRef
from bot.core.replies import Reply
from bot.core.text import mention

LEVELS = list(Level)
AUTOMATIONS_AT = time(11, 0)


def matches(rule: Automation, activity: Activity, consent: Consent | None, ctx: Context) -> bool:
    """Whether a non-badge rule holds for a member now."""
    policy = ctx.community.business
    kind, _, arg = rule.when.partition(":")
    if kind == "level":
        return LEVELS.index(level_of(activity, policy)) >= LEVELS.index(Level(arg))
    if kind == "cql":
        current = consent is not None and consent.version >= policy.consent_version
        return current and cql_score(activity, policy).qualifies(policy.cql_threshold)
    if kind == "count":
        counted, _, at_least = arg.partition(">=")
        return activity.kinds.get(counted, 0) >= int(at_least)
    return False


def message(rule: Automation, member: MemberRef) -> str:
    """The DM of a rule; {name} becomes a mention of the member, {link} the rule's link."""
    link = str(rule.link) if rule.link else ""
    text = rule.dm or "Your invitation: {link}"
    return text.replace("{name}", mention(member)).replace("{link}", link)


async def fire(
    ctx: Context, rule: Automation, member_id: int, member: MemberRef, consent: Consent | None
) -> bool:
    """Carry out a rule's actions for a member, once; False when it had fired already."""
    if not await ctx.uow.repo(AutomationRepository).mark_fired(
        ctx.community.id, rule.key, member_id, ctx.now()
    ):
        return False
    if rule.dm or rule.link:
        await ctx.send(DirectMessage(ctx.community.id, member, message(rule, member)))
    if rule.role:
        await ctx.send(AssignBadgeRole(ctx.community.id, member, rule.role))
    policy = ctx.community.business
    if rule.crm and policy.sync and consent is not None and consent.version >= policy.consent_version:
        subject = subject_of(await ctx.uow.repo(BusinessRepository).subject_key(ctx.community.id), member)
        change = f"automation:{rule.key}:{subject}"
        effect = SyncProfile(
            ctx.community.id, subject, change, tuple(sorted(rule.crm.items())), consent.email
        )
        await ctx.send(effect, platform=SINKS, dedupe_key=change)
    return True


@feature.event(BadgeAwarded)
async def automate_badge(event: BadgeAwarded, ctx: Context) -> None:
    """Badge rules fire with the award."""
    rules = [r for r in ctx.community.business.automations if r.when == f"badge:{event.badge_key}"]
    if rules:
        consent = await ctx.uow.repo(BusinessRepository).consent_of(event.member_id)
        for rule in rules:
            await fire(
                ctx, rule, event.member_id, event.member, consent if consent and consent.active else None
            )


@feature.command(RunAutomations)
async def run_automations(command: RunAutomations, ctx: Context) -> Reply:
    """Fire the level, CQL and count rules members now meet; with dry_run, list them instead."""
    policy = ctx.community.business
    rules = [r for r in policy.automations if not r.when.startswith("badge:")]
    if not rules:
        return Reply(text="No level, CQL or count automations are configured.")
    repo = ctx.uow.repo(BusinessRepository)
    since = ctx.now() - timedelta(days=policy.window_days)
    activities = await repo.activities(command.community_id, since, None)
    consents = {c.member_id: c for c in await repo.consenting(command.community_id)}
    automations = ctx.uow.repo(AutomationRepository)
    fired = await automations.fired(command.community_id)
    due = [
        (rule, a.member_id)
        for a in activities
        for rule in rules
        if (rule.key, a.member_id) not in fired and matches(rule, a, consents.get(a.member_id), ctx)
    ]
    refs = await automations.members(command.community_id, sorted({m for _, m in due}))
    if command.dry_run:
        lines = [f"{rule.key} → {mention(refs[m])}" for rule, m in due if m in refs]
        return Reply(text="\n".join(["Would fire:", *lines]) if lines else "Nothing would fire now.")
    for rule, member_id in due:
        if member_id in refs:
            await fire(ctx, rule, member_id, refs[member_id], consents.get(member_id))
    return Reply(text=f"{len(due)} automation(s) fired")


feature.recurring(
    Recurring("automations", RunAutomations, lambda c: Daily(AUTOMATIONS_AT), timedelta(hours=12))
)
