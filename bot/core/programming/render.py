"""The programme's outbound text and buttons, in one place (plain text; typed text via user_text)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.programming.rules import (
    Occurrence,
    OccurrenceStatus,
    Question,
    RsvpCounts,
    Series,
    SeriesKind,
    Submission,
    order_questions,
)
from bot.core.replies import Action, ActionStyle, Field
from bot.core.text import local_time, mention, user_text

LIVE_QUESTIONS = 10  # questions shown (and given an "answered" button) in the live AMA post
LIST_TEXT = 180  # characters of a question or description shown in a list


def announcement_key(occurrence_id: int) -> str:
    """The announcement post, edited in place as RSVPs come in."""
    return f"occurrence:{occurrence_id}"


def event_key(occurrence_id: int) -> str:
    """The native calendar event (Discord Scheduled Event)."""
    return f"event:{occurrence_id}"


def question_key(question_id: int) -> str:
    """A queued question's post, edited as votes come in."""
    return f"ama:question:{question_id}"


def live_key(occurrence_id: int) -> str:
    """The AMA's live list of questions, edited as they are answered."""
    return f"ama:live:{occurrence_id}"


def when(series: Series, instant: datetime) -> str:
    """An instant each member reads in their own zone (plain: in the series' time zone)."""
    return local_time(instant, ZoneInfo(series.timezone))


def title(series: Series) -> str:
    """The series' title, as typed by a lead (made safe)."""
    return user_text(series.title, limit=200)


def name(series: Series) -> str:
    """ "AMA: Ask the maintainers" — the series as a heading."""
    return f"{series.label}: {title(series)}"


