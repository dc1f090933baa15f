"""The sync job: consenting members' profiles to the sinks (only what changed), and new CQLs.

Runs hourly. A member counts as consenting only with an active consent to the current text
version; after the text changes, nothing more is sent for them until they agree again. Erasure
and withdrawal ask every sink to remove the profile (consent.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.business import feature
from bot.core.business.commands import SyncProfiles
from bot.core.business.consent import remove_from_sinks
from bot.core.business.ports import BusinessRepository
from bot.core.business.rules import cql_score, profile_digest, profile_properties, subject_of
from bot.core.business.settings import BusinessSettings
from bot.core.context import Context
from bot.core.effects import SINKS, SyncProfile
from bot.core.privacy.events import MemberErased
from bot.core.recurring import Hourly, Recurring
from bot.core.replies import Reply


@feature.command(SyncProfiles)
async def sync_profiles(command: SyncProfiles, ctx: Context) -> Reply:
    """Score every consenting member; surface new CQLs; queue an upsert for each changed profile."""
    policy = ctx.community.business
    repo = ctx.uow.repo(BusinessRepository)
    now = ctx.now()
    since = now - timedelta(days=policy.window_days)
    if not policy.sync:
        await _surface_new_leads(command.community_id, repo, policy, since, now)
        return Reply.nothing()
    candidates = await repo.sync_candidates(command.community_id, policy.consent_version, since)
    if not candidates:
        return Reply.nothing()
    key = await repo.subject_key(command.community_id)
    synced = await repo.synced_digests(command.community_id)
    sent = 0
    for candidate in candidates:
        consent, activity = candidate.consent, candidate.activity
        score = cql_score(activity, policy)
        if score.qualifies(policy.cql_threshold) and not candidate.surfaced:
            await repo.surface(command.community_id, consent.member_id, score.score, now)
        properties = profile_properties(activity, score, policy)
        digest = profile_digest(properties, consent.email)
        subject = subject_of(key, consent.member)
        if synced.get(subject) == digest:
            continue
        change = f"sync:{subject}:{digest[:16]}"
        effect = SyncProfile(
            community_id=command.community_id,
            subject=subject,
            change_id=change,
            properties=properties,
            email=consent.email,
        )
        await ctx.send(effect, platform=SINKS, dedupe_key=f"{change}:{now.isoformat()}")
        await repo.set_synced(command.community_id, subject, consent.member_id, digest, now)
        sent += 1
    return Reply(text=f"{sent} profile(s) sent") if sent else Reply.nothing()


async def _surface_new_leads(
    community_id: str, repo: BusinessRepository, policy: BusinessSettings, since: datetime, now: datetime
) -> None:
    """Without sending, only new CQLs matter: a member surfaced before has nothing left to do here,
    and a member with no activity the score reads (signal channels and kinds, signals) scores 0,
    below any threshold. Only the others are read, with just what their score needs."""
    candidates = await repo.lead_candidates(
        community_id,
        policy.consent_version,
        since,
        channels=[rule.channel for rule in policy.signal_channels],
        kinds=list(policy.signal_kinds),
    )
    for activity in candidates:
        score = cql_score(activity, policy)
        if score.qualifies(policy.cql_threshold):
            await repo.surface(community_id, activity.member_id, score.score, now)


@feature.event(MemberErased)
async def forget_erased(event: MemberErased, ctx: Context) -> None:
    """An erased member's profile is removed from every sink it went to."""
    await remove_from_sinks(ctx, event.member, "erased")


feature.recurring(Recurring("business-sync", SyncProfiles, lambda c: Hourly(), timedelta(hours=1)))
