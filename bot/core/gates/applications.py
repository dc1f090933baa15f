"""The application gate: /apply, the form, the moderators' Approve and Reject, overdue applications."""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.context import Context
from bot.core.effects import DirectMessage, EditMessage, PostMessage
from bot.core.errors import Conflict, Forbidden, GateClosed, InvalidInput, NotFound, RateLimited
from bot.core.gates import feature
from bot.core.gates.application_rules import (
    Answer,
    Application,
    ApplicationStatus,
    answer_problem,
    is_overdue,
    reapply_at,
)
from bot.core.gates.commands import (
    ApproveApplication,
    ListOverdueApplications,
    OpenRejection,
    PostOverdueApplications,
    RejectApplication,
    StartApplication,
    SubmitApplication,
)
from bot.core.gates.common import admit, duration, gate_and_mark, gate_now, require_actor, the_person, when
from bot.core.gates.ports import ApplicationRepository
from bot.core.gates.rules import allows_application
from bot.core.members import AdmissionMethod, Member, MemberStatus
from bot.core.privacy.rules import MarkReason
from bot.core.registry import ButtonRoute, Form, Invocation, SlashCommand, int_id
from bot.core.replies import Action, ActionStyle, Field, FormField, OpenForm, Reply
from bot.core.text import mention, user_text

FORM_KEY = "application"
REJECT_FORM_KEY = "application_reject"
ANSWER_FIELDS = ("answer_1", "answer_2")
REASON_MAX = 300


def message_key(application_id: int) -> str:
    """The name of the moderators' post for an application, for editing it once decided."""
    return f"application:{application_id}"


async def _ready_to_apply(ctx: Context, person: Member) -> None:
    """Refuse, saying what to do instead, unless the person may send an application now."""
    name = ctx.community.name
    if person.is_admitted:
        raise Conflict(f"You are already a member of {name}; no application needed.")
    _, mode, marked = await gate_and_mark(ctx, person, MarkReason.REAPPLY_COOLDOWN)
    if not allows_application(mode):
        if mode == "open":
            raise GateClosed(
                f"{name} is open to everyone: no application needed. Ask a moderator if you're stuck."
            )
        raise GateClosed(
            f"{name} is referral-only for now: ask a member for a referral code (they get one with /refer), "
            "then type /join CODE."
        )
    # Someone rejected who then erased their data is a new member row with no application; the
    # anonymous mark erasure kept holds their cooldown until it would have ended.
    if marked is not None:
        raise RateLimited(f"You can apply again from {when(ctx, marked)}.")
    latest = await ctx.uow.repo(ApplicationRepository).latest_of(person.id)
    if latest is None:
        return
    if latest.status is ApplicationStatus.PENDING:
        raise Conflict(
            f"Your application from {when(ctx, latest.submitted_at)} is with the moderators. "
            "You will get a private message when they decide."
        )
    if latest.status is ApplicationStatus.REJECTED and latest.decided_at is not None:
        again = reapply_at(latest.decided_at, ctx.community.gate.reapply_cooldown_days)
        if ctx.now() < again:
            raise RateLimited(f"You can apply again from {when(ctx, again)}.")


@feature.command(StartApplication)
async def start_application(command: StartApplication, ctx: Context) -> OpenForm:
    """The application form with the community's two questions, if the person may apply."""
    await _ready_to_apply(ctx, await the_person(ctx))
    gate = ctx.community.gate
    return OpenForm(
        form_key=FORM_KEY,
        title=f"Apply to join {ctx.community.name}"[:45],
        fields=tuple(
            FormField(
                name=field,
                label=question,
                min_length=gate.answer_min_length,
                max_length=gate.answer_max_length,
            )
            for field, question in zip(ANSWER_FIELDS, gate.questions, strict=True)
        ),
    )


def _answer_fields(application: Application) -> tuple[Field, ...]:
    return tuple(
        Field(f"{number}. {item.question}", user_text(item.answer, 1000) or "(no answer)", inline=False)
        for number, item in enumerate(application.answers, start=1)
    )


