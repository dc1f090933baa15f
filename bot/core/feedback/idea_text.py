"""What idea posts, status notices and shipping announcements say (plain text, safe mentions).

Everything a member typed (titles, details, reasons) goes through `user_text`, so it can never
forge a mention; the only mentions are `mention(ref)` tokens of members named on purpose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.feedback.idea_rules import Idea, IdeaStatus, IdeaUpdate, Voter
from bot.core.refs import MemberRef
from bot.core.replies import Action, ActionStyle, Field
from bot.core.text import mention, user_text


@dataclass(frozen=True)
class PostView:
    """The parts of an idea's post, shared by the first post and every edit."""

    title: str
    text: str
    fields: tuple[Field, ...]
    actions: tuple[Action, ...]


def idea_title(idea_id: int, title: str, limit: int = 100) -> str:
    """ "#12 Dark mode", the user part neutralised."""
    return f"#{idea_id} {user_text(title, limit)}"


def post_view(idea: Idea, author: MemberRef | None, merged_into: Idea | None = None) -> PostView:
    """The idea post: the idea, who suggested it, status, votes and the buttons that still apply."""
    lines = [user_text(idea.details, 1000)] if idea.details.strip() else []
    lines.append(f"Suggested by {mention(author)}" if author else "Suggested by a former member")
    if idea.status is IdeaStatus.DECLINED and idea.status_reason:
        lines.append(f"Declined: {user_text(idea.status_reason, 500)}")
    if idea.status is IdeaStatus.MERGED and merged_into is not None:
        lines.append(f"Merged into {idea_title(merged_into.id, merged_into.title)}: votes count there now.")
    fields = [Field("Status", idea.status.label), Field("Votes", str(idea.votes))]
    if idea.area:
        fields.append(Field("Area", user_text(idea.area, 30)))
    actions: list[Action] = []
    if idea.status.is_open:
        actions.append(Action(f"Upvote · {idea.votes}", f"idea:vote:{idea.id}", ActionStyle.PRIMARY))
    if idea.status is not IdeaStatus.MERGED and idea.status is not IdeaStatus.SHIPPED:
        actions.append(Action("Manage", f"idea:manage:{idea.id}"))
    return PostView(idea_title(idea.id, idea.title), "\n".join(lines), tuple(fields), tuple(actions))


def _update_line(update: IdeaUpdate) -> str:
    name = idea_title(update.idea_id, update.title, 80)
    if update.now is IdeaStatus.MERGED:
        target = (
            idea_title(update.merged_into_id, update.merged_into_title or "", 80)
            if update.merged_into_id
            else "another idea"
        )
        return f"• {name} was merged into {target}: your vote now counts there."
    line = f"• {name}: {update.was.label} → {update.now.label}"
    if update.now is IdeaStatus.DECLINED and update.reason:
        line += f" (reason: {user_text(update.reason, 300)})"
    if update.now is IdeaStatus.SHIPPED:
        line += ". Thank you for asking for it!"
    return line


def notice_text(updates: Sequence[IdeaUpdate]) -> str:
    """One private message for all of a member's idea updates since the last batch."""
    head = (
        "An idea you suggested or voted for has news:"
        if len(updates) == 1
        else f"{len(updates)} ideas you suggested or voted for have news:"
    )
    tail = "Turn these messages off with /ideas notifications off."
    return "\n".join([head, *(_update_line(u) for u in updates), "", tail])


def shipped_text(
    idea: Idea, author: MemberRef | None, credited: Sequence[Voter], others: int
) -> tuple[str, str]:
    """The public announcement: title and text crediting the author and the first voters by mention."""
    lines = [f"{idea_title(idea.id, idea.title)} is live. Thank you to everyone who asked for it!"]
    if author is not None:
        lines.append(f"Suggested by {mention(author)}.")
    if credited:
        names = ", ".join(mention(v.ref) for v in credited)
        lines.append(f"First to vote for it: {names}.")
    if others > 0:
        lines.append(f"…and {others} more member{'s' if others != 1 else ''} who voted.")
    lines.append(f"See idea #{idea.id} in the ideas channel.")
    return "Shipped: " + user_text(idea.title, 80), "\n".join(lines)
