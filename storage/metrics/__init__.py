"""Storage of the health metrics: read-only SQL over the other features' tables."""

from __future__ import annotations

from bot.core.metrics.ports import MetricsReader
from storage.metrics.reader import SqlMetricsReader
from storage.uow import Bindings

# reads on its own read-only connection, outside the unit of work's transaction
BINDINGS: Bindings = {MetricsReader: lambda uow: SqlMetricsReader(uow.engine)}