@feature.command(SubmitApplication)
async def submit_application(command: SubmitApplication, ctx: Context) -> Reply:
    """Store the answers and post them to the moderators with Approve and Reject."""
    person = await the_person(ctx)
    await _ready_to_apply(ctx, person)
    gate = ctx.community.gate
    if len(command.answers) != len(gate.questions):
        raise InvalidInput("Please answer both questions. Open the form again with /apply.")
    problem = answer_problem(command.answers, gate.answer_min_length, gate.answer_max_length)
    if problem:
        raise InvalidInput(f"{problem} Open the form again with /apply.")
    answers = tuple(Answer(q, a.strip()) for q, a in zip(gate.questions, command.answers, strict=True))
    application = await ctx.uow.repo(ApplicationRepository).add(
        ctx.community.id, person.id, answers, ctx.now()
    )
    ident = application.id
    await ctx.send(
        PostMessage(
            ctx.community.id,
            "applications",
            title=f"Application #{ident}",
            text=f"{mention(person.ref)} applied to join, {when(ctx, application.submitted_at)}.",
            fields=_answer_fields(application),
            actions=(
                Action("Approve", f"app:approve:{ident}", ActionStyle.SUCCESS),
                Action("Reject", f"app:reject:{ident}", ActionStyle.DANGER),
            ),
            message_key=message_key(ident),
        )
    )
    return Reply(
        text=(
            "Thank you! Your application is with the moderators. You will get a private message with "
            f"their decision, usually within {gate.application_sla_hours} hours."
        )
    )


async def _decidable(ctx: Context, application_id: int) -> tuple[Member, Application, Member]:
    """The deciding moderator, the application and the applicant, or a refusal saying why not."""
    actor = require_actor(ctx)
    decider = await ctx.uow.members.upsert_seen(
        ctx.community.id, actor.ref, ctx.now(), display_name=actor.display_name
    )
    application = await ctx.uow.repo(ApplicationRepository).get(application_id)
    if application is None or application.community_id != ctx.community.id:
        raise NotFound(
            f"There is no application #{application_id}. /applications pending lists the open ones."
        )
    if application.member_id == decider.id:
        raise Forbidden("You cannot decide your own application; another moderator will.")
    applicant = await ctx.uow.members.get(application.member_id)
    if applicant is None:
        raise NotFound(f"The person behind application #{application_id} has been erased.")
    if application.status is not ApplicationStatus.PENDING:
        raise Conflict(await _already_decided(ctx, application))
    return decider, application, applicant


async def _already_decided(ctx: Context, application: Application) -> str:
    decider = await ctx.uow.members.get(application.decided_by_id) if application.decided_by_id else None
    who = mention(decider.ref) if decider else "a moderator"
    at = when(ctx, application.decided_at) if application.decided_at else "an earlier time"
    return f"Application #{application.id} was already {application.status.value} by {who} at {at}."


async def _settle(
    ctx: Context, application: Application, decider: Member, status: ApplicationStatus, reason: str | None
) -> None:
    """The one decision: a conditional UPDATE in SQL; the moderator who lost the race hears who won."""
    if not await ctx.uow.repo(ApplicationRepository).decide(
        application.id, status, decided_by_id=decider.id, now=ctx.now(), reason=reason
    ):
        fresh = await ctx.uow.repo(ApplicationRepository).get(application.id)
        raise Conflict(await _already_decided(ctx, fresh or application))
    outcome = "Approved" if status is ApplicationStatus.APPROVED else "Rejected"
    text = f"{outcome} by {mention(decider.ref)} at {when(ctx, ctx.now())}."
    if reason:
        text += f"\nReason: {reason}"
    await ctx.send(
        EditMessage(
            ctx.community.id,
            message_key(application.id),
            text=text,
            title=f"Application #{application.id}: {outcome.lower()}",
            fields=_answer_fields(application),
        )
    )


@feature.command(ApproveApplication)
async def approve_application(command: ApproveApplication, ctx: Context) -> Reply:
    """A moderator lets the applicant in: the post shows the decision, the applicant is admitted."""
    decider, application, applicant = await _decidable(ctx, command.application_id)
    state, _ = await gate_now(ctx)
    if state.admissions_paused:
        raise GateClosed(
            "Admissions are paused, so nobody can be let in right now. A lead reopens them with "
            "/admissions resume; then approve again."
        )
    if applicant.status in (MemberStatus.LEFT, MemberStatus.REMOVED):
        raise Conflict(
            f"{mention(applicant.ref)} is no longer in the community, so there is nobody to let in. "
            "Reject the application to close it."
        )
    await _settle(ctx, application, decider, ApplicationStatus.APPROVED, None)
    name = ctx.community.name
    admitted = await admit(
        ctx,
        applicant,
        method=AdmissionMethod.APPLICATION,
        welcome=f"Your application to {name} was approved. Welcome in!",
    )
    if not admitted:
        return Reply(text=f"Approved. {mention(applicant.ref)} had already got in another way.")
    return Reply(text=f"Approved: {mention(applicant.ref)} is in.")


@feature.command(OpenRejection)
async def open_rejection(command: OpenRejection, ctx: Context) -> OpenForm:
    """The Reject button: a form for the optional reason, if this moderator may still decide."""
    _, application, _ = await _decidable(ctx, command.application_id)
    return OpenForm(
        form_key=REJECT_FORM_KEY,
        title=f"Reject application #{application.id}"[:45],
        fields=(
            FormField(
                name="reason",
                label="Reason (optional, sent to the applicant)",
                max_length=REASON_MAX,
                required=False,
            ),
        ),
        context=str(application.id),
    )


