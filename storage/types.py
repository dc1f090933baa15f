"""Column types shared by the tables and the migrations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

_IMPLS: dict[type[Dialect], TypeEngine[Any]] = {}
_PROBES = (
    datetime(2026, 3, 1, 9, 5, 7, 123),
    datetime(2026, 12, 31, 23, 59, 59),
    datetime(999, 1, 2, 3, 4, 5, 6),
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out. PostgreSQL stores timestamptz; SQLite stores naive UTC text."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        # Made once per kind of dialect: SQLAlchemy asks again for every value of an expanding IN
        # (`_unwrapped_dialect_impl`), and a fresh type each time is also a fresh entry to memoize.
        impl = _IMPLS.get(type(dialect))
        if impl is None:
            impl = _IMPLS[type(dialect)] = dialect.type_descriptor(
                DateTime(timezone=dialect.name == "postgresql")
            )
        return impl

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """On SQLite, `process_bind_param` and the dialect's text formatting as one function per value
        (`isoformat` writes the very text SQLite's DATETIME does: checked here, else its own way)."""
        if dialect.name == "postgresql":
            return super().bind_processor(dialect)
        to_text = self.impl_instance.bind_processor(dialect)
        if to_text is None or any(
            to_text(probe) != probe.isoformat(" ", "microseconds") for probe in _PROBES
        ):
            return super().bind_processor(dialect)

        to_utc = self.process_bind_param

        def process(value: Any) -> str | None:
            moment = to_utc(value, dialect)
            return None if moment is None else moment.isoformat(" ", "microseconds")

        return process

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use the Clock (aware UTC)")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], datetime | None]:
        """`process_result_value` after the dialect's own conversion (SQLite's text to datetime), as
        one function per value rather than SQLAlchemy's two nested calls."""
        parse = self.impl_instance.result_processor(dialect, coltype)
        to_utc = self.process_result_value

        def process(value: Any) -> datetime | None:
            return to_utc(value if parse is None or value is None else parse(value), dialect)

        return process
