"""AMAs: /ama queues a question for the next one, members upvote, the host ticks them off."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.effects import EditMessage, PostMessage
from bot.core.errors import Forbidden, InvalidInput
from bot.core.programming import feature, render
from bot.core.programming.commands import AskQuestion, MarkQuestionAnswered, UpvoteQuestion
from bot.core.programming.common import contribute, next_of_kind, occurrence_in_community
from bot.core.programming.ports import QuestionRepository
from bot.core.programming.rules import MAX_QUESTION_LENGTH, MIN_QUESTION_LENGTH, SeriesKind
from bot.core.registry import ButtonRoute, Option, SlashCommand, int_id
from bot.core.replies import Action, ActionStyle, Reply
from bot.core.text import user_text

ASKED = "ama_question"


def _upvote(question_id: int) -> tuple[Action, ...]:
    return (Action("Upvote", f"ama:vote:{question_id}", ActionStyle.PRIMARY),)


@feature.command(AskQuestion)
async def ask_question(command: AskQuestion, ctx: Context) -> Reply:
    """Queue the question for the next AMA and post it with an upvote button; asking counts."""
    member = ctx.acting_member()
    text = user_text(command.text)
    if not MIN_QUESTION_LENGTH <= len(text) <= MAX_QUESTION_LENGTH:
        raise InvalidInput(f"Ask in {MIN_QUESTION_LENGTH} to {MAX_QUESTION_LENGTH} characters.")
    found = await next_of_kind(ctx, SeriesKind.AMA)
    if found is None:
        raise InvalidInput("No AMA is scheduled. /events shows what is coming.")
    series, occurrence = found
    limit = ctx.community.programming.questions_per_member
    if await ctx.uow.repo(QuestionRepository).count_by(occurrence.id, member.id) >= limit:
        raise InvalidInput(
            f"You have queued {limit} question(s) for this AMA already; upvote others' instead."
        )
    question = await ctx.uow.repo(QuestionRepository).add(occurrence.id, member.id, text, ctx.now())
    await contribute(ctx, member.id, ASKED, f"{ASKED}:{question.id}", ctx.now())
    await ctx.send(
        PostMessage(
            ctx.community.id,
            series.channel,
            render.question_post(series, occurrence, question),
            actions=_upvote(question.id),
            message_key=render.question_key(question.id),
        ),
        dedupe_key=f"ama:question:{question.id}",
    )
    when = render.when(series, occurrence.starts_at)
    return Reply(text=f"Your question is queued for {render.name(series)}, {when}.")


@feature.command(UpvoteQuestion)
async def upvote_question(command: UpvoteQuestion, ctx: Context) -> Reply:
    """One vote per member per question, until the AMA starts; the post shows the new count."""
    member = ctx.acting_member()
    question = await ctx.uow.repo(QuestionRepository).get(command.question_id)
    if question is None:
        raise InvalidInput("That question no longer exists.")
    series, occurrence = await occurrence_in_community(ctx, question.occurrence_id)
    if ctx.now() >= occurrence.starts_at:
        raise InvalidInput("Voting closed when the AMA started.")
    if question.asker_id == member.id:
        raise InvalidInput("You can't upvote your own question; share it so others can.")
    if not await ctx.uow.repo(QuestionRepository).vote(question.id, member.id, ctx.now()):
        return Reply(text="You already upvoted this question.")
    question.votes += 1
    await ctx.send(
        EditMessage(
            ctx.community.id,
            render.question_key(question.id),
            render.question_post(series, occurrence, question),
            actions=_upvote(question.id),
        )
    )
    return Reply(text="Upvoted.")


@feature.command(MarkQuestionAnswered)
async def mark_question_answered(command: MarkQuestionAnswered, ctx: Context) -> Reply:
    """Only the series' host or a lead; the live list shows it answered."""
    member = ctx.acting_member()
    question = await ctx.uow.repo(QuestionRepository).get(command.question_id)
    if question is None:
        raise InvalidInput("That question no longer exists.")
    series, occurrence = await occurrence_in_community(ctx, question.occurrence_id)
    if not (ctx.actor is not None and ctx.actor.is_lead) and member.id != series.host_id:
        raise Forbidden("Only the host or a lead can mark questions answered.")
    if ctx.now() < occurrence.starts_at:
        raise InvalidInput("Questions are marked answered during the AMA.")
    if not await ctx.uow.repo(QuestionRepository).mark_answered(question.id, ctx.now()):
        return Reply(text="That question is already marked answered.")
    text, actions = render.live_questions(
        series, await ctx.uow.repo(QuestionRepository).of_occurrence(occurrence.id)
    )
    await ctx.send(
        EditMessage(
            ctx.community.id,
            render.live_key(occurrence.id),
            text,
            actions=(*actions, render.check_in_action(occurrence.id)),
            title=render.name(series),
        )
    )
    return Reply(text="Marked answered.")


feature.slash(
    SlashCommand(
        name="ama",
        description="Queue a question for the next AMA",
        build=lambda inv: AskQuestion(community_id=inv.community_id, text=str(inv.options["question"])),
        options=(Option("question", "Your question for the host", max_length=MAX_QUESTION_LENGTH),),
        command=AskQuestion,
    )
)
feature.button(
    ButtonRoute(
        "ama",
        "vote",
        lambda inv, ident: UpvoteQuestion(community_id=inv.community_id, question_id=int_id(ident)),
        command=UpvoteQuestion,
    )
)
feature.button(
    ButtonRoute(
        "ama",
        "answered",
        lambda inv, ident: MarkQuestionAnswered(community_id=inv.community_id, question_id=int_id(ident)),
        command=MarkQuestionAnswered,
    )
)
