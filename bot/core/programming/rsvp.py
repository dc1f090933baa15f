"""Members and events: /events, RSVP buttons, "I'm here", and reminder preferences."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.context import Context
from bot.core.errors import InvalidInput
from bot.core.programming import feature, render, waitlist
from bot.core.programming.commands import AnswerRsvp, ListEvents, RecordAttendance, SetReminderPreference
from bot.core.programming.common import (
    contribute,
    occurrence_in_community,
    refresh_announcement,
)
from bot.core.programming.ports import OccurrenceRepository, RsvpRepository
from bot.core.programming.rules import ANSWERS, CHECK_IN_OPENS, RsvpAnswer
from bot.core.registry import ButtonRoute, Invocation, SlashCommand, int_id
from bot.core.replies import Action, ActionStyle, Reply

EVENTS_LISTED = 10
EVENTS_WITH_BUTTONS = 5  # 3 buttons each: within the 25 a message can carry on either platform
ATTENDED = "event_attended"

_SAID = {
    RsvpAnswer.GOING: "going",
    RsvpAnswer.MAYBE: "maybe",
    RsvpAnswer.NO: "can't make it",
    RsvpAnswer.WAITING: "on the waitlist",
}


@feature.command(ListEvents)
async def list_events(command: ListEvents, ctx: Context) -> Reply:
    """What is coming, soonest first, with the member's own answers and RSVP buttons."""
    member = ctx.acting_member()
    coming = await ctx.uow.repo(OccurrenceRepository).upcoming(command.community_id, ctx.now(), EVENTS_LISTED)
    if not coming:
        return Reply(text="Nothing is scheduled yet.", title="Coming up")
    answers = await ctx.uow.repo(RsvpRepository).answers_of(member.id, [o.id for _, o in coming])
    lines: list[str] = []
    actions: list[Action] = []
    for number, (series, occurrence) in enumerate(coming, start=1):
        line = f"{number}. {render.name(series)}: {render.when(series, occurrence.starts_at)}"
        if occurrence.id in answers:
            line += f" (you: {_SAID[answers[occurrence.id]]})"
        lines.append(line)
        if number <= EVENTS_WITH_BUTTONS:
            actions += [
                Action(f"Going #{number}", f"rsvp:going:{occurrence.id}", ActionStyle.SUCCESS),
                Action(f"Maybe #{number}", f"rsvp:maybe:{occurrence.id}"),
                Action(f"Can't #{number}", f"rsvp:no:{occurrence.id}"),
            ]
    return Reply(text="\n".join(lines), title="Coming up", actions=tuple(actions))


@feature.command(AnswerRsvp)
async def answer_rsvp(command: AnswerRsvp, ctx: Context) -> Reply:
    """Record the answer; the same answer twice changes nothing, a new one updates the counts."""
    member = ctx.acting_member()
    series, occurrence = await occurrence_in_community(ctx, command.occurrence_id)
    if not occurrence.happening:
        raise InvalidInput(
            f"{render.name(series)} on {render.when(series, occurrence.starts_at)} is not taking place."
        )
    if ctx.now() >= occurrence.ends_at:
        raise InvalidInput("That one is over. /events shows what is coming.")
    rsvps = ctx.uow.repo(RsvpRepository)
    await rsvps.hold(occurrence.id)
    answer = command.answer
    if answer is RsvpAnswer.GOING:
        answer = await waitlist.admit_or_wait(ctx, series, occurrence, member)
    was = (await rsvps.answers_of(member.id, [occurrence.id])).get(occurrence.id)
    if not await rsvps.answer(occurrence.id, member.id, answer, ctx.now()):
        if answer is RsvpAnswer.WAITING:
            return Reply(
                text=render.waitlisted(series, occurrence, await waitlist.position(ctx, occurrence, member))
            )
        return Reply(text=f"You already said {_SAID[answer]}.")
    if was is RsvpAnswer.GOING:  # a place opened up: the first waiting member takes it
        await waitlist.fill_places(ctx, series, occurrence)
    await refresh_announcement(ctx, series, occurrence)
    if answer is RsvpAnswer.WAITING:
        return Reply(
            text=render.waitlisted(series, occurrence, await waitlist.position(ctx, occurrence, member))
        )
    text = f"Noted: {_SAID[answer]} for {render.name(series)}, {render.when(series, occurrence.starts_at)}."
    if answer is RsvpAnswer.GOING:
        if member.reminders_opt_out:
            text += " Reminders are off for you (/reminders on)."
        else:
            offsets = ", ".join(render.duration_text(o) for o in ctx.community.programming.reminder_offsets)
            text += f" You'll get a reminder {offsets} before (/reminders off stops them)." if offsets else ""
    return Reply(text=text)


