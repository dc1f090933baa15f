"""One module per feature; importing this package registers every handler and registry entry."""

from bot.core.handlers import (
    community,  # noqa: F401  (registers handlers)
    digest,  # noqa: F401
)
from bot.core.handlers.table import HANDLERS

__all__ = ["HANDLERS"]
