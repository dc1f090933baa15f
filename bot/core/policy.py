"""Who may do what: the one rule every entry point asks (invocation, /help and the bus).

A command class declares its `Permission`; a registry entry takes the permission of the command it
names. `refusal` turns a permission, an actor and their admission into "allowed" (None) or the
message the actor is given instead.
"""

from __future__ import annotations

from bot.core.commands import Permission
from bot.core.refs import Actor

SYSTEM_ONLY = "That can only be done by Townsquare itself."
MODERATORS_ONLY = "Only moderators can do that."
LEADS_ONLY = "Only community leads can do that."
MEMBERS_ONLY = "That is for members. Use /join with a referral code, or /apply, to get in."


def refusal(permission: Permission, actor: Actor | None, *, admitted: bool | None) -> str | None:
    """None when `actor` may do what `permission` guards, else why not.

    `actor` None is Townsquare itself (scheduler, ingest, CLI): it may send any command, on a member's
    behalf too. `admitted` None means admission is not known yet (an adapter offering an entry): the
    bus, which looks the member up, decides it before the handler runs.
    """
    if permission is Permission.SYSTEM:
        return None if actor is None else SYSTEM_ONLY
    if actor is None or permission is Permission.ANYONE:
        return None
    if permission is Permission.MODERATOR:
        return None if actor.is_moderator else MODERATORS_ONLY
    if permission is Permission.LEAD:
        return None if actor.is_lead else LEADS_ONLY
    return None if admitted is not False else MEMBERS_ONLY


def allowed(permission: Permission, actor: Actor | None, *, admitted: bool | None) -> bool:
    """Whether `refusal` lets the actor through."""
    return refusal(permission, actor, admitted=admitted) is None
