"""The retention job: once a day, records older than their window (PrivacySettings) are pruned.

Delivered outbox items go after `delivered_outbox_days` (their files, chart PNGs and exports, much
sooner), redemption attempts after `redemption_attempts_hours` (the lockout looks back one hour),
the answers of decided applications after `decided_application_answers_days` (the decision itself
stays, for the re-apply cooldown and the metrics), run records and processed event ids after theirs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import time, timedelta
from typing import ClassVar

from bot.core.commands import Command, Permission
from bot.core.context import Context
from bot.core.privacy import feature
from bot.core.privacy.ports import RetentionRepository
from bot.core.privacy.rules import cutoffs
from bot.core.recurring import Daily, Recurring
from bot.core.replies import Reply

log = logging.getLogger("townsquare.privacy")

RETENTION_AT = time(3, 45)  # community time: a quiet hour


@dataclass(frozen=True, kw_only=True)
class ApplyRetention(Command):
    """Prune every record older than its retention window."""

    permission: ClassVar[Permission] = Permission.SYSTEM


@feature.command(ApplyRetention)
async def apply_retention(command: ApplyRetention, ctx: Context) -> Reply:
    """Prune this community's records past their windows, and the shared ones past theirs."""
    before = cutoffs(ctx.community.privacy, ctx.now())
    pruned = await ctx.uow.repo(RetentionRepository).prune(command.community_id, before)
    pruned["processed_event"] = await ctx.uow.processed.prune(before.processed_events)
    pruned["job_run"] = await ctx.uow.job_runs.prune(before.run_records)
    log.info(
        "retention %s: %s", command.community_id, ", ".join(f"{k}={v}" for k, v in sorted(pruned.items()))
    )
    return Reply.nothing()


feature.recurring(Recurring("retention", ApplyRetention, lambda c: Daily(RETENTION_AT), timedelta(days=1)))
