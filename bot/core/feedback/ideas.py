"""Ideas: /idea with similar ideas first, filing, the Upvote button (one vote per member)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from bot.core.context import Context
from bot.core.contributions.events import ContributionMade
from bot.core.contributions.rules import ContributionKind
from bot.core.effects import EditMessage, PostMessage
from bot.core.errors import Conflict, InvalidInput, NotFound
from bot.core.feedback import feature
from bot.core.feedback.commands import FileIdeaDraft, SubmitIdea, ToggleIdeaVote, VoteForSimilarIdea
from bot.core.feedback.idea_rules import (
    DETAILS_MAX,
    TITLE_MAX,
    Idea,
    IdeaStatus,
    Press,
    normalise_area,
    press_outcome,
    similar_ideas,
)
from bot.core.feedback.idea_text import idea_title, post_view
from bot.core.feedback.ports import IdeaRepository
from bot.core.hygiene import clean, one_line
from bot.core.members import Member
from bot.core.registry import ButtonRoute, Form, Invocation, SlashCommand, id_parts, int_id
from bot.core.replies import Action, ActionStyle, FormField, OpenForm, Reply


async def record(ctx: Context, member: Member, kind: ContributionKind, source_id: str) -> None:
    """Count filing or voting as a contribution, once per source, on the shared contribution path."""
    ctx.emit(
        ContributionMade(
            community_id=ctx.community.id, member=member.ref, kind=kind, source_id=source_id, at=ctx.now()
        )
    )


async def refresh_post(ctx: Context, idea: Idea) -> None:
    """Edit the idea's post in place: votes, status, the buttons that still apply."""
    author = await ctx.uow.members.get(idea.author_id) if idea.author_id is not None else None
    merged_into = (
        await ctx.uow.repo(IdeaRepository).get(idea.community_id, idea.merged_into_id)
        if idea.merged_into_id
        else None
    )
    view = post_view(idea, author.ref if author else None, merged_into)
    await ctx.send(
        EditMessage(
            idea.community_id,
            idea.message_key,
            view.text,
            actions=view.actions,
            title=view.title,
            fields=view.fields,
        )
    )


async def file_idea(ctx: Context, member: Member, title: str, details: str, area: str | None) -> Idea:
    """File the idea, post it with its Upvote button, count it as a contribution."""
    idea = await ctx.uow.repo(IdeaRepository).add(
        ctx.community.id, member.id, title, details, area, ctx.now()
    )
    await record(ctx, member, ContributionKind.IDEA_FILED, f"idea_filed:{idea.id}")
    view = post_view(idea, member.ref)
    await ctx.send(
        PostMessage(
            idea.community_id,
            ctx.community.ideas.channel,
            view.text,
            actions=view.actions,
            title=view.title,
            fields=view.fields,
            message_key=idea.message_key,
        )
    )
    return idea


def _filed_reply(idea: Idea) -> Reply:
    return Reply(
        text=f"Filed as {idea_title(idea.id, idea.title)}, with your vote. You will hear privately "
        "when its status changes (/ideas notifications off to stop that)."
    )


@feature.command(SubmitIdea)
async def submit_idea(command: SubmitIdea, ctx: Context) -> Reply:
    """Check the form; offer up to three similar open ideas to vote for instead, or file it."""
    member = ctx.acting_member()
    title, details = one_line(command.title), clean(command.details)
    if not 3 <= len(title) <= TITLE_MAX:
        raise InvalidInput(f"Give the idea a title of 3 to {TITLE_MAX} characters.")
    if len(details) > DETAILS_MAX:
        raise InvalidInput(f"Keep the details to {DETAILS_MAX} characters.")
    settings = ctx.community.ideas
    try:
        area = normalise_area(command.area, settings.areas)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    similar = similar_ideas(
        title,
        await ctx.uow.repo(IdeaRepository).open_titles(ctx.community.id),
        limit=settings.similar_max,
        cutoff=settings.similar_cutoff,
    )
    if not similar:
        return _filed_reply(await file_idea(ctx, member, title, details, area))
    draft_id = await ctx.uow.repo(IdeaRepository).save_draft(
        ctx.community.id, member.id, title, details, area, ctx.now()
    )
    ideas = await ctx.uow.repo(IdeaRepository).many(ctx.community.id, [s.idea_id for s in similar])
    lines = ["These open ideas look alike. Vote for one instead, or file yours anyway:"]
    actions = []
    for hit in similar:
        idea = ideas[hit.idea_id]
        lines.append(f"• {idea_title(idea.id, idea.title)} — {idea.votes} votes, {idea.status.label}")
        actions.append(
            Action(f"Vote for #{idea.id}", f"idea:instead:{draft_id}:{idea.id}", ActionStyle.PRIMARY)
        )
    actions.append(Action("File mine anyway", f"idea:file:{draft_id}"))
    return Reply(title="Similar ideas are already open", text="\n".join(lines), actions=tuple(actions))


@feature.command(FileIdeaDraft)
async def file_idea_draft(command: FileIdeaDraft, ctx: Context) -> Reply:
    """File the held idea after all."""
    member = ctx.acting_member()
    draft = await ctx.uow.repo(IdeaRepository).take_draft(ctx.community.id, command.draft_id, member.id)
    if draft is None:
        raise NotFound("That idea was filed or dropped already. Start again with /idea.")
    return _filed_reply(await file_idea(ctx, member, draft.title, draft.details, draft.area))


