"""The business section of the weekly digest: consent, levels, new CQLs, support deflection,
referral-attributed sign-ups and revenue, and the retention lift, each with its sample size.

Posted to the leads' digest channel with the digest; `townsquare digest` and the demo print it
after the digest. Members appear by name only when they consent; everything else is aggregate.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.business import feature
from bot.core.business.commands import PostBusinessReport
from bot.core.business.nps_rules import SurveyResult
from bot.core.business.outcomes import (
    Deflection,
    ReferrerCredit,
    RetentionLift,
    cql_conversion,
    deflection,
    referral_attribution,
    retention_lift,
)
from bot.core.business.ports import BusinessReader, BusinessRepository, NpsRepository
from bot.core.business.rules import Level, level_of
from bot.core.business.settings import BusinessSettings
from bot.core.context import Context
from bot.core.effects import PostMessage
from bot.core.ports import UnitOfWork
from bot.core.recurring import Recurring, Weekly
from bot.core.refs import MemberRef
from bot.core.replies import Reply
from bot.core.settings import CommunitySettings
from bot.core.text import mention as mention_token
from bot.core.weeks import IsoWeek

DIGEST_CHANNEL = "digest"


@dataclass(frozen=True)
class BusinessReport:
    week: str
    members: int
    consenting: int
    levels: dict[Level, int]
    new_leads: list[tuple[MemberRef, float]]
    leads_total: int
    leads_converted: int
    deflection: Deflection
    referrers: list[tuple[ReferrerCredit, MemberRef | None]]  # None: a referrer who does not consent
    lift: RetentionLift
    currency: str
    window_days: int
    names: dict[MemberRef, str]  # display names of the members the section names
    surveys: tuple[SurveyResult, ...] = ()  # the latest community NPS survey first, then the one before


async def build_report(uow: UnitOfWork, community: CommunitySettings, week: IsoWeek) -> BusinessReport:
    """Gather the section's figures for a week (start and end in the community's zone)."""
    uow_repo, reader = uow.repo(BusinessRepository), uow.repo(BusinessReader)
    surveys = [
        s
        for s in await uow.repo(NpsRepository).results(community.id, 3)
        if s.opened_at < week.end(community.zone)
    ]
    policy: BusinessSettings = community.business
    zone = community.zone
    start, end = week.start(zone), week.end(zone)
    consent = {
        c.member_id: c for c in await uow_repo.consenting(community.id) if c.version >= policy.consent_version
    }
    consenting_refs = {c.member for c in consent.values()}
    activities = await uow_repo.activities(community.id, end - timedelta(days=policy.window_days), None)
    levels = Counter(level_of(a, policy) for a in activities)
    facts = await reader.facts(community.id)
    leads = await uow_repo.surfaced(community.id)
    total, converted = cql_conversion(leads, facts)
    active = await reader.active_members(community.id, end - timedelta(days=policy.window_days))
    referrers = [
        (c, consent[c.referrer_id].member if c.referrer_id in consent else None)
        for c in referral_attribution(facts)
    ]
    return BusinessReport(
        week=str(week),
        members=await reader.admitted_count(community.id),
        consenting=len(consent),
        levels={level: levels.get(level, 0) for level in Level},
        new_leads=[
            lead for lead in await uow_repo.new_leads(community.id, start) if lead[0] in consenting_refs
        ],
        leads_total=total,
        leads_converted=converted,
        deflection=deflection(await reader.outcome(community.id, start, end), policy),
        referrers=referrers,
        lift=retention_lift(facts, active),
        currency=policy.currency,
        window_days=policy.window_days,
        names={c.member: c.display_name for c in consent.values()},
        surveys=tuple(surveys[:2]),
    )


def _pct(value: float | None) -> str:
    return "no data" if value is None else f"{value * 100:.1f} %"


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one}" if n == 1 else f"{n} {many or one + 's'}"


def render_report(report: BusinessReport, *, plain: bool = False) -> str:
    """The section as text: mentions as core tokens for a platform post, or with `plain` as
    "@display name" (the CLI and the demo)."""

    def mention(ref: MemberRef) -> str:
        return f"@{report.names.get(ref) or ref.user_id}" if plain else mention_token(ref)

    lines = [f"Business — {report.week}"]
    lines.append(
        f"Consent: {report.consenting} of {_plural(report.members, 'member')} agreed to the business link."
    )
    levels = ", ".join(f"{level.value} {n}" for level, n in report.levels.items())
    lines.append(f"Levels (last {report.window_days} days): {levels}")
    if report.new_leads:
        names = ", ".join(f"{mention(ref)} ({score:g})" for ref, score in report.new_leads)
        lines.append(f"New community-qualified leads: {names}")
    else:
        lines.append("New community-qualified leads: none this week")
    lines.append(
        f"CQL → customer: {report.leads_converted} of {_plural(report.leads_total, 'lead')} surfaced so far"
    )
    d = report.deflection
    lines.append(
        f"Support deflection: {_pct(d.peer_share)} of "
        f"{_plural(d.peer_answers + d.staff_answers, 'answered question')} answered by peers; "
        f"about {d.hours_saved:g} staff hours ({d.cost_saved:,.0f} {report.currency}) saved"
    )
    if report.referrers:
        signups = sum(c.signups for c, _ in report.referrers)
        customers = sum(c.customers for c, _ in report.referrers)
        revenue = sum(c.revenue for c, _ in report.referrers)
        lines.append(
            f"Referral-attributed: {_plural(signups, 'sign-up')}, {_plural(customers, 'customer')}, "
            f"{revenue:,.0f} {report.currency} revenue"
        )
        named = [(c, ref) for c, ref in report.referrers if ref is not None][:3]
        if named:
            lines.append(
                "Top referrers: "
                + ", ".join(f"{mention(ref)} {c.revenue:,.0f} {report.currency}" for c, ref in named)
            )
    else:
        lines.append(
            "Referral-attributed: no sign-ups linked to a referrer yet (townsquare customers import)"
        )
    lift = report.lift
    if lift.lift_points is None:
        lines.append(
            f"Retention lift: not enough data (community-active customers n={lift.active_customers}, "
            f"others n={lift.other_customers})"
        )
    else:
        lines.append(
            f"Retention lift: community-active customers churned {_pct(lift.active_churn)} "
            f"(n={lift.active_customers}), others {_pct(lift.other_churn)} (n={lift.other_customers}): "
            f"{lift.lift_points:+g} points"
        )
    lines.append(_nps_line(report.surveys))
    return "\n".join(lines)


def _nps_line(surveys: tuple[SurveyResult, ...]) -> str:
    if not surveys:
        return "Community NPS: no survey yet"
    latest = surveys[0]
    if latest.score is None:
        return f"Community NPS: no answers yet (0 of {latest.asked} asked)"
    line = (
        f"Community NPS: {latest.score:+d} (n={len(latest.scores)} of {latest.asked} asked, "
        f"{_pct(latest.response_rate)} response)"
    )
    if len(surveys) > 1 and surveys[1].score is not None:
        line += f"; previous survey {surveys[1].score:+d} ({latest.score - surveys[1].score:+d})"
    return line


@feature.command(PostBusinessReport)
async def post_business_report(command: PostBusinessReport, ctx: Context) -> Reply:
    """Post the section once per community and week."""
    week = IsoWeek.parse(command.week)
    report = await build_report(ctx.uow, ctx.community, week)
    post = PostMessage(
        community_id=command.community_id,
        channel=DIGEST_CHANNEL,
        text=render_report(report),
        title=f"Business — {week}",
    )
    await ctx.send(post, dedupe_key=f"business-report:{command.community_id}:{week}")
    return Reply.nothing()


def _report_command(community: CommunitySettings, scheduled_for: datetime) -> PostBusinessReport:
    return PostBusinessReport(
        community_id=community.id, week=str(IsoWeek.last_complete(scheduled_for, community.zone))
    )


feature.recurring(
    Recurring(
        "business-report",
        PostBusinessReport,
        lambda c: Weekly(c.digest.weekday, c.digest.time),
        timedelta(hours=6),
        _report_command,
    )
)
