"""Storage of the health metrics: read-only SQL over the other features' tables, and the rollup of
finished weeks (`metrics_week`)."""

from __future__ import annotations

from bot.core.metrics.ports import MetricsReader, MetricsSnapshots
from storage.metrics.reader import SqlMetricsReader
from storage.metrics.snapshots import SqlMetricsSnapshots
from storage.uow import Bindings

BINDINGS: Bindings = {
    # reads on its own read-only connection, outside the unit of work's transaction
    MetricsReader: lambda uow: SqlMetricsReader(uow.engine),
    MetricsSnapshots: lambda uow: SqlMetricsSnapshots(uow.session),
}
