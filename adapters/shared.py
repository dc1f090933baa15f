"""What the Discord and Slack adapters both need: replay suppression for event ids, and the one
mapping from the core's effects to the notifier method that carries each out (with the relay's
attempt, for platforms that can deduplicate a resend)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Protocol, TypeVar, assert_never

from bot.core.effects import (
    AddToSpace,
    AssignBadgeRole,
    CancelScheduledEvent,
    ChangeTierRole,
    CreateReferralInvite,
    CreateScheduledEvent,
    DirectMessage,
    EditMessage,
    Effect,
    GrantMemberAccess,
    OpenPrivateSpace,
    PostMessage,
    RemoveProfile,
    RevokeMemberAccess,
    SyncProfile,
)
from bot.core.ports import Attempt, DeliveryError, PlatformRef

Refs = Mapping[str, PlatformRef]
Binding = TypeVar("Binding", contravariant=True)


class RecentIds:
    """Event ids seen lately, so a replayed or retried event is handled once (bounded memory)."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._seen: OrderedDict[str, None] = OrderedDict()

    def claim(self, key: str) -> bool:
        """True the first time `key` is seen (among the last `size`)."""
        if key in self._seen:
            self._seen.move_to_end(key)
            return False
        self._seen[key] = None
        if len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return True

    def release(self, key: str) -> None:
        """Forget `key` (its handling failed; a retry should get through)."""
        self._seen.pop(key, None)


class EffectHandlers(Protocol[Binding]):
    """One method per effect; each returns where what it created now lives (empty when nothing)."""

    async def post_message(self, effect: PostMessage, refs: Refs, binding: Binding) -> Refs: ...

    async def edit_message(self, effect: EditMessage, refs: Refs, binding: Binding) -> Refs: ...

    async def direct_message(self, effect: DirectMessage, refs: Refs, binding: Binding) -> Refs: ...

    async def grant_member_access(self, effect: GrantMemberAccess, refs: Refs, binding: Binding) -> Refs: ...

    async def revoke_member_access(
        self, effect: RevokeMemberAccess, refs: Refs, binding: Binding
    ) -> Refs: ...

    async def open_private_space(self, effect: OpenPrivateSpace, refs: Refs, binding: Binding) -> Refs: ...

    async def add_to_space(self, effect: AddToSpace, refs: Refs, binding: Binding) -> Refs: ...

    async def assign_badge_role(self, effect: AssignBadgeRole, refs: Refs, binding: Binding) -> Refs: ...

    async def change_tier_role(self, effect: ChangeTierRole, refs: Refs, binding: Binding) -> Refs: ...

    async def create_scheduled_event(
        self, effect: CreateScheduledEvent, refs: Refs, binding: Binding
    ) -> Refs: ...

    async def cancel_scheduled_event(
        self, effect: CancelScheduledEvent, refs: Refs, binding: Binding
    ) -> Refs: ...

    async def create_referral_invite(
        self, effect: CreateReferralInvite, refs: Refs, binding: Binding
    ) -> Refs: ...


_ATTEMPT: ContextVar[Attempt | None] = ContextVar("townsquare_delivery_attempt", default=None)


def current_attempt() -> Attempt | None:
    """The relay's attempt being carried out in this task (for a nonce or a look before resending)."""
    return _ATTEMPT.get()


async def carry_out(
    handlers: EffectHandlers[Binding],
    effect: Effect,
    refs: Refs,
    binding: Binding,
    attempt: Attempt | None = None,
) -> Refs:
    """Hand `effect` to the method of `handlers` that carries out its kind; `current_attempt()`
    tells that method which attempt this is."""
    token = _ATTEMPT.set(attempt)
    try:
        return await _dispatch(handlers, effect, refs, binding)
    finally:
        _ATTEMPT.reset(token)


async def _dispatch(handlers: EffectHandlers[Binding], effect: Effect, refs: Refs, binding: Binding) -> Refs:
    match effect:
        case PostMessage():
            return await handlers.post_message(effect, refs, binding)
        case EditMessage():
            return await handlers.edit_message(effect, refs, binding)
        case DirectMessage():
            return await handlers.direct_message(effect, refs, binding)
        case GrantMemberAccess():
            return await handlers.grant_member_access(effect, refs, binding)
        case RevokeMemberAccess():
            return await handlers.revoke_member_access(effect, refs, binding)
        case OpenPrivateSpace():
            return await handlers.open_private_space(effect, refs, binding)
        case AddToSpace():
            return await handlers.add_to_space(effect, refs, binding)
        case AssignBadgeRole():
            return await handlers.assign_badge_role(effect, refs, binding)
        case ChangeTierRole():
            return await handlers.change_tier_role(effect, refs, binding)
        case CreateScheduledEvent():
            return await handlers.create_scheduled_event(effect, refs, binding)
        case CancelScheduledEvent():
            return await handlers.cancel_scheduled_event(effect, refs, binding)
        case CreateReferralInvite():
            return await handlers.create_referral_invite(effect, refs, binding)
        case SyncProfile() | RemoveProfile():  # the sinks' notifier carries these (adapters/sinks)
            raise DeliveryError(
                f"{effect.kind} is for the business sinks, not a chat platform", retryable=False
            )
        case _:
            assert_never(effect)