@feature.command(RecordAttendance)
async def record_attendance(command: RecordAttendance, ctx: Context) -> Reply:
    """Attendance is "I'm here" pressed during the event (from 15 min before to 30 min after):
    an RSVP is an intention, this is the fact that counts as a contribution."""
    member = ctx.acting_member()
    series, occurrence = await occurrence_in_community(ctx, command.occurrence_id)
    now = ctx.now()
    if not occurrence.check_in_open(now):
        opens = render.when(series, occurrence.starts_at - CHECK_IN_OPENS)
        raise InvalidInput(
            f"Check-in for {render.name(series)} is open from {opens} until shortly after it ends."
        )
    if not await ctx.uow.repo(RsvpRepository).check_in(occurrence.id, member.id, now):
        return Reply(text="You're already checked in. Enjoy!")
    await contribute(ctx, member.id, ATTENDED, f"{ATTENDED}:{occurrence.id}:{member.id}", now)
    return Reply(text=f"Thanks for coming to {render.name(series)}!")


@feature.command(SetReminderPreference)
async def set_reminder_preference(command: SetReminderPreference, ctx: Context) -> Reply:
    """Event reminder DMs on or off for the member (channel reminders are for everyone)."""
    member = ctx.acting_member()
    if member.reminders_opt_out == (not command.enabled):
        return Reply(text=f"Event reminders are already {'on' if command.enabled else 'off'} for you.")
    member.reminders_opt_out = not command.enabled
    await ctx.uow.members.save(member)
    if command.enabled:
        return Reply(text="Event reminders are on: you'll get a DM before events you're going to.")
    return Reply(text="Event reminders are off. /reminders on brings them back.")


# --- registry ----------------------------------------------------------------------------------


def _rsvp(answer: RsvpAnswer) -> Callable[[Invocation, str], AnswerRsvp]:
    return lambda inv, ident: AnswerRsvp(
        community_id=inv.community_id, occurrence_id=int_id(ident, "Try /events."), answer=answer
    )


for _answer in ANSWERS:
    feature.button(ButtonRoute("rsvp", _answer.value, _rsvp(_answer), command=AnswerRsvp))
feature.button(
    ButtonRoute(
        "rsvp",
        "here",
        lambda inv, ident: RecordAttendance(
            community_id=inv.community_id, occurrence_id=int_id(ident, "Try /events.")
        ),
        command=RecordAttendance,
    )
)
feature.button(
    ButtonRoute(
        "reminders",
        "off",
        lambda inv, _: SetReminderPreference(community_id=inv.community_id, enabled=False),
        command=SetReminderPreference,
    )
)
feature.slash(
    SlashCommand(
        name="events",
        description="What is coming up, with RSVP buttons",
        build=lambda inv: ListEvents(community_id=inv.community_id),
        command=ListEvents,
    )
)


def _reminders(enabled: bool) -> Callable[[Invocation], SetReminderPreference]:
    return lambda inv: SetReminderPreference(community_id=inv.community_id, enabled=enabled)


feature.slash(
    SlashCommand(
        name="reminders off",
        description="Stop event reminder DMs",
        build=_reminders(False),
        command=SetReminderPreference,
    )
)
feature.slash(
    SlashCommand(
        name="reminders on",
        description="Get event reminder DMs again",
        build=_reminders(True),
        command=SetReminderPreference,
    )
)