@feature.command(RejectApplication)
async def reject_application(command: RejectApplication, ctx: Context) -> Reply:
    """A moderator turns the application down; the applicant hears privately, with the optional reason."""
    decider, application, applicant = await _decidable(ctx, command.application_id)
    reason = user_text(command.reason, REASON_MAX) or None
    await _settle(ctx, application, decider, ApplicationStatus.REJECTED, reason)
    cooldown = ctx.community.gate.reapply_cooldown_days
    again = (
        f"You can apply again from {when(ctx, reapply_at(ctx.now(), cooldown))} with /apply."
        if cooldown
        else "You can apply again with /apply."
    )
    because = f" The moderators said: {reason}" if reason else ""
    await ctx.send(
        DirectMessage(
            ctx.community.id,
            applicant.ref,
            f"Your application to {ctx.community.name} was not accepted this time.{because} {again}",
        )
    )
    return Reply(text=f"Rejected; {mention(applicant.ref)} has been told privately.")


async def _overdue(ctx: Context) -> tuple[list[str], int]:
    now, sla = ctx.now(), ctx.community.gate.application_sla_hours
    pending = await ctx.uow.repo(ApplicationRepository).pending(ctx.community.id)
    lines = []
    for application in pending:
        if not is_overdue(application, sla, now):
            continue
        applicant = await ctx.uow.members.get(application.member_id)
        who = mention(applicant.ref) if applicant else "an erased applicant"
        lines.append(f"#{application.id} from {who}, waiting {duration(now - application.submitted_at)}")
    return lines, len(pending)


@feature.command(ListOverdueApplications)
async def list_overdue_applications(command: ListOverdueApplications, ctx: Context) -> Reply:
    """Pending applications older than the service level (default 48 hours)."""
    lines, pending = await _overdue(ctx)
    sla = ctx.community.gate.application_sla_hours
    if not lines:
        return Reply(text=f"No application has waited longer than {sla} hours ({pending} pending in all).")
    return Reply(
        title=f"Applications waiting longer than {sla} hours",
        text="\n".join(lines)
        + f"\n{pending} pending in all; moderators decide them in the applications channel.",
    )


@feature.command(PostOverdueApplications)
async def post_overdue_applications(command: PostOverdueApplications, ctx: Context) -> Reply:
    """The daily job: the overdue list to the leads' channel, once a day, nothing when none is overdue."""
    lines, pending = await _overdue(ctx)
    if lines:
        sla = ctx.community.gate.application_sla_hours
        today = ctx.now().astimezone(ctx.community.zone).date()
        await ctx.send(
            PostMessage(
                ctx.community.id,
                "digest",
                title=f"Applications waiting longer than {sla} hours",
                text="\n".join(lines) + f"\n{pending} pending in all.",
            ),
            dedupe_key=f"gates:overdue:{ctx.community.id}:{today.isoformat()}",
        )
    return Reply.nothing()


# --- registry ----------------------------------------------------------------------------------


def _application_id(ident: str) -> int:
    return int_id(ident, "/applications pending lists the open applications.")


def _answers(inv: Invocation, answers: Mapping[str, str], _context: str) -> SubmitApplication:
    return SubmitApplication(
        community_id=inv.community_id, answers=tuple(answers.get(field, "") for field in ANSWER_FIELDS)
    )


def _reject(inv: Invocation, answers: Mapping[str, str], context: str) -> RejectApplication:
    return RejectApplication(
        community_id=inv.community_id,
        application_id=_application_id(context),
        reason=answers.get("reason", ""),
    )


feature.slash(
    SlashCommand(
        name="apply",
        description="Apply to join: two short questions, about a minute",
        build=lambda inv: StartApplication(community_id=inv.community_id),
        command=StartApplication,
    )
)
feature.form(Form(key=FORM_KEY, build=_answers, command=SubmitApplication))
feature.form(Form(key=REJECT_FORM_KEY, build=_reject, command=RejectApplication))
feature.button(
    ButtonRoute(
        area="app",
        verb="approve",
        build=lambda inv, ident: ApproveApplication(
            community_id=inv.community_id, application_id=_application_id(ident)
        ),
        command=ApproveApplication,
    )
)
feature.button(
    ButtonRoute(
        area="app",
        verb="reject",
        build=lambda inv, ident: OpenRejection(
            community_id=inv.community_id, application_id=_application_id(ident)
        ),
        command=OpenRejection,
    )
)
feature.slash(
    SlashCommand(
        name="applications pending",
        description="Applications waiting longer than the moderators' service level",
        build=lambda inv: ListOverdueApplications(community_id=inv.community_id),
        command=ListOverdueApplications,
    )
)
