"""A local stand-in for HubSpot's contacts API and for a webhook receiver, on 127.0.0.1.

It keeps contacts keyed by the idProperty value, answers like HubSpot's batch upsert (200 with the
results), checks the bearer token, and records every webhook with its headers and raw body.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class FakeSinks:
    token: str
    contacts: dict[str, dict[str, str]] = field(default_factory=dict)
    webhooks: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    fail_next: int = 0  # answer this many requests with 503
    url: str = ""

    async def upsert(self, request: web.Request) -> web.Response:
        if self.fail_next > 0:
            self.fail_next -= 1
            return web.json_response({"status": "error", "message": "unavailable"}, status=503)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"status": "error", "category": "INVALID_AUTHENTICATION"}, status=401)
        payload = await request.json()
        results = []
        for item in payload["inputs"]:
            contact = self.contacts.setdefault(item["id"], {item["idProperty"]: item["id"]})
            contact.update(item["properties"])
            results.append({"id": str(len(self.contacts)), "properties": contact})
        return web.json_response({"status": "COMPLETE", "results": results})

    async def webhook(self, request: web.Request) -> web.Response:
        if self.fail_next > 0:
            self.fail_next -= 1
            return web.Response(status=503)
        self.webhooks.append((dict(request.headers), await request.read()))
        return web.Response(status=204)

    def webhook_events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.webhooks]


@asynccontextmanager
async def running_sinks(token: str = "pat-test-token-123") -> AsyncIterator[FakeSinks]:
    sinks = FakeSinks(token)
    app = web.Application()
    app.router.add_post("/crm/v3/objects/contacts/batch/upsert", sinks.upsert)
    app.router.add_post("/hook", sinks.webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    sinks.url = f"http://127.0.0.1:{port}"
    try:
        yield sinks
    finally:
        await runner.cleanup()
