"""Outbound effects: what the core asks a platform to do, stored in the outbox with the state change.

Effects are plain frozen dataclasses with a `kind` discriminator so the outbox can store them as
JSON and the relay can rebuild them. Channels are named logically ("applications", "welcome",
"announcements", "recognition", "digest", "ideas", a space key such as "cohort:3", or a raw
platform id as "id:C123"); the adapter maps names to platform channels from its config.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Base64Bytes, TypeAdapter
from pydantic import Field as PydField

from bot.core.refs import MemberRef
from bot.core.replies import Action, Field


@dataclass(frozen=True)
class PostMessage:
    """Post in a channel. `message_key` names the post so later effects can edit it.

    `link_key` names an earlier post (e.g. "idea:12") the adapter links to, when the relay knows
    where it went; a post whose target is unknown goes out without the link. In a Discord forum
    channel the adapter opens one post per message, named by `title`.
    """

    community_id: str
    channel: str
    text: str
    actions: tuple[Action, ...] = ()
    title: str | None = None
    fields: tuple[Field, ...] = ()
    message_key: str | None = None
    image_png: Base64Bytes | None = None
    image_name: str | None = None
    link_key: str | None = None
    kind: Literal["post_message"] = "post_message"


@dataclass(frozen=True)
class EditMessage:
    """Replace the text and buttons of a message posted earlier under `message_key`."""

    community_id: str
    message_key: str
    text: str
    actions: tuple[Action, ...] = ()
    title: str | None = None
    fields: tuple[Field, ...] = ()
    kind: Literal["edit_message"] = "edit_message"


@dataclass(frozen=True)
class DirectMessage:
    """A private message to one member, optionally with a file (`attachment`, named `attachment_name`)."""

    community_id: str
    member: MemberRef
    text: str
    actions: tuple[Action, ...] = ()
    title: str | None = None
    attachment: Base64Bytes | None = None  # a file to attach (the /mydata export)
    attachment_name: str | None = None
    kind: Literal["direct_message"] = "direct_message"


@dataclass(frozen=True)
class GrantMemberAccess:
    """Let an admitted member in: the member role on Discord, the member channels on Slack."""

    community_id: str
    member: MemberRef
    kind: Literal["grant_member_access"] = "grant_member_access"


@dataclass(frozen=True)
class RevokeMemberAccess:
    """Take member access away (removal by a lead)."""

    community_id: str
    member: MemberRef
    kind: Literal["revoke_member_access"] = "revoke_member_access"


@dataclass(frozen=True)
class OpenPrivateSpace:
    """Create a private space (Discord private thread or channel, Slack private channel) with members."""

    community_id: str
    space_key: str
    name: str
    members: tuple[MemberRef, ...]
    topic: str = ""
    kind: Literal["open_private_space"] = "open_private_space"


@dataclass(frozen=True)
class AddToSpace:
    """Add members to a private space opened earlier."""

    community_id: str
    space_key: str
    members: tuple[MemberRef, ...]
    kind: Literal["add_to_space"] = "add_to_space"


@dataclass(frozen=True)
class AssignBadgeRole:
    """Give the platform role mapped to a badge, where the community maps one."""

    community_id: str
    member: MemberRef
    badge_key: str
    kind: Literal["assign_badge_role"] = "assign_badge_role"


@dataclass(frozen=True)
class ChangeTierRole:
    """A member moved between advocacy tiers: remove the platform role (Discord role, Slack user group)
    mapped to `revoke` and give the one mapped to `grant`, where the community maps them."""

    community_id: str
    member: MemberRef
    grant: str | None = None
    revoke: str | None = None
    kind: Literal["change_tier_role"] = "change_tier_role"


@dataclass(frozen=True)
class CreateScheduledEvent:
    """A native calendar event (Discord Scheduled Event); platforms without one ignore it."""

    community_id: str
    event_key: str
    name: str
    starts_at: datetime
    ends_at: datetime
    description: str = ""
    channel: str = "announcements"
    kind: Literal["create_scheduled_event"] = "create_scheduled_event"


@dataclass(frozen=True)
class CancelScheduledEvent:
    """Cancel a native calendar event created earlier under `event_key`."""

    community_id: str
    event_key: str
    kind: Literal["cancel_scheduled_event"] = "cancel_scheduled_event"


@dataclass(frozen=True)
class CreateReferralInvite:
    """Mint a personal platform invite for a referral code (a Discord invite in `channel`, limited to
    the code's uses and lifetime) and tie it to the code, so joins through it credit the referrer.
    With `target`, only that person may accept the invite (so a join through it is certainly theirs),
    and `grant_access` asks the platform to give member access on accept where it can; a platform
    that cannot target invites mints an ordinary personal one. Platforms without invites (Slack)
    accept it and do nothing: the code alone lets people in."""

    community_id: str
    code: str
    referrer: MemberRef
    max_uses: int
    expires_at: datetime
    channel: str = "welcome"
    target: MemberRef | None = None
    grant_access: bool = False
    kind: Literal["create_referral_invite"] = "create_referral_invite"


SINKS = "sink"  # the outbox "platform" of SyncProfile / RemoveProfile: the business's sinks


@dataclass(frozen=True)
class SyncProfile:
    """Upsert a consenting member's community profile in the business's sinks (signed webhook, CRM).

    `subject` is a stable pseudonym of the member (never a platform id); `change_id` is the
    idempotency key of this change, sent along so a sink that sees it twice can ignore the copy.
    Delivered by the sinks' notifier (platform "sink"), not by Discord or Slack.
    """

    community_id: str
    subject: str
    change_id: str
    properties: tuple[tuple[str, str], ...]
    email: str | None = None
    kind: Literal["sync_profile"] = "sync_profile"


@dataclass(frozen=True)
class RemoveProfile:
    """Remove a member's community profile from every sink (consent withdrawn, or data erased)."""

    community_id: str
    subject: str
    change_id: str
    reason: Literal["withdrawn", "erased"]
    kind: Literal["remove_profile"] = "remove_profile"


Effect = (
    PostMessage
    | EditMessage
    | DirectMessage
    | GrantMemberAccess
    | RevokeMemberAccess
    | OpenPrivateSpace
    | AddToSpace
    | AssignBadgeRole
    | ChangeTierRole
    | CreateScheduledEvent
    | CancelScheduledEvent
    | CreateReferralInvite
    | SyncProfile
    | RemoveProfile
)


@functools.cache
def _adapter() -> TypeAdapter[Effect]:
    """Built at first use (about 25 ms): the reports and most CLI commands never store an effect."""
    return TypeAdapter(Annotated[Effect, PydField(discriminator="kind")])


def effect_to_json(effect: Effect) -> dict[str, Any]:
    """A JSON-ready dict (bytes become base64) that `effect_from_json` turns back into the effect."""
    data: dict[str, Any] = _adapter().dump_python(effect, mode="json")  # pydantic types the dump as Any
    return data


def effect_from_json(data: dict[str, Any]) -> Effect:
    """Rebuild an effect stored by `effect_to_json`."""
    return _adapter().validate_python(data)


def ref_keys(effect: Effect) -> tuple[str, ...]:
    """Platform refs the relay must look up before delivering (posts to edit, spaces to post in)."""
    keys: list[str] = []
    if isinstance(effect, EditMessage):
        keys.append(effect.message_key)
    if isinstance(effect, PostMessage) and not effect.channel.startswith("id:") and ":" in effect.channel:
        keys.append(effect.channel)
    if isinstance(effect, AddToSpace):
        keys.append(effect.space_key)
    if isinstance(effect, CancelScheduledEvent):
        keys.append(effect.event_key)
    return tuple(keys)


def optional_ref_keys(effect: Effect) -> tuple[str, ...]:
    """Refs the relay passes along when known but does not wait for (a link to an earlier post)."""
    if isinstance(effect, PostMessage) and effect.link_key:
        return (effect.link_key,)
    return ()


def lane(effect: Effect) -> str | None:
    """The queue an effect keeps its order in: the relay never delivers one before an earlier effect of
    the same community and lane (posts to one channel, edits of one message, DMs to one person, access
    changes of one person, one space, one event). None: no order to keep (badge roles, invites)."""
    if isinstance(effect, PostMessage):
        return f"channel:{effect.channel}"
    if isinstance(effect, EditMessage):
        return f"message:{effect.message_key}"
    if isinstance(effect, DirectMessage):
        return f"dm:{effect.member}"
    if isinstance(effect, GrantMemberAccess | RevokeMemberAccess):
        return f"access:{effect.member}"
    if isinstance(effect, OpenPrivateSpace | AddToSpace):
        return f"space:{effect.space_key}"
    if isinstance(effect, CreateScheduledEvent | CancelScheduledEvent):
        return f"event:{effect.event_key}"
    return None


def produced_keys(effect: Effect) -> tuple[str, ...]:
    """Refs delivering this effect creates, which later effects may wait for (see `ref_keys`)."""
    if isinstance(effect, PostMessage) and effect.message_key:
        return (effect.message_key,)
    if isinstance(effect, OpenPrivateSpace):
        return (effect.space_key,)
    if isinstance(effect, CreateScheduledEvent):
        return (effect.event_key,)
    return ()
