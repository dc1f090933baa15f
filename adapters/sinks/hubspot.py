"""HubSpot contacts over its public CRM v3 API: a consenting member's community properties are
upserted on the contact whose `townsquare_subject` (a unique custom property) is their pseudonym;
withdrawal or erasure empties those properties, so nothing of the community stays on the contact
(the subject left behind is a keyed pseudonym that means nothing without Townsquare's key).

Endpoint: POST /crm/v3/objects/contacts/batch/upsert with `idProperty` (HubSpot's documented
upsert by a unique property). The portal needs the custom properties listed in docs/business.md.
"""

from __future__ import annotations

import httpx

from adapters.sinks.settings import HubSpotSettings
from adapters.sinks.signing import check
from bot.core.effects import RemoveProfile, SyncProfile
from bot.core.ports import DeliveryError

UPSERT_PATH = "/crm/v3/objects/contacts/batch/upsert"
COMMUNITY_PROPERTIES = (
    "community_level",
    "community_cql_score",
    "community_cql_reasons",
    "community_referrals",
    "community_last_active",
)


class HubSpotClient:
    def __init__(self, settings: HubSpotSettings, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.client = client

    def _input(self, effect: SyncProfile | RemoveProfile) -> dict[str, object]:
        if isinstance(effect, SyncProfile):
            properties = dict(effect.properties)
            if effect.email:
                properties["email"] = effect.email
            return {"idProperty": self.settings.id_property, "id": effect.subject, "properties": properties}
        cleared: dict[str, str] = {name: "" for name in COMMUNITY_PROPERTIES}
        return {"idProperty": self.settings.id_property, "id": effect.subject, "properties": cleared}

    async def apply(self, effect: SyncProfile | RemoveProfile) -> None:
        """Upsert (or clear) the contact; HubSpot answers 200 with the contact, or an error."""
        url = str(self.settings.api_base_url).rstrip("/") + UPSERT_PATH
        headers = {
            "Authorization": f"Bearer {self.settings.token.get_secret_value()}",
            "Idempotency-Key": effect.change_id,
        }
        try:
            response = await self.client.post(
                url,
                json={"inputs": [self._input(effect)]},
                headers=headers,
                timeout=self.settings.timeout_seconds,
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"HubSpot unreachable: {type(exc).__name__}") from exc
        check(response, "HubSpot")
