"""`[webhook]`, `[hubspot]` and `[inbound]`: where consenting members' profiles go, and how the
business's conversion facts come in. Secrets from the environment (docs/business.md)."""

from __future__ import annotations

from pydantic import Field, HttpUrl, SecretStr

from bot.core.settings_base import StrictModel


class WebhookSettings(StrictModel):
    """A signed outgoing webhook: POST JSON, HMAC-SHA256 over "<timestamp>.<body>"."""

    url: HttpUrl
    secret: SecretStr = Field(min_length=16)  # TOWNSQUARE_WEBHOOK_SECRET
    timeout_seconds: float = Field(10.0, gt=0, le=120)


class HubSpotSettings(StrictModel):
    """HubSpot contacts, upserted by the `townsquare_subject` property (docs/business.md)."""

    token: SecretStr = Field(min_length=8)  # HUBSPOT_TOKEN: a private app's access token
    api_base_url: HttpUrl = HttpUrl("https://api.hubapi.com")
    id_property: str = Field("townsquare_subject", pattern=r"^[a-z][a-z0-9_]{0,99}$")
    timeout_seconds: float = Field(10.0, gt=0, le=120)


class InboundSettings(StrictModel):
    """The endpoint the business posts conversion facts to (HMAC-signed like the webhook)."""

    secret: SecretStr = Field(min_length=16)  # TOWNSQUARE_INBOUND_SECRET
    host: str = "127.0.0.1"
    port: int = Field(3100, ge=1, le=65535)
    community: str | None = None  # which community the facts belong to (default: the first)