async def cast_vote(ctx: Context, member: Member, idea_id: int, *, toggle: bool) -> tuple[Idea, Press]:
    """Vote (or, when toggling, withdraw) on an open idea; the post's count is edited in place.

    The idea's row is locked first, so concurrent presses queue; the member's vote is a primary
    key, so they can never count twice, and the cached count is recounted, never incremented.
    """
    idea = await ctx.uow.repo(IdeaRepository).lock(ctx.community.id, idea_id)
    if idea is None:
        raise NotFound(f"There is no idea #{idea_id}.")
    if idea.status is IdeaStatus.MERGED:
        raise Conflict(f"#{idea.id} was merged into #{idea.merged_into_id}: vote for that one instead.")
    if not idea.status.is_open:
        raise Conflict(f"#{idea.id} is {idea.status.label.lower()}, so it no longer takes votes.")
    voted_at = await ctx.uow.repo(IdeaRepository).vote_of(idea.id, member.id)
    outcome = (
        press_outcome(voted_at, ctx.now()) if toggle else (Press.ADDED if voted_at is None else Press.KEPT)
    )
    if outcome is Press.ADDED:
        await ctx.uow.repo(IdeaRepository).add_vote(idea.id, member.id, ctx.now())
        if member.id != idea.author_id:
            # one contribution per member and idea: withdrawing and voting again earns nothing more
            await record(ctx, member, ContributionKind.IDEA_VOTE, f"idea_vote:{idea.id}:{member.id}")
    elif outcome is Press.WITHDRAWN:
        await ctx.uow.repo(IdeaRepository).remove_vote(idea.id, member.id)
    if outcome is not Press.KEPT:
        idea = replace(idea, votes=await ctx.uow.repo(IdeaRepository).recount(idea.id))
        await refresh_post(ctx, idea)
    return idea, outcome


@feature.command(ToggleIdeaVote)
async def toggle_idea_vote(command: ToggleIdeaVote, ctx: Context) -> Reply:
    """Upvote: one vote per member; pressing again withdraws it."""
    idea, outcome = await cast_vote(ctx, ctx.acting_member(), command.idea_id, toggle=True)
    if outcome is Press.WITHDRAWN:
        return Reply(text=f"Your vote for #{idea.id} is withdrawn ({idea.votes} votes now).")
    return Reply(
        text=f"Your vote for #{idea.id} is in ({idea.votes} votes). Press Upvote again to withdraw it."
    )


@feature.command(VoteForSimilarIdea)
async def vote_for_similar_idea(command: VoteForSimilarIdea, ctx: Context) -> Reply:
    """Back an existing idea instead of filing a duplicate; the draft is dropped."""
    member = ctx.acting_member()
    if await ctx.uow.repo(IdeaRepository).take_draft(ctx.community.id, command.draft_id, member.id) is None:
        raise NotFound("That choice was made already. Start again with /idea if you want to.")
    idea, outcome = await cast_vote(ctx, member, command.idea_id, toggle=False)
    already = " (you had voted for it already)" if outcome is Press.KEPT else ""
    return Reply(
        text=f"Your vote is on {idea_title(idea.id, idea.title)}{already}; it has {idea.votes} votes."
    )


# --- registry ------------------------------------------------------------------------------------


def _pair(ident: str) -> tuple[int, int]:
    first, second = id_parts(ident, 2)
    return int_id(first), int_id(second)


IDEA_FORM = OpenForm(
    form_key="idea",
    title="Suggest an idea",
    fields=(
        FormField("title", "Title", max_length=TITLE_MAX, min_length=3, multiline=False),
        FormField("details", "Details: what would it let you do?", max_length=DETAILS_MAX, required=False),
        FormField(
            "area",
            "Area (optional tag)",
            max_length=30,
            required=False,
            multiline=False,
            placeholder="e.g. editor",
        ),
    ),
)

feature.slash(
    SlashCommand(
        name="idea",
        description="Suggest an idea for the product",
        build=lambda inv: IDEA_FORM,
        command=SubmitIdea,
    )
)


def _submitted(inv: Invocation, answers: Mapping[str, str], _context: str) -> SubmitIdea:
    return SubmitIdea(
        community_id=inv.community_id,
        title=answers.get("title", ""),
        details=answers.get("details", "") or "",
        area=answers.get("area", "") or None,
    )


feature.form(Form(key="idea", build=_submitted, command=SubmitIdea))
feature.button(
    ButtonRoute(
        "idea",
        "vote",
        lambda inv, ident: ToggleIdeaVote(community_id=inv.community_id, idea_id=int_id(ident)),
        command=ToggleIdeaVote,
    )
)
feature.button(
    ButtonRoute(
        "idea",
        "file",
        lambda inv, ident: FileIdeaDraft(community_id=inv.community_id, draft_id=int_id(ident)),
        command=FileIdeaDraft,
    )
)
feature.button(
    ButtonRoute(
        "idea",
        "instead",
        lambda inv, ident: VoteForSimilarIdea(
            community_id=inv.community_id, draft_id=_pair(ident)[0], idea_id=_pair(ident)[1]
        ),
        command=VoteForSimilarIdea,
    )
)
