"""Lead and moderator controls: the gate mode, pausing admissions, founding members by hand."""

from __future__ import annotations

from datetime import date
from typing import TypeGuard, get_args

from bot.core.context import Context
from bot.core.effects import PostMessage
from bot.core.errors import InvalidInput, NotFound
from bot.core.gates import feature
from bot.core.gates.commands import (
    AddFoundingMember,
    PauseAdmissions,
    ResumeAdmissions,
    SetGateMode,
    ShowGate,
)
from bot.core.gates.common import award_founding, gate_now, require_actor
from bot.core.gates.ports import ApplicationRepository, GateRepository
from bot.core.gates.rules import describe_mode
from bot.core.gates.settings import GateMode
from bot.core.registry import ButtonRoute, Invocation, Option, OptionType, SlashCommand
from bot.core.replies import Reply
from bot.core.text import mention, user_text

MODES: tuple[str, ...] = get_args(GateMode)
AS_CONFIGURED = "config"  # the /gate mode choice that drops a lead's override
REASON_MAX = 150


def _is_mode(value: str) -> TypeGuard[GateMode]:
    return value in MODES


async def _status(ctx: Context) -> str:
    state, mode = await gate_now(ctx)
    gate = ctx.community.gate
    source = "set by a lead" if state.mode_override else "as configured"
    switch_on = state.switch_on_override if state.mode_override else gate.switch_to_application_on
    lines = [f"Gate: {mode} ({source}). {describe_mode(mode)}"]
    if switch_on is not None and mode == "referral":
        lines.append(f"Referral-only becomes the application gate on {switch_on.isoformat()}.")
    lines.append(
        "Admissions: PAUSED (a lead reopens them with /admissions resume)."
        if state.admissions_paused
        else "Admissions: open."
    )
    members = await ctx.uow.members.count_admitted(ctx.community.id)
    pending = len(await ctx.uow.repo(ApplicationRepository).pending(ctx.community.id))
    lines.append(
        f"Members: {members}; the first {gate.founding_member_limit} are founding members. "
        f"Applications pending: {pending}."
    )
    return "\n".join(lines)


@feature.command(ShowGate)
async def show_gate(command: ShowGate, ctx: Context) -> Reply:
    """The gate in force and where it comes from."""
    return Reply(title="Gate", text=await _status(ctx))


@feature.command(SetGateMode)
async def set_gate_mode(command: SetGateMode, ctx: Context) -> Reply:
    """A lead's override of the configured gate, or back to the configuration."""
    mode: GateMode | None = None
    if command.mode is not None:
        if not _is_mode(command.mode):
            raise InvalidInput(
                f"Pick one of: {', '.join(MODES)}, or {AS_CONFIGURED} to follow the configuration."
            )
        mode = command.mode
    if command.switch_on is not None and mode != "referral":
        raise InvalidInput("A switch date only applies to referral mode: pick mode referral with it.")
    await ctx.uow.repo(GateRepository).set_mode(ctx.community.id, mode, command.switch_on)
    return Reply(title="Gate updated", text=await _status(ctx))


async def _announce(ctx: Context, text: str) -> None:
    actor = require_actor(ctx)
    await ctx.send(PostMessage(ctx.community.id, "applications", f"{text} by {mention(actor.ref)}."))


@feature.command(PauseAdmissions)
async def pause_admissions(command: PauseAdmissions, ctx: Context) -> Reply:
    """Nobody is admitted until a lead resumes: codes, invites, approvals and open joins all wait."""
    if not await ctx.uow.repo(GateRepository).set_paused(ctx.community.id, True):
        return Reply(text="Admissions were already paused. A lead reopens them with /admissions resume.")
    await _announce(ctx, "Admissions paused")
    return Reply(text="Admissions are paused: nobody gets in until a lead runs /admissions resume.")


@feature.command(ResumeAdmissions)
async def resume_admissions(command: ResumeAdmissions, ctx: Context) -> Reply:
    """Admissions open again."""
    if not await ctx.uow.repo(GateRepository).set_paused(ctx.community.id, False):
        return Reply(text="Admissions are not paused; nothing to resume.")
    await _announce(ctx, "Admissions resumed")
    return Reply(text="Admissions are open again. People told to wait can now /join or be approved.")


@feature.command(AddFoundingMember)
async def add_founding_member(command: AddFoundingMember, ctx: Context) -> Reply:
    """The permanent Founding Member badge by a lead's hand, with the reason recorded."""
    reason = user_text(command.reason, REASON_MAX)
    if not reason:
        raise InvalidInput("Say why they are a founding member; the reason is kept with the badge.")
    member = await ctx.uow.members.by_ref(ctx.community.id, command.member)
    if member is None or not member.is_admitted:
        raise NotFound(
            f"{mention(command.member)} is not a member here yet. Founding status is for members: "
            "once they are in, add them again."
        )
    if not await award_founding(ctx, member, f"added by a lead: {reason}"):
        return Reply(text=f"{mention(member.ref)} is already a founding member; the badge is permanent.")
    return Reply(text=f"{mention(member.ref)} is now a founding member.")


# --- registry ----------------------------------------------------------------------------------


def _set_mode(inv: Invocation) -> SetGateMode:
    choice = str(inv.options.get("mode", ""))
    raw = inv.options.get("switch_on")
    switch_on = None
    if raw:
        try:
            switch_on = date.fromisoformat(str(raw).strip())
        except ValueError:
            raise InvalidInput("Give the switch date as YYYY-MM-DD, for example 2027-05-01.") from None
    return SetGateMode(
        community_id=inv.community_id,
        mode=None if choice == AS_CONFIGURED else choice,
        switch_on=switch_on,
    )


feature.slash(
    SlashCommand(
        name="gate mode",
        description="Set who may get in (overrides the configuration)",
        build=_set_mode,
        options=(
            Option("mode", "How newcomers get in", choices=(*MODES, AS_CONFIGURED)),
            Option(
                "switch_on",
                "Referral-only becomes the application gate on this date (YYYY-MM-DD)",
                required=False,
                max_length=10,
            ),
        ),
        command=SetGateMode,
    )
)
feature.slash(
    SlashCommand(
        name="gate status",
        description="The gate in force, and whether admissions are paused",
        build=lambda inv: ShowGate(community_id=inv.community_id),
        command=ShowGate,
    )
)
feature.slash(
    SlashCommand(
        name="admissions pause",
        description="Stop admitting anyone for now (a join burst, a raid)",
        build=lambda inv: PauseAdmissions(community_id=inv.community_id),
        command=PauseAdmissions,
    )
)
feature.button(
    ButtonRoute(
        area="admissions",
        verb="pause",
        build=lambda inv, _ident: PauseAdmissions(community_id=inv.community_id),
        command=PauseAdmissions,
    )
)
feature.slash(
    SlashCommand(
        name="admissions resume",
        description="Start admitting newcomers again",
        build=lambda inv: ResumeAdmissions(community_id=inv.community_id),
        command=ResumeAdmissions,
    )
)
feature.slash(
    SlashCommand(
        name="founding add",
        description="Give a member the permanent Founding Member badge",
        build=lambda inv: AddFoundingMember(
            community_id=inv.community_id,
            member=inv.options["member"],
            reason=str(inv.options.get("reason", "")),
        ),
        options=(
            Option("member", "The member", type=OptionType.MEMBER),
            Option("reason", "Why they are a founding member", max_length=REASON_MAX),
        ),
        command=AddFoundingMember,
    )
)
