"""Community NPS: every `nps_every_days`, a sample of members gets a private 0–10 question (one tap
answers, an optional reason in a form, "don't ask me again" opts out). One answer per member per
survey: a second tap changes it. Score, trend and response rate appear in the business section."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time, timedelta

from bot.core.business import feature
from bot.core.business.commands import AnswerNps, ExplainNps, OpenNpsSurvey, OptOutOfNps
from bot.core.business.nps_rules import sample
from bot.core.business.ports import NpsRepository
from bot.core.context import Context
from bot.core.effects import DirectMessage
from bot.core.errors import InvalidInput, NotFound
from bot.core.recurring import Daily, Recurring
from bot.core.registry import ButtonRoute, Form, Invocation, id_parts, int_id
from bot.core.replies import Action, ActionStyle, FormField, OpenForm, Reply
from bot.core.text import day, user_text

SURVEY_AT = time(10, 0)  # in the community's zone


def question(name: str, closes: str, survey_id: int) -> tuple[str, tuple[Action, ...]]:
    """The survey DM's text and its buttons."""
    text = (
        f"How likely are you to recommend {name} to a friend or colleague? 0 is not at all, 10 is "
        f"extremely. One tap answers (privately); you can change it until {closes}."
    )
    scores = tuple(Action(str(n), f"nps:score:{survey_id}:{n}") for n in range(11))
    return text, (*scores, Action("Don't ask me again", "nps:optout:0", ActionStyle.SECONDARY))


@feature.command(OpenNpsSurvey)
async def open_nps_survey(command: OpenNpsSurvey, ctx: Context) -> Reply:
    """Open a survey when none ran in the last `nps_every_days`, and ask a sample of members."""
    policy = ctx.community.business
    if policy.nps_every_days == 0:
        return Reply.nothing()
    repo = ctx.uow.repo(NpsRepository)
    now = ctx.now()
    latest = await repo.results(command.community_id, 1)
    if latest and now - latest[0].opened_at < timedelta(days=policy.nps_every_days):
        return Reply.nothing()
    members = dict(
        await repo.eligible(command.community_id, now - timedelta(days=policy.nps_min_tenure_days))
    )
    if len(members) < policy.nps_min_members:
        return Reply.nothing()
    closes = now + timedelta(days=policy.nps_open_days)
    survey_id = await repo.open_survey(command.community_id, now, closes)
    asked = sample(list(members), survey_id, policy.nps_sample)
    await repo.invite(survey_id, asked)
    text, actions = question(ctx.community.name, day(closes, ctx.community.zone), survey_id)
    for member_id in asked:
        await ctx.send(DirectMessage(command.community_id, members[member_id], text, actions=actions))
    return Reply(text=f"NPS survey {survey_id} sent to {len(asked)} member(s)")


@feature.command(AnswerNps)
async def answer_nps(command: AnswerNps, ctx: Context) -> Reply | OpenForm:
    """Record the answer; offer the reason form."""
    member = ctx.acting_member()
    if not 0 <= command.score <= 10:
        raise InvalidInput("An answer is a number from 0 to 10.")
    repo = ctx.uow.repo(NpsRepository)
    closes = await repo.closes_at(command.survey_id, command.community_id)
    if closes is None or not await repo.answer(command.survey_id, member.id, command.score, ctx.now()):
        raise NotFound("That survey was not sent to you here.")
    if ctx.now() >= closes:
        raise InvalidInput("That survey has closed; thank you all the same.")
    why = Action("Say why (optional)", f"nps:why:{command.survey_id}", ActionStyle.PRIMARY)
    return Reply(text=f"Thank you: your answer is {command.score}. Tap again to change it.", actions=(why,))


@feature.command(ExplainNps)
async def explain_nps(command: ExplainNps, ctx: Context) -> Reply:
    member = ctx.acting_member()
    reason = user_text(command.reason, 500)
    if not reason:
        raise InvalidInput("The reason is empty; write a few words, or close the form.")
    if not await ctx.uow.repo(NpsRepository).explain(command.survey_id, member.id, reason):
        raise NotFound("Answer the survey first (0–10), then say why.")
    return Reply(text="Thank you: the team reads every reason.")


@feature.command(OptOutOfNps)
async def opt_out_of_nps(command: OptOutOfNps, ctx: Context) -> Reply:
    member = ctx.acting_member()
    await ctx.uow.repo(NpsRepository).opt_out(member.id, ctx.now())
    return Reply(text="Done: you will not be asked again.")


def _score(inv: Invocation, ident: str) -> AnswerNps:
    survey, score = id_parts(ident, 2)
    return AnswerNps(
        community_id=inv.community_id, member=inv.actor.ref, survey_id=int_id(survey), score=int_id(score)
    )


def _why(inv: Invocation, ident: str) -> OpenForm:
    reason = FormField("reason", "What is the main reason for your answer?", max_length=500, min_length=2)
    return OpenForm("nps_why", "Why that answer?", (reason,), context=str(int_id(ident)))


def _explained(inv: Invocation, answers: Mapping[str, str], context: str) -> ExplainNps:
    return ExplainNps(
        community_id=inv.community_id,
        member=inv.actor.ref,
        survey_id=int_id(context),
        reason=answers.get("reason", ""),
    )


feature.button(ButtonRoute("nps", "score", _score, command=AnswerNps))
feature.button(ButtonRoute("nps", "why", _why, command=ExplainNps))
feature.button(
    ButtonRoute(
        "nps",
        "optout",
        lambda inv, _: OptOutOfNps(community_id=inv.community_id, member=inv.actor.ref),
        command=OptOutOfNps,
    )
)
feature.form(Form(key="nps_why", build=_explained, command=ExplainNps))
feature.recurring(Recurring("nps", OpenNpsSurvey, lambda c: Daily(SURVEY_AT), timedelta(hours=12)))
