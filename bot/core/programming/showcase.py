"""Showcases: /showcase enters something one built; leads review entries when review is on."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.context import Context
from bot.core.effects import DirectMessage, EditMessage, PostMessage
from bot.core.errors import InvalidInput
from bot.core.programming import feature, render
from bot.core.programming.commands import ReviewSubmission, SubmitShowcase
from bot.core.programming.common import contribute, next_of_kind, occurrence_in_community
from bot.core.programming.ports import ShowcaseRepository
from bot.core.programming.rules import (
    MAX_DESCRIPTION_LENGTH,
    MAX_TITLE_LENGTH,
    SeriesKind,
    Submission,
    SubmissionStatus,
    validate_link,
)
from bot.core.registry import ButtonRoute, Invocation, Option, SlashCommand, int_id
from bot.core.replies import Action, ActionStyle, Reply
from bot.core.text import user_text

SHOWCASED = "showcase"


@feature.command(SubmitShowcase)
async def submit_showcase(command: SubmitShowcase, ctx: Context) -> Reply:
    """Enter the next showcase: straight into the line-up, or to a lead first when review is on."""
    member = ctx.acting_member()
    title = user_text(command.title)
    description = user_text(command.description)
    if not 1 <= len(title) <= MAX_TITLE_LENGTH:
        raise InvalidInput(f"Give your entry a title of at most {MAX_TITLE_LENGTH} characters.")
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidInput(f"Keep the description to {MAX_DESCRIPTION_LENGTH} characters.")
    link = validate_link(command.link)
    found = await next_of_kind(ctx, SeriesKind.SHOWCASE)
    if found is None:
        raise InvalidInput("No showcase is scheduled. /events shows what is coming.")
    series, occurrence = found
    limit = ctx.community.programming.submissions_per_member
    if await ctx.uow.repo(ShowcaseRepository).count_by(occurrence.id, member.id) >= limit:
        raise InvalidInput(f"You have {limit} entr{'y' if limit == 1 else 'ies'} in this showcase already.")
    review = ctx.community.programming.showcase_review
    entry = await ctx.uow.repo(ShowcaseRepository).add(
        occurrence.id,
        member.id,
        title=title,
        link=link,
        description=description,
        status=SubmissionStatus.PENDING if review else SubmissionStatus.ACCEPTED,
        now=ctx.now(),
    )
    when = render.when(series, occurrence.starts_at)
    if not review:
        await contribute(ctx, member.id, SHOWCASED, f"{SHOWCASED}:{entry.id}", ctx.now())
        return Reply(text=f"You're in the line-up for {render.name(series)}, {when}.")
    await ctx.send(
        PostMessage(
            ctx.community.id,
            ctx.community.programming.review_channel,
            render.review_post(series, occurrence, entry),
            actions=(
                Action("Accept", f"showcase:accept:{entry.id}", ActionStyle.SUCCESS),
                Action("Decline", f"showcase:reject:{entry.id}", ActionStyle.DANGER),
            ),
            title="Showcase entry to review",
            message_key=render.review_key(entry.id),
        ),
        dedupe_key=f"showcase:review:{entry.id}",
    )
    return Reply(text=f"Thanks! A lead will look at your entry for {render.name(series)}, {when}.")


@feature.command(ReviewSubmission)
async def review_submission(command: ReviewSubmission, ctx: Context) -> Reply:
    """A lead accepts (into the line-up, counted as a contribution) or declines an entry, once."""
    entry = await ctx.uow.repo(ShowcaseRepository).get(command.submission_id)
    if entry is None:
        raise InvalidInput("That entry no longer exists.")
    series, occurrence = await occurrence_in_community(ctx, entry.occurrence_id)
    status = SubmissionStatus.ACCEPTED if command.accept else SubmissionStatus.REJECTED
    if not await ctx.uow.repo(ShowcaseRepository).decide(entry.id, status):
        return Reply(text=f"That entry was already {(await _status(ctx, entry)).value}.")
    when = render.when(series, occurrence.starts_at)
    what = f"Your entry \u201c{user_text(entry.title, limit=100)}\u201d"
    if command.accept:
        await contribute(ctx, entry.presenter_id, SHOWCASED, f"{SHOWCASED}:{entry.id}", ctx.now())
        note = f"{what} is in the line-up for {render.name(series)}, {when}."
    else:
        note = f"{what} is not in the line-up for {render.name(series)} this time. A lead can tell you why."
    await ctx.send(
        DirectMessage(ctx.community.id, entry.presenter, note), dedupe_key=f"showcase:decided:{entry.id}"
    )
    verdict = "Accepted" if command.accept else "Declined"
    await ctx.send(
        EditMessage(
            ctx.community.id,
            render.review_key(entry.id),
            f"{render.review_post(series, occurrence, entry)}\n{verdict}.",
            title="Showcase entry",
        )
    )
    return Reply(text=f"{verdict}.")


async def _status(ctx: Context, entry: Submission) -> SubmissionStatus:
    current = await ctx.uow.repo(ShowcaseRepository).get(entry.id)
    return current.status if current else entry.status


feature.slash(
    SlashCommand(
        name="showcase",
        description="Enter something you built in the next showcase",
        build=lambda inv: SubmitShowcase(
            community_id=inv.community_id,
            title=str(inv.options["title"]),
            link=str(inv.options["link"]),
            description=str(inv.options.get("description") or ""),
        ),
        options=(
            Option("title", "What it is", max_length=MAX_TITLE_LENGTH),
            Option("link", "Where to see it (https://…)", max_length=500),
            Option(
                "description", "A sentence or two about it", required=False, max_length=MAX_DESCRIPTION_LENGTH
            ),
        ),
        command=SubmitShowcase,
    )
)


def _review(accept: bool) -> Callable[[Invocation, str], ReviewSubmission]:
    """The button build for accepting or rejecting the submission named by the button's id."""
    return lambda inv, ident: ReviewSubmission(
        community_id=inv.community_id, submission_id=int_id(ident), accept=accept
    )


for _verb, _accept in (("accept", True), ("reject", False)):
    feature.button(ButtonRoute("showcase", _verb, _review(_accept), command=ReviewSubmission))
