"""Referral codes: /refer, /revoke-code, /join CODE, and the platform invites minted for codes.

A new code asks its platform for a personal invite (CreateReferralInvite, in the same transaction);
the Discord notifier mints it and ties it to the code with AttachInvite, so a join through it is
credited to the referrer. Platforms without invites accept the effect and do nothing. `/refer
member:@x` makes a single-use code for one person who already has an account: their invite can
only be accepted by them and gives member access on accept, so the join through it is `certain`.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core.context import Context
from bot.core.effects import CreateReferralInvite
from bot.core.errors import Conflict, GateClosed, InvalidInput, NotFound, RateLimited
from bot.core.gates import feature
from bot.core.gates.commands import AttachInvite, IssueReferralCode, RedeemReferral, RevokeReferralCodes
from bot.core.gates.common import admit, gate_and_mark, gate_now, the_person, when
from bot.core.gates.ports import GateRepository, ReferralCodeRepository
from bot.core.gates.rules import (
    Redemption,
    ReferralCode,
    allows_application,
    allows_referral,
    format_code,
    generate_code,
    judge_redemption,
    lockout_until,
    month_start,
    next_month_start,
    normalize_code,
)
from bot.core.gates.settings import GateMode
from bot.core.members import AdmissionMethod, Member
from bot.core.privacy.rules import MarkReason
from bot.core.refs import MemberRef
from bot.core.registry import Invocation, Option, OptionType, SlashCommand
from bot.core.replies import Field, Reply
from bot.core.text import mention

# The /refer reply's fields; once the code has a platform invite, INVITE_FIELD holds its code (the
# Discord adapter shows it as a link).
CODE_FIELD = "Code"
USES_FIELD = "Uses left"
EXPIRES_FIELD = "Expires"
INVITE_FIELD = "Invite"
_DRAWS = 5  # 50-bit codes practically never collide; five draws make a collision loop impossible


def _code_reply(ctx: Context, code: ReferralCode, fresh: bool, for_member: MemberRef | None = None) -> Reply:
    shown = format_code(code.code)
    fields = [
        Field(CODE_FIELD, shown),
        Field(USES_FIELD, str(code.uses_left)),
        Field(EXPIRES_FIELD, when(ctx, code.expires_at)),
    ]
    if code.invite_code:
        fields.append(Field(INVITE_FIELD, code.invite_code))
    if for_member is not None:
        return Reply(
            title="A referral code for one person",
            text=(
                f"Here is a single-use code for {mention(for_member)}: they join with /join {shown} until "
                f"{when(ctx, code.expires_at)}. Where the platform allows it, their invite below only "
                "lets them in. /revoke-code withdraws it."
            ),
            fields=tuple(fields),
        )
    lead = "Here is your new referral code." if fresh else "Your referral code is still good."
    return Reply(
        title="Your referral code",
        text=(
            f"{lead} Give it only to someone you would vouch for: they join with /join {shown}. "
            f"It admits {code.uses_left} more {'person' if code.uses_left == 1 else 'people'} "
            f"until {when(ctx, code.expires_at)}. /revoke-code withdraws it."
        ),
        fields=tuple(fields),
    )


async def _check_target(ctx: Context, member: Member, target: MemberRef) -> None:
    """A code for one person: not oneself, not someone who is a member already."""
    if target == member.ref:
        raise InvalidInput("That is you. Name the person you want to invite, or use /refer alone.")
    known = await ctx.uow.members.by_ref(ctx.community.id, target)
    if known is not None and known.is_admitted:
        raise Conflict(f"{mention(target)} is already a member of {ctx.community.name}; nothing to do.")


@feature.command(IssueReferralCode)
async def issue_referral_code(command: IssueReferralCode, ctx: Context) -> Reply:
    """The member's live code, or a new one within their monthly quota; a single-use one for the
    person named in `for_member`."""
    _, mode = await gate_now(ctx)
    if not allows_referral(mode):
        raise GateClosed(
            f"{ctx.community.name} admits newcomers by application now, so codes no longer let anyone in. "
            "Point the person you have in mind to /apply."
        )
    member = await the_person(ctx)
    now, gate, target = ctx.now(), ctx.community.gate, command.for_member
    codes, this_month = ctx.uow.repo(ReferralCodeRepository), month_start(now, ctx.community.zone)
    if target is not None:
        await _check_target(ctx, member, target)
        made = await codes.created_since(member.id, this_month)
    else:
        live, made = await codes.quota(member.id, now, this_month)
        if live:
            return _code_reply(ctx, live[0], fresh=False)
    if made >= gate.codes_per_month:
        raise RateLimited(
            f"You have made {made} referral codes this month, the most a member can. You can make a new "
            f"one from {when(ctx, next_month_start(now, ctx.community.zone))}; "
            "if someone is waiting, they can ask a moderator."
        )
    for _ in range(_DRAWS):
        code = await ctx.uow.repo(ReferralCodeRepository).create(
            ctx.community.id,
            member.id,
            generate_code(),
            now=now,
            expires_at=now + timedelta(days=gate.code_ttl_days),
            max_uses=1 if target is not None else gate.code_max_uses,
        )
        if code is not None:
            await ctx.send(
                CreateReferralInvite(
                    community_id=ctx.community.id,
                    code=format_code(code.code),
                    referrer=member.ref,
                    max_uses=code.uses_left,
                    expires_at=code.expires_at,
                    target=target,
                    grant_access=target is not None,
                ),
                dedupe_key=f"referral-invite:{ctx.community.id}:{code.code}",
            )
            return _code_reply(ctx, code, fresh=True, for_member=target)
    raise RuntimeError("could not draw an unused referral code")  # 2^50 codes: not in this universe


@feature.command(RevokeReferralCodes)
async def revoke_referral_codes(command: RevokeReferralCodes, ctx: Context) -> Reply:
    """Withdraw the member's live codes, or the one they name."""
    member = await the_person(ctx)
    only = None
    if command.code:
        only = normalize_code(command.code)
        if only is None:
            raise InvalidInput(
                "That is not a referral code (they look like ABCDE-FGHJK). /refer shows yours."
            )
    count = await ctx.uow.repo(ReferralCodeRepository).revoke(member.id, ctx.now(), only)
    if count == 0:
        raise NotFound("You have no live referral code to withdraw. /refer gives you one.")
    plural = "code" if count == 1 else f"{count} codes"
    return Reply(text=f"Withdrawn: your {plural} no longer let anyone in. /refer gives you a new one.")


