"""The sinks' notifier: delivers SyncProfile / RemoveProfile (outbox platform "sink") to the signed
webhook and to HubSpot, whichever are configured. The relay retries a failed delivery with backoff,
so a sink that is down loses nothing; each change carries an idempotency key.

The webhook's JSON schema is documented in docs/business.md:
{"type": "profile.upsert" | "profile.delete", "id": <change id>, "community": <id>,
 "subject": <pseudonym>, "email": <str|null>, "properties": {...}, "reason": <str|null>}
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping

import httpx

from adapters.sinks.hubspot import HubSpotClient
from adapters.sinks.settings import HubSpotSettings, WebhookSettings
from adapters.sinks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, check, sign
from bot.core.effects import SINKS, Effect, RemoveProfile, SyncProfile
from bot.core.ports import Attempt, DeliveryError, PlatformRef


def webhook_body(effect: SyncProfile | RemoveProfile) -> dict[str, object]:
    """The documented JSON of one change."""
    if isinstance(effect, SyncProfile):
        return {
            "type": "profile.upsert",
            "id": effect.change_id,
            "community": effect.community_id,
            "subject": effect.subject,
            "email": effect.email,
            "properties": dict(effect.properties),
            "reason": None,
        }
    return {
        "type": "profile.delete",
        "id": effect.change_id,
        "community": effect.community_id,
        "subject": effect.subject,
        "email": None,
        "properties": {},
        "reason": effect.reason,
    }


class SinkNotifier:
    """Carries out sink effects; a 5xx, 429 or network error is retryable, another 4xx is not."""

    platform = SINKS

    def __init__(
        self,
        webhook: WebhookSettings | None,
        hubspot: HubSpotSettings | None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.webhook = webhook
        self.client = client or httpx.AsyncClient()
        self.hubspot = HubSpotClient(hubspot, self.client) if hubspot else None

    async def deliver(
        self, effect: Effect, refs: Mapping[str, PlatformRef], attempt: Attempt | None = None
    ) -> Mapping[str, PlatformRef]:
        """Send to every configured sink; the change id makes a resend after a crash harmless."""
        if not isinstance(effect, SyncProfile | RemoveProfile):
            raise DeliveryError(f"the sinks do not carry out {effect.kind}", retryable=False)
        if self.webhook is not None:
            await self._post_webhook(effect, self.webhook)
        if self.hubspot is not None:
            await self.hubspot.apply(effect)
        return {}

    async def _post_webhook(self, effect: SyncProfile | RemoveProfile, webhook: WebhookSettings) -> None:
        body = json.dumps(webhook_body(effect), separators=(",", ":"), sort_keys=True).encode()
        stamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(stamp),
            SIGNATURE_HEADER: sign(webhook.secret.get_secret_value(), stamp, body),
            "Idempotency-Key": effect.change_id,
        }
        try:
            response = await self.client.post(
                str(webhook.url), content=body, headers=headers, timeout=webhook.timeout_seconds
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook unreachable: {type(exc).__name__}") from exc
        check(response, "webhook")

    async def close(self) -> None:
        await self.client.aclose()
