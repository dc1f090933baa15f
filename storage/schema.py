"""The complete schema: the base tables and every feature's `storage/<feature>/tables.py`.

Alembic (migrations/env.py) compares the database with this metadata, so a table module that is
not imported here is invisible to autogenerate and its table would be proposed for dropping. The
feature modules are found on disk rather than listed, so a new feature's tables are included
without another list to keep in step.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

from sqlalchemy import MetaData

import storage
from storage.tables import Base


def table_modules() -> list[str]:
    """The dotted names of every feature's tables module under storage/, sorted."""
    names = []
    for info in pkgutil.iter_modules(storage.__path__):
        if info.ispkg and importlib.util.find_spec(f"storage.{info.name}.tables") is not None:
            names.append(f"storage.{info.name}.tables")
    return sorted(names)


def metadata() -> MetaData:
    """`Base.metadata` with every table of every feature loaded into it."""
    for name in table_modules():
        importlib.import_module(name)
    return Base.metadata