def until(now: datetime, instant: datetime) -> str:
    """A rough "in about 3 hours" for reminders."""
    minutes = max(int((instant - now).total_seconds() // 60), 0)
    if minutes < 90:
        return f"in {minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60)
    if hours < 36:
        return f"in about {hours} hours"
    return f"in about {round(hours / 24)} days"


def rsvp_actions(occurrence_id: int) -> tuple[Action, ...]:
    """Going / maybe / can't buttons for one occurrence."""
    return (
        Action("Going", f"rsvp:going:{occurrence_id}", ActionStyle.SUCCESS),
        Action("Maybe", f"rsvp:maybe:{occurrence_id}"),
        Action("Can't make it", f"rsvp:no:{occurrence_id}"),
    )


def check_in_action(occurrence_id: int) -> Action:
    """The "I'm here" button that records attendance."""
    return Action("I'm here", f"rsvp:here:{occurrence_id}", ActionStyle.PRIMARY)


def host_text(series: Series) -> str:
    """ " with @host", or nothing."""
    return _host(series)


def _host(series: Series) -> str:
    return f" with {mention(series.host)}" if series.host else ""


def announcement(
    series: Series, occurrence: Occurrence, counts: RsvpCounts, calendar_url: str | None = None
) -> tuple[str, tuple[Field, ...]]:
    """Text and RSVP counts of the announcement post (rendered again whenever it changes)."""
    at = when(series, occurrence.starts_at)
    lines = [f"{series.label}{_host(series)}: {at}, {series.duration_minutes} minutes."]
    if occurrence.status is OccurrenceStatus.MOVED:
        lines.append("Note the new time: this one was moved.")
    if series.location:
        lines.append(f"Where: {user_text(series.location, limit=200)}")
    lines.append(f"Let us know if you're coming{_INVITES[series.kind]}")
    if calendar_url:
        lines.append(f"Every event in your calendar: {calendar_url}")
    fields: tuple[Field, ...] = (
        Field(
            "Going", str(counts.going) if series.capacity is None else f"{counts.going} of {series.capacity}"
        ),
        Field("Maybe", str(counts.maybe)),
        Field("Can't make it", str(counts.no)),
    )
    if series.capacity is not None and (counts.waiting or counts.going >= series.capacity):
        fields += (Field("Waitlist", str(counts.waiting)),)
    return "\n".join(lines), fields


_INVITES = {
    SeriesKind.AMA: ", and queue your question for the host with /ama.",
    SeriesKind.SHOWCASE: ", and show what you built with /showcase.",
    SeriesKind.OFFICE_HOURS: ": drop in with whatever you're stuck on.",
    SeriesKind.MEETUP: ": places help us plan the room.",
    SeriesKind.COUNCIL_MEETING: ". Members of the council meet; the minutes are published after (/minutes).",
}
BLURBS = {
    SeriesKind.AMA: "Ask the host anything: queue questions with /ama.",
    SeriesKind.SHOWCASE: "Members show what they built: enter with /showcase.",
    SeriesKind.OFFICE_HOURS: "Office hours: drop in with questions, no agenda needed.",
    SeriesKind.MEETUP: "Meet the community in person.",
    SeriesKind.COUNCIL_MEETING: "The council meets; its minutes are published afterwards.",
}


def promoted(series: Series, occurrence: Occurrence) -> str:
    """The DM to a member who moved up from the waitlist."""
    return (
        f"A place opened up: you're going to {name(series)}, {when(series, occurrence.starts_at)}. "
        "If you can't make it after all, press \"Can't make it\" on the announcement or in /events, "
        "so the next person gets the place."
    )


def waitlisted(series: Series, occurrence: Occurrence, place: int) -> str:
    """The answer to a member who asked to go when it was full."""
    return (
        f"{name(series)}, {when(series, occurrence.starts_at)}, is full: you're number {place} on the "
        "waitlist. If a place opens up you'll get it and a message; nothing else to do."
    )


def called_off(series: Series, occurrence: Occurrence) -> str:
    """What an announcement says once its occurrence will not happen."""
    return f"Called off: {name(series)} on {when(series, occurrence.starts_at)} will not take place."


def reminder(series: Series, occurrence: Occurrence, now: datetime) -> str:
    """The channel reminder."""
    return (
        f"{name(series)} starts {until(now, occurrence.starts_at)}: "
        f"{when(series, occurrence.starts_at)}{_host(series)}."
    )


def reminder_dm(series: Series, occurrence: Occurrence, now: datetime) -> str:
    """The private reminder to a member going."""
    return (
        f"Reminder: {name(series)} starts {until(now, occurrence.starts_at)} "
        f"({when(series, occurrence.starts_at)}). You said you're going. "
        "Turn these reminders off with /reminders off."
    )


def question_post(series: Series, occurrence: Occurrence, question: Question) -> str:
    """A queued question, as posted with its upvote button."""
    return (
        f"Question for {name(series)} on {when(series, occurrence.starts_at)}, "
        f"from {mention(question.asker)}:\n{user_text(question.text)}\n"
        f"Upvotes: {question.votes}"
    )


def live_questions(series: Series, questions: Sequence[Question]) -> tuple[str, tuple[Action, ...]]:
    """The AMA's questions by votes, with an "answered" button for each open one shown."""
    ordered = order_questions(questions)
    if not ordered:
        return f"{name(series)} starts now{_host(series)}. No questions were queued: ask away!", ()
    lines = [f"{name(series)} starts now{_host(series)}. Questions by votes:"]
    actions: list[Action] = []
    for number, question in enumerate(ordered[:LIVE_QUESTIONS], start=1):
        mark = "answered: " if question.answered_at else ""
        lines.append(
            f"{number}. {mark}{user_text(question.text, limit=LIST_TEXT)} "
            f"({question.votes} vote{'s' if question.votes != 1 else ''}, from {mention(question.asker)})"
        )
        if question.answered_at is None:
            actions.append(Action(f"Answered {number}", f"ama:answered:{question.id}"))
    if len(ordered) > LIVE_QUESTIONS:
        lines.append(f"…and {len(ordered) - LIVE_QUESTIONS} more.")
    return "\n".join(lines), tuple(actions)


def lineup(series: Series, occurrence: Occurrence, entries: Sequence[Submission]) -> str:
    """A showcase's line-up, in the order entries came in."""
    if not entries:
        at = when(series, occurrence.starts_at)
        return f"{name(series)} on {at}: no entries yet. Add yours with /showcase."
    lines = [f"Line-up for {name(series)}, {when(series, occurrence.starts_at)}:"]
    for number, entry in enumerate(entries, start=1):
        what = user_text(entry.title, limit=LIST_TEXT)
        line = f"{number}. {what} by {mention(entry.presenter)}: {user_text(entry.link)}"
        if entry.description:
            line += f"\n   {user_text(entry.description, limit=LIST_TEXT)}"
        lines.append(line)
    return "\n".join(lines)


def review_post(series: Series, occurrence: Occurrence, entry: Submission) -> str:
    """A showcase entry as leads review it."""
    text = (
        f"Showcase entry for {name(series)} on {when(series, occurrence.starts_at)} from "
        f"{mention(entry.presenter)}:\n{user_text(entry.title, limit=200)}\n{user_text(entry.link)}"
    )
    if entry.description:
        text += f"\n{user_text(entry.description, limit=LIST_TEXT * 2)}"
    return text


def review_key(submission_id: int) -> str:
    """The review post of an entry, edited with the decision."""
    return f"showcase:review:{submission_id}"


def duration_text(delta: timedelta) -> str:
    """ "24 h", "90 min": a reminder lead as members read it."""
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h" if minutes % 60 == 0 and minutes >= 60 else f"{minutes} min"
