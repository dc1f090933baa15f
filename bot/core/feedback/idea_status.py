"""Idea statuses: lead changes and merges, the daily batch of private notices, public credit on ship."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from bot.core.context import Context
from bot.core.effects import DirectMessage, PostMessage
from bot.core.errors import Conflict, InvalidInput, NotFound
from bot.core.feedback import feature
from bot.core.feedback.commands import (
    ChangeIdeaStatus,
    MergeIdea,
    SendIdeaNotices,
    SetIdeaNotifications,
    ShowIdeaActions,
)
from bot.core.feedback.events import IdeaShipped
from bot.core.feedback.idea_rules import (
    SETTABLE,
    Idea,
    IdeaStatus,
    Voter,
    by_member,
    collapse,
    credited_voters,
    transition_problem,
)
from bot.core.feedback.idea_text import idea_title, notice_text, shipped_text
from bot.core.feedback.ideas import refresh_post
from bot.core.feedback.ports import IdeaNoticeRepository, IdeaRepository
from bot.core.registry import (
    ButtonRoute,
    Form,
    Invocation,
    Option,
    OptionType,
    SlashCommand,
    id_parts,
    int_id,
)
from bot.core.replies import Action, ActionStyle, FormField, OpenForm, Reply


async def _notify(
    ctx: Context, change_id: int, idea: Idea, voters: Sequence[Voter], by_id: int | None
) -> int:
    """Queue one notice per author and voter for this change (the lead who made it knows)."""
    recipients = {v.member_id for v in voters}
    if idea.author_id is not None:
        recipients.add(idea.author_id)
    if by_id is not None:
        recipients.discard(by_id)
    return await ctx.uow.repo(IdeaNoticeRepository).queue(ctx.community.id, change_id, recipients, ctx.now())


async def _announce_shipped(ctx: Context, idea: Idea, voters: Sequence[Voter]) -> None:
    """Close the loop in public: credit the author and the first voters by mention; IdeaShipped."""
    author = await ctx.uow.members.get(idea.author_id) if idea.author_id is not None else None
    if author is not None and not author.is_admitted:
        author = None  # nobody who left is pinged
    credited = credited_voters(voters, idea.author_id, ctx.community.ideas.credit_voters)
    others = sum(1 for v in voters if v.member_id != idea.author_id and v.admitted) - len(credited)
    title, text = shipped_text(idea, author.ref if author else None, credited, others)
    await ctx.send(
        PostMessage(
            idea.community_id,
            ctx.community.ideas.announce_channel,
            text,
            title=title,
            link_key=idea.message_key,
        ),
        dedupe_key=f"idea-shipped:{idea.community_id}:{idea.id}",
    )
    # Badges award the author every catalogue badge of the idea-shipped rule, announced like any award.
    ctx.emit(
        IdeaShipped(
            community_id=idea.community_id,
            idea_id=idea.id,
            author_id=author.id if author else None,
            author=author.ref if author else None,
            at=ctx.now(),
        )
    )


def _status(value: str) -> IdeaStatus:
    try:
        return IdeaStatus(value.strip().lower().replace(" ", "_"))
    except ValueError:
        raise InvalidInput("Use one of: " + ", ".join(s.value for s in SETTABLE) + ".") from None


async def apply_status(
    ctx: Context, idea: Idea, new: IdeaStatus, reason: str | None, by_id: int | None, note: str | None = None
) -> int | None:
    """Move an idea (checked by the caller), tell its author and voters in the next batch, refresh its
    post; `note` is the why the notice carries when it is not a decline reason (a roadmap vote's).
    Returns how many members will be told, or None when the idea changed meanwhile."""
    if not await ctx.uow.repo(IdeaRepository).set_status(idea.id, idea.status, new, ctx.now(), reason=reason):
        return None
    change_id = await ctx.uow.repo(IdeaNoticeRepository).add_change(
        idea.id, idea.status, new, by_id, reason or note, ctx.now()
    )
    voters = await ctx.uow.repo(IdeaRepository).voters(idea.id)
    told = await _notify(ctx, change_id, idea, voters, by_id)
    updated = replace(
        idea, status=new, status_reason=reason, shipped_at=ctx.now() if new is IdeaStatus.SHIPPED else None
    )
    await refresh_post(ctx, updated)
    if new is IdeaStatus.SHIPPED:
        await _announce_shipped(ctx, updated, voters)
    return told


@feature.command(ChangeIdeaStatus)
async def change_idea_status(command: ChangeIdeaStatus, ctx: Context) -> Reply:
    """Set a status; author and voters are told in the next daily batch; shipping closes the loop."""
    new = _status(command.status)
    idea = await ctx.uow.repo(IdeaRepository).lock(ctx.community.id, command.idea_id)
    if idea is None:
        raise NotFound(f"There is no idea #{command.idea_id}.")
    problem = transition_problem(idea.status, new)
    if problem:
        raise Conflict(problem)
    reason = (command.reason or "").strip() or None
    if new is IdeaStatus.DECLINED and reason is None:
        raise InvalidInput("Say why it is declined: the author and voters are told the reason.")
    reason = reason if new is IdeaStatus.DECLINED else None
    by_id = ctx.member.id if ctx.member else None  # leads may be staff-only users without a row
    told = await apply_status(ctx, idea, new, reason, by_id)
    if told is None:
        raise Conflict(f"#{idea.id} changed meanwhile; look at it again.")
    return Reply(
        text=f"{idea_title(idea.id, idea.title)} is now {new.label.lower()}. "
        f"{told} member(s) will be told privately in the next daily batch."
    )


@feature.command(MergeIdea)
async def merge_idea(command: MergeIdea, ctx: Context) -> Reply:
    """Merge a duplicate: its votes join the target (a member who voted for both counts once)."""
    if command.idea_id == command.into_id:
        raise InvalidInput("Pick two different ideas: the duplicate, then the idea to keep.")
    # lock in id order so two merges of the same pair cannot deadlock on PostgreSQL
    locked: dict[int, Idea | None] = {}
    for idea_id in sorted((command.idea_id, command.into_id)):
        locked[idea_id] = await ctx.uow.repo(IdeaRepository).lock(ctx.community.id, idea_id)
    source, target = locked[command.idea_id], locked[command.into_id]
    if source is None or target is None:
        missing = command.idea_id if source is None else command.into_id
        raise NotFound(f"There is no idea #{missing}.")
    if not source.status.is_open:
        raise Conflict(f"#{source.id} is {source.status.label.lower()}; only open ideas can be merged.")
    if target.status is IdeaStatus.MERGED:
        raise Conflict(f"#{target.id} was merged into #{target.merged_into_id}; merge into that one.")
    if target.status is IdeaStatus.DECLINED:
        raise Conflict(f"#{target.id} is declined; reconsider it first or merge the other way.")
    if not await ctx.uow.repo(IdeaRepository).set_status(
        source.id, source.status, IdeaStatus.MERGED, ctx.now(), merged_into_id=target.id
    ):
        raise Conflict(f"#{source.id} changed meanwhile; look at it again.")
    voters = await ctx.uow.repo(IdeaRepository).voters(source.id)
    before = target.votes
    await ctx.uow.repo(IdeaRepository).merge_votes(source.id, target.id)
    target = replace(target, votes=await ctx.uow.repo(IdeaRepository).recount(target.id))
    by_id = ctx.member.id if ctx.member else None  # leads may be staff-only users without a row
    change_id = await ctx.uow.repo(IdeaNoticeRepository).add_change(
        source.id, source.status, IdeaStatus.MERGED, by_id, None, ctx.now()
    )
    told = await _notify(ctx, change_id, source, voters, by_id)
    await refresh_post(ctx, replace(source, status=IdeaStatus.MERGED, merged_into_id=target.id))
    await refresh_post(ctx, target)
    return Reply(
        text=f"Merged #{source.id} into {idea_title(target.id, target.title)}: {target.votes} votes "
        f"({target.votes - before} new). {told} member(s) will be told where their vote went."
    )


@feature.command(ShowIdeaActions)
async def show_idea_actions(command: ShowIdeaActions, ctx: Context) -> Reply:
    """The lead's private panel for one idea: the statuses it can move to."""
    idea = await ctx.uow.repo(IdeaRepository).get(ctx.community.id, command.idea_id)
    if idea is None:
        raise NotFound(f"There is no idea #{command.idea_id}.")
    actions = []
    for status in SETTABLE:
        if transition_problem(idea.status, status) is not None:
            continue
        if status is IdeaStatus.DECLINED:
            actions.append(Action("Decline…", f"idea:decline:{idea.id}", ActionStyle.DANGER))
        else:
            style = ActionStyle.SUCCESS if status is IdeaStatus.SHIPPED else ActionStyle.SECONDARY
            actions.append(Action(status.label, f"idea:set:{idea.id}:{status.value}", style))
    text = f"{idea_title(idea.id, idea.title)} is {idea.status.label.lower()} with {idea.votes} votes."
    if not actions:
        text += " Nothing more to do with it."
    return Reply(text=text + "\nTo merge a duplicate: /ideas merge.", actions=tuple(actions))


@feature.command(SetIdeaNotifications)
async def set_idea_notifications(command: SetIdeaNotifications, ctx: Context) -> Reply:
    """Opt in or out of the private status-change messages."""
    member = ctx.acting_member()
    await ctx.uow.repo(IdeaNoticeRepository).set_opt_out(
        ctx.community.id, member.id, not command.enabled, ctx.now()
    )
    if command.enabled:
        return Reply(text="You will be told privately when ideas you suggested or voted for change status.")
    return Reply(text="No more idea updates by private message. /ideas notifications on brings them back.")


@feature.command(SendIdeaNotices)
async def send_idea_notices(command: SendIdeaNotices, ctx: Context) -> Reply:
    """The daily batch: one private message per member for all their pending notices, exactly once.

    Notices are marked sent in the same transaction as the message is queued, and only the ones
    this run marked are told, so a second or concurrent run sends nothing again.
    """
    sent = 0
    for member_id, notices in by_member(
        await ctx.uow.repo(IdeaNoticeRepository).pending(command.community_id)
    ).items():
        claimed = await ctx.uow.repo(IdeaNoticeRepository).claim([n.id for n in notices], ctx.now())
        mine = [n for n in notices if n.id in claimed]
        if not mine or not mine[0].admitted or await ctx.uow.repo(IdeaNoticeRepository).opted_out(member_id):
            continue  # gone, or opted out since the change: marked done, not told
        await ctx.send(
            DirectMessage(command.community_id, mine[0].member, notice_text(collapse(mine))),
            dedupe_key=f"idea-notices:{command.community_id}:{member_id}:{min(claimed)}",
        )
        sent += 1
    return Reply(text=f"{sent} idea update message(s) queued.")


# --- registry ------------------------------------------------------------------------------------


def _set_button(inv: Invocation, ident: str) -> ChangeIdeaStatus:
    idea_id, status = id_parts(ident, 2)
    return ChangeIdeaStatus(community_id=inv.community_id, idea_id=int_id(idea_id), status=status)


def _decline_form(inv: Invocation, ident: str) -> OpenForm:
    idea_id = int_id(ident)
    return OpenForm(
        form_key="idea_decline",
        title=f"Decline idea #{idea_id}",
        fields=(FormField("reason", "Why? The author and voters are told.", max_length=500, min_length=3),),
        context=str(idea_id),
    )


def _declined(inv: Invocation, answers: Mapping[str, str], context: str) -> ChangeIdeaStatus:
    return ChangeIdeaStatus(
        community_id=inv.community_id,
        idea_id=int_id(context),
        status=IdeaStatus.DECLINED.value,
        reason=answers.get("reason", ""),
    )


def _choices(statuses: Iterable[IdeaStatus]) -> tuple[str, ...]:
    return tuple(s.value for s in statuses)


feature.button(
    ButtonRoute(
        "idea",
        "manage",
        lambda inv, ident: ShowIdeaActions(community_id=inv.community_id, idea_id=int_id(ident)),
        command=ShowIdeaActions,
    )
)
feature.button(ButtonRoute("idea", "set", _set_button, command=ChangeIdeaStatus))
feature.button(ButtonRoute("idea", "decline", _decline_form, command=ChangeIdeaStatus))
feature.form(Form(key="idea_decline", build=_declined, command=ChangeIdeaStatus))
feature.slash(
    SlashCommand(
        name="ideas status",
        description="Change an idea's status (author and voters are told)",
        options=(
            Option("id", "The idea number", OptionType.INTEGER, min_value=1),
            Option("status", "The new status", choices=_choices(SETTABLE)),
            Option("reason", "Why (needed to decline)", required=False, max_length=500),
        ),
        build=lambda inv: ChangeIdeaStatus(
            community_id=inv.community_id,
            idea_id=int(inv.options["id"]),
            status=str(inv.options["status"]),
            reason=inv.options.get("reason"),
        ),
        command=ChangeIdeaStatus,
    )
)
feature.slash(
    SlashCommand(
        name="ideas merge",
        description="Merge a duplicate idea into another (votes are united)",
        options=(
            Option("id", "The duplicate", OptionType.INTEGER, min_value=1),
            Option("into", "The idea to keep", OptionType.INTEGER, min_value=1),
        ),
        build=lambda inv: MergeIdea(
            community_id=inv.community_id, idea_id=int(inv.options["id"]), into_id=int(inv.options["into"])
        ),
        command=MergeIdea,
    )
)
feature.slash(
    SlashCommand(
        name="ideas notifications",
        description="Private messages when ideas you suggested or voted for change status",
        options=(Option("setting", "on or off", choices=("on", "off")),),
        build=lambda inv: SetIdeaNotifications(
            community_id=inv.community_id, enabled=str(inv.options["setting"]) == "on"
        ),
        command=SetIdeaNotifications,
    )
)