def _refusal(outcome: Redemption, ctx: Context, code: ReferralCode | None, mode: GateMode) -> str:
    also = " Or apply with /apply." if allows_application(mode) else ""
    ask_new = "Ask the member who gave it to you for a new one (they get it with /refer)." + also
    return {
        Redemption.UNKNOWN: "That code does not match any referral code. Check it with the member who "
        "gave it to you; codes look like ABCDE-FGHJK." + also,
        Redemption.SELF: "That is your own referral code: it is for people you invite, not for you." + also,
        Redemption.OWNER_GONE: "The member who owns that code is no longer part of the community, so it no "
        "longer works. Ask another member for a code." + also,
        Redemption.REVOKED: "Its owner withdrew that code. " + ask_new,
        Redemption.EXPIRED: f"That code expired on {when(ctx, code.expires_at) if code else '?'}. " + ask_new,
        Redemption.USED_UP: "That code has already let in as many people as it can. " + ask_new,
    }[outcome]


async def judge(
    ctx: Context, code: ReferralCode | None, redeemer: Member
) -> tuple[Redemption, Member | None]:
    """The redemption outcome for `redeemer` and the code's owner (their membership decides too)."""
    owner = await ctx.uow.members.get(code.owner_id) if code else None
    outcome = judge_redemption(
        code, owner_is_member=bool(owner and owner.is_admitted), redeemer_id=redeemer.id, now=ctx.now()
    )
    return outcome, owner


async def consume(ctx: Context, code: ReferralCode, redeemer: Member) -> tuple[Redemption, Member | None]:
    """Judge, then take one use in SQL; a newcomer who loses the race for the last use hears why."""
    outcome, owner = await judge(ctx, code, redeemer)
    if outcome is Redemption.OK and not await ctx.uow.repo(ReferralCodeRepository).consume(
        code.id, ctx.now()
    ):
        fresh = await ctx.uow.repo(ReferralCodeRepository).by_code(code.community_id, code.code)
        outcome, owner = await judge(ctx, fresh, redeemer)
        if outcome is Redemption.OK:
            outcome = Redemption.USED_UP  # the row changed under us; whatever it was, this use lost
    return outcome, owner


