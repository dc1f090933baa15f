"""The business's facts in: signed up, became a customer, churned, expanded (CSV or the inbound
endpoint, both through this one command). A fact is linked to a member only when that member
consents; a referral code credits its owner. A fact already stored (same external id) is skipped."""

from __future__ import annotations

import hashlib

from bot.core.business import feature
from bot.core.business.commands import ImportCustomerFacts, InboundFact
from bot.core.business.outcomes import CustomerFact, FactKind
from bot.core.business.ports import BusinessReader, BusinessRepository, Consent
from bot.core.context import Context
from bot.core.errors import InvalidInput
from bot.core.replies import Reply


def email_hash(email: str) -> str:
    """The SHA-256 of a lower-cased, trimmed email: how the business names a member without the address."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _kind(fact: InboundFact) -> FactKind:
    try:
        return FactKind(fact.kind)
    except ValueError:
        kinds = ", ".join(k.value for k in FactKind)
        raise InvalidInput(f"fact {fact.external_id}: event {fact.kind!r} is not one of {kinds}") from None


class _Links:
    """Consenting members by platform user id and by email hash, built once per import."""

    def __init__(self, consenting: list[Consent]) -> None:
        self.by_user = {c.member.user_id: c for c in consenting}
        self.by_email = {email_hash(c.email): c for c in consenting if c.email}

    def of(self, fact: InboundFact) -> Consent | None:
        """The consenting member a fact names, by user id first, then by email hash."""
        found = self.by_user.get(fact.member) if fact.member is not None else None
        if found is None and fact.email_sha256:
            found = self.by_email.get(fact.email_sha256.lower())
        return found


@feature.command(ImportCustomerFacts)
async def import_customer_facts(command: ImportCustomerFacts, ctx: Context) -> Reply:
    """Link and store the facts; a bad event name refuses the whole batch (nothing half-imported)."""
    links = _Links(await ctx.uow.repo(BusinessRepository).consenting(command.community_id))
    reader = ctx.uow.repo(BusinessReader)
    stored: list[tuple[str, CustomerFact]] = []
    linked = 0
    for fact in command.facts:
        kind = _kind(fact)
        if fact.revenue is not None and not 0 <= fact.revenue < 1e12:
            raise InvalidInput(f"fact {fact.external_id}: revenue must be 0 or more, not {fact.revenue}")
        consent = links.of(fact)
        member_id = consent.member_id if consent else None
        referrer = (
            await reader.referral_owner(command.community_id, fact.referral_code)
            if fact.referral_code
            else None
        )
        if referrer is None and member_id is not None:
            referrer = await reader.referrer_of(member_id)
        linked += member_id is not None
        stored.append(
            (
                fact.external_id,
                CustomerFact(fact.customer, kind, fact.occurred_at, fact.revenue, member_id, referrer),
            )
        )
    added = await reader.add_facts(command.community_id, stored)
    return Reply(
        text=f"{added} new fact(s) of {len(stored)} ({len(stored) - added} already known); "
        f"{linked} linked to consenting members"
    )
