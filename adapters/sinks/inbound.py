"""The inbound endpoint: the business posts conversion facts, signed like the outgoing webhook.

POST /townsquare/facts with headers X-Townsquare-Timestamp and X-Townsquare-Signature
("v1=" + HMAC-SHA256 of "<timestamp>.<body>") and a JSON body {"facts": [{...}, ...]}, each item
with the columns of `townsquare customers import` (customer, event, date, and optionally id,
revenue, member, email_sha256, referral_code). Answers 202 with what was stored, 400 naming the
first bad item, 401 for a bad or stale signature. Served by aiohttp on its own port.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from adapters.sinks.facts_file import FactFileError, parse_facts
from adapters.sinks.settings import InboundSettings
from adapters.sinks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from bot.core.bus import MessageBus
from bot.core.business.commands import ImportCustomerFacts
from bot.core.replies import Reply

PATH = "/townsquare/facts"
MAX_BODY = 5 * 1024 * 1024


def inbound_app(bus: MessageBus, settings: InboundSettings, community_id: str) -> web.Application:
    """The aiohttp application of the endpoint (tests drive it directly)."""

    async def facts(request: web.Request) -> web.Response:
        body = await request.read()
        stamp = request.headers.get(TIMESTAMP_HEADER, "")
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not verify(settings.secret.get_secret_value(), stamp, body, signature, time.time()):
            return web.json_response({"error": "bad or stale signature"}, status=401)
        try:
            items: Any = json.loads(body)["facts"]
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise TypeError
            parsed = parse_facts(Path("facts"), [{k: _text(v) for k, v in i.items()} for i in items])
        except FactFileError as exc:
            return web.json_response({"error": str(exc).replace("facts:", "item ")}, status=400)
        except (ValueError, KeyError, TypeError):
            return web.json_response({"error": 'the body must be JSON: {"facts": [{...}, ...]}'}, status=400)
        result = await bus.handle(ImportCustomerFacts(community_id=community_id, facts=tuple(parsed)))
        text = result.text if isinstance(result, Reply) else ""
        if "not one of" in text or "must be" in text:
            return web.json_response({"error": text}, status=400)
        return web.json_response({"result": text}, status=202)

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post(PATH, facts)
    return app


def _text(value: object) -> str | None:
    return None if value is None else str(value)


async def start_inbound(bus: MessageBus, settings: InboundSettings, community_id: str) -> web.AppRunner:
    """Serve the endpoint on [inbound] host and port; the caller cleans the runner up."""
    runner = web.AppRunner(inbound_app(bus, settings, community_id), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.port).start()
    return runner
