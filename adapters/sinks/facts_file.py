"""The business's facts as rows (a CSV file, or the items posted to the inbound endpoint) → InboundFacts.

Columns: id, customer, event, date, revenue, member, email_sha256, referral_code (customer, event and
date are required). A row without an id gets one from its content, so importing a file twice stores
each fact once.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from bot.core.business.commands import InboundFact

COLUMNS = ("id", "customer", "event", "date", "revenue", "member", "email_sha256", "referral_code")
MAX_ROWS = 1_000_000


class FactFileError(Exception):
    """A problem with the facts file; the message names the row and the column."""


def _when(text: str, where: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise FactFileError(f"{where}: date {text!r} is not an ISO date such as 2026-11-30") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_facts(path: Path, rows: Iterable[dict[str, str | None]]) -> list[InboundFact]:
    """Rows of a facts CSV as InboundFacts; FactFileError names the first bad row and column."""
    facts = []
    for number, row in enumerate(rows, start=2):
        where = f"{path}:{number}"
        if number > MAX_ROWS:
            raise FactFileError(f"{path}: more than {MAX_ROWS:,} rows; split the file")
        value = {k: (row.get(k) or "").strip() for k in COLUMNS}
        if not value["customer"] or not value["event"] or not value["date"]:
            raise FactFileError(f"{where}: customer, event and date are required")
        revenue = None
        if value["revenue"]:
            try:
                revenue = float(value["revenue"])
            except ValueError:
                raise FactFileError(f"{where}: revenue {value['revenue']!r} is not a number") from None
        external = (
            value["id"] or hashlib.sha256("|".join(value[k] for k in COLUMNS[1:]).encode()).hexdigest()[:32]
        )
        facts.append(
            InboundFact(
                external_id=external[:128],
                customer=value["customer"][:128],
                kind=value["event"],
                occurred_at=_when(value["date"], where),
                revenue=revenue,
                member=value["member"] or None,
                email_sha256=value["email_sha256"].lower() or None,
                referral_code=value["referral_code"] or None,
            )
        )
    return facts


def read_facts(path: Path) -> list[InboundFact]:
    """Read and check a facts CSV (header row with at least customer, event, date)."""
    try:
        with path.open(newline="", encoding="utf-8") as file:
            reader = csv.DictReader(file)
            missing = {"customer", "event", "date"} - set(reader.fieldnames or ())
            if missing:
                raise FactFileError(
                    f"{path}: the header lacks {', '.join(sorted(missing))} (columns: {', '.join(COLUMNS)})"
                )
            return parse_facts(path, reader)
    except OSError as exc:
        raise FactFileError(f"{path}: cannot read it: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise FactFileError(f"{path}: not UTF-8 text") from None
