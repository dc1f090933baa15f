"""HMAC-SHA256 signatures of webhook bodies, both ways (the same scheme as Slack's and Stripe's):
the signature covers "<unix timestamp>.<raw body>", and a receiver refuses stale timestamps."""

from __future__ import annotations

import hashlib
import hmac

import httpx

from bot.core.ports import DeliveryError

TOLERANCE_SECONDS = 300
SIGNATURE_HEADER = "X-Townsquare-Signature"
TIMESTAMP_HEADER = "X-Townsquare-Timestamp"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: "v1=<hex digest>"."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, now: float) -> bool:
    """True for a fresh timestamp and a matching signature (compared in constant time)."""
    try:
        stamp = int(timestamp)
    except ValueError:
        return False
    if abs(now - stamp) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(sign(secret, stamp, body), signature)


def check(response: httpx.Response, sink: str) -> None:
    """Raise a DeliveryError for an unsuccessful answer: retryable for 429 and 5xx."""
    if response.is_success:
        return
    retryable = response.status_code == 429 or response.status_code >= 500
    raise DeliveryError(f"{sink} answered {response.status_code}", retryable=retryable)
