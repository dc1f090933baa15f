"""One module per feature; importing this package registers every handler and registry entry."""

from bot.core.handlers import community, programming  # noqa: F401  (registers handlers)
from bot.core.handlers.table import HANDLERS

__all__ = ["HANDLERS"]
