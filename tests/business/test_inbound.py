"""The inbound endpoint over real HTTP on 127.0.0.1: a signed batch of facts is stored once; a bad
or stale signature, a malformed body and an unknown event are refused with a reason."""

from __future__ import annotations

import json
import socket
import time

import httpx

from adapters.sinks.inbound import PATH, start_inbound
from adapters.sinks.settings import InboundSettings
from adapters.sinks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bot.bootstrap import App
from bot.core.business.ports import BusinessReader
from tests.conftest import COMMUNITY

SECRET = "inbound-secret-0123456789"


def _signed(body: bytes, secret: str = SECRET, stamp: int | None = None) -> dict[str, str]:
    stamp = int(time.time()) if stamp is None else stamp
    return {TIMESTAMP_HEADER: str(stamp), SIGNATURE_HEADER: sign(secret, stamp, body)}


async def test_signed_facts_are_stored_once_and_bad_requests_refused(app: App) -> None:
    with socket.socket() as probe:  # a free port for the endpoint
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = InboundSettings.model_validate({"secret": SECRET, "port": port})
    runner = await start_inbound(app.bus, settings, COMMUNITY)
    url = f"http://127.0.0.1:{port}{PATH}"
    body = json.dumps(
        {
            "facts": [
                {
                    "id": "f1",
                    "customer": "acct-1",
                    "event": "became_customer",
                    "date": "2026-11-01",
                    "revenue": 99,
                }
            ]
        }
    ).encode()
    try:
        async with httpx.AsyncClient() as client:
            ok = await client.post(url, content=body, headers=_signed(body))
            assert ok.status_code == 202 and ok.json()["result"].startswith("1 new fact(s) of 1")
            again = await client.post(url, content=body, headers=_signed(body))
            assert again.status_code == 202 and again.json()["result"].startswith("0 new fact(s) of 1")
            forged = await client.post(
                url, content=body, headers=_signed(body, secret="not-the-secret-000000")
            )
            assert forged.status_code == 401
            stale = await client.post(url, content=body, headers=_signed(body, stamp=int(time.time()) - 3600))
            assert stale.status_code == 401
            junk = b'{"facts": "nope"}'
            malformed = await client.post(url, content=junk, headers=_signed(junk))
            assert malformed.status_code == 400 and "facts" in malformed.json()["error"]
            odd = json.dumps({"facts": [{"customer": "x", "event": "bought", "date": "2026-11-01"}]}).encode()
            unknown = await client.post(url, content=odd, headers=_signed(odd))
            assert unknown.status_code == 400 and "'bought' is not one of" in unknown.json()["error"]
            undated = json.dumps({"facts": [{"customer": "x", "event": "churned"}]}).encode()
            missing = await client.post(url, content=undated, headers=_signed(undated))
            assert (
                missing.status_code == 400
                and "item 2: customer, event and date are required" in missing.json()["error"]
            )
    finally:
        await runner.cleanup()
    async with app.uow_factory() as uow:
        facts = await uow.repo(BusinessReader).facts(COMMUNITY)
    assert [(f.customer, f.kind.value, f.revenue) for f in facts] == [("acct-1", "became_customer", 99.0)]
