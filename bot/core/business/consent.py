"""/consent: a member opts in to being linked to the business, sees what that means, withdraws.

Nothing member-level leaves Townsquare without an active consent to the current text version.
Withdrawing removes the member's profile from every sink (through the outbox, retried until done).
"""

from __future__ import annotations

from bot.core.business import feature
from bot.core.business.commands import GiveConsent, ShowConsent, WithdrawConsent
from bot.core.business.ports import BusinessRepository
from bot.core.business.rules import normalise_email, subject_of
from bot.core.context import Context
from bot.core.effects import SINKS, RemoveProfile
from bot.core.errors import InvalidInput
from bot.core.refs import MemberRef
from bot.core.registry import Invocation, Option, SlashCommand
from bot.core.replies import Reply
from bot.core.text import day


def consent_text(ctx: Context) -> str:
    """The consent text of this community, with its version."""
    policy = ctx.community.business
    return f"{policy.consent_text.format(name=ctx.community.name)} (consent text v{policy.consent_version})"


@feature.command(GiveConsent)
async def give_consent(command: GiveConsent, ctx: Context) -> Reply:
    """Record consent to the current text; an email (optional) links the member to the CRM contact."""
    member = ctx.acting_member()
    email = None
    if command.email:
        email = normalise_email(command.email)
        if email is None:
            raise InvalidInput(
                "That is not an email address. Give one like name@example.com, or leave it out."
            )
    policy = ctx.community.business
    await ctx.uow.repo(BusinessRepository).give_consent(
        command.community_id, member.id, policy.consent_version, email, ctx.now()
    )
    sent = " Your profile goes to the team at the next sync." if policy.sync else ""
    return Reply(
        text=f"Thank you: you agreed to this.\n{consent_text(ctx)}{sent} Withdraw with /consent withdraw."
    )


@feature.command(WithdrawConsent)
async def withdraw_consent(command: WithdrawConsent, ctx: Context) -> Reply:
    """Withdraw: stop syncing and tell every sink to remove the member's profile."""
    member = ctx.acting_member()
    repo = ctx.uow.repo(BusinessRepository)
    consent = await repo.consent_of(member.id)
    if consent is None or not consent.active:
        return Reply(text="You have not agreed to the business link, so nothing of yours is shared.")
    await repo.withdraw_consent(member.id, ctx.now())
    await remove_from_sinks(ctx, member.ref, "withdrawn")
    return Reply(
        text="Withdrawn. Nothing about you is shared any more, and the team's systems are told to remove you."
    )


async def remove_from_sinks(ctx: Context, member: MemberRef, reason: str) -> bool:
    """Queue the removal of a member's profile from the sinks, when they were ever sent one."""
    repo = ctx.uow.repo(BusinessRepository)
    subject = subject_of(await repo.subject_key(ctx.community.id), member)
    if not await repo.forget_synced(ctx.community.id, subject):
        return False
    change = f"remove:{subject}:{ctx.now().isoformat()}"
    effect = RemoveProfile(
        community_id=ctx.community.id,
        subject=subject,
        change_id=change,
        reason="erased" if reason == "erased" else "withdrawn",
    )
    await ctx.send(effect, platform=SINKS, dedupe_key=change)
    return True


@feature.command(ShowConsent)
async def show_consent(command: ShowConsent, ctx: Context) -> Reply:
    """What consent means here, and where the member stands."""
    member = ctx.acting_member()
    consent = await ctx.uow.repo(BusinessRepository).consent_of(member.id)
    version = ctx.community.business.consent_version
    if consent is None or not consent.active:
        state = "You have not agreed. Agree with /consent give (an email to link your account is optional)."
    elif consent.version < version:
        state = f"You agreed to v{consent.version}; the text has changed. Agree again with /consent give."
    else:
        state = f"You agreed on {day(consent.given_at, ctx.community.zone)}. Withdraw with /consent withdraw."
    return Reply(text=f"{consent_text(ctx)}\n\n{state}")


def _give(inv: Invocation) -> GiveConsent:
    return GiveConsent(community_id=inv.community_id, member=inv.actor.ref, email=inv.options.get("email"))


feature.slash(
    SlashCommand(
        name="consent give",
        description="Agree to link your community activity to the team's customer systems",
        build=_give,
        options=(
            Option(
                "email", "Your work email, to link your account (optional)", required=False, max_length=254
            ),
        ),
        command=GiveConsent,
    )
)
feature.slash(
    SlashCommand(
        name="consent withdraw",
        description="Stop sharing; the team's systems are told to remove you",
        build=lambda inv: WithdrawConsent(community_id=inv.community_id, member=inv.actor.ref),
        command=WithdrawConsent,
    )
)
feature.slash(
    SlashCommand(
        name="consent status",
        description="What the business link shares, and whether you agreed",
        build=lambda inv: ShowConsent(community_id=inv.community_id, member=inv.actor.ref),
        command=ShowConsent,
    )
)