@feature.command(RedeemReferral)
async def redeem_referral(command: RedeemReferral, ctx: Context) -> Reply:
    """A newcomer joins with a member's code: admitted, credited to the referrer, or told what to do."""
    person = await the_person(ctx)
    name, gate, now = ctx.community.name, ctx.community.gate, ctx.now()
    if person.is_admitted:
        raise Conflict(
            f"You are already a member of {name}; nothing to do. /refer gives you a code to share."
        )
    state, mode, marked = await gate_and_mark(ctx, person, MarkReason.REDEMPTION_LOCKOUT)
    if state.admissions_paused:
        raise GateClosed(
            f"{name} has paused admissions for a little while. Try /join again later; codes stay valid "
            "until they expire."
        )
    if not allows_referral(mode):
        raise GateClosed(f"{name} admits newcomers by application now: use /apply to send yours.")
    failures = await ctx.uow.repo(GateRepository).failed_attempts(person.id, now - timedelta(hours=1))
    until = lockout_until(failures, gate.failed_redemptions_per_hour, now)
    if until is None:  # erasing one's data deletes the attempts, not the lockout they caused
        until = marked
    if until is not None:
        raise RateLimited(
            f"Too many codes that did not work. Try again after {when(ctx, until)}, with the code exactly as "
            "the member gave it to you."
        )
    typed = normalize_code(command.code)
    code = await ctx.uow.repo(ReferralCodeRepository).by_code(ctx.community.id, typed) if typed else None
    outcome, owner = (Redemption.UNKNOWN, None) if code is None else await consume(ctx, code, person)
    if outcome is not Redemption.OK:
        if mode == "open":  # a wrong code must not keep anyone out of an open community
            await admit(ctx, person, method=AdmissionMethod.OPEN, welcome=f"Welcome to {name}! You're in.")
            return Reply(text=f"That code did not work, but {name} is open to everyone: you're in. Welcome!")
        # a refusal still commits: the failed attempt must count towards the lockout
        await ctx.uow.repo(GateRepository).record_failed_attempt(ctx.community.id, person.id, now)
        left = gate.failed_redemptions_per_hour - len(failures) - 1
        tries = (
            f"You can try {left} more time{'s' * (left != 1)} this hour."
            if left
            else "That was your last try this hour."
        )
        return Reply(text=f"{_refusal(outcome, ctx, code, mode)} {tries}")
    welcome = f"Welcome to {name}! You're in, thanks to your referral."
    if not await admit(
        ctx, person, method=AdmissionMethod.CODE, welcome=welcome, referrer=owner, confidence="certain"
    ):
        raise Conflict(f"You were just let into {name} another way; the code was not used.")
    return Reply(text=f"Welcome to {name}! You're in; look out for a welcome message.")


@feature.command(AttachInvite)
async def attach_invite(command: AttachInvite, ctx: Context) -> Reply:
    """Remember the platform invite minted for a code, so joins through it are credited to the code."""
    code = normalize_code(command.code)
    if code is None or not await ctx.uow.repo(ReferralCodeRepository).attach_invite(
        ctx.community.id, code, command.invite_code
    ):
        raise NotFound("No such referral code in this community.")
    return Reply.nothing()


feature.slash(
    SlashCommand(
        name="refer",
        description="Get your personal referral code to invite someone you vouch for",
        build=lambda inv: IssueReferralCode(
            community_id=inv.community_id, for_member=inv.options.get("member")
        ),
        options=(
            Option(
                "member",
                "Someone who already has an account: a single-use code (and invite) only for them",
                type=OptionType.MEMBER,
                required=False,
            ),
        ),
        command=IssueReferralCode,
    )
)
feature.slash(
    SlashCommand(
        name="revoke-code",
        description="Withdraw your referral codes (all of them, or the one you name)",
        build=lambda inv: RevokeReferralCodes(community_id=inv.community_id, code=inv.options.get("code")),
        options=(
            Option("code", "Only this code (default: all your live codes)", required=False, max_length=20),
        ),
        command=RevokeReferralCodes,
    )
)


def _join(inv: Invocation) -> RedeemReferral:
    return RedeemReferral(community_id=inv.community_id, code=str(inv.options.get("code", "")))


feature.slash(
    SlashCommand(
        name="join",
        description="Join with the referral code a member gave you",
        build=_join,
        options=(Option("code", "The code, like ABCDE-FGHJK", max_length=20),),
        command=RedeemReferral,
    )
)
