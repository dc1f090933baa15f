"""Mount the example under the names it would have in the tree: bot.core.kudos and storage.kudos.

Only for a process of its own (check_kudos.py runs in one): once mounted, the kudos table is part
of the models' metadata, which the rest of the suite's databases (at head, without it) must not see.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _mount(name: str, folder: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        name, folder / "__init__.py", submodule_search_locations=[str(folder)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    setattr(sys.modules[parent], child, module)
    spec.loader.exec_module(module)


def mount() -> None:
    """Import the example's two packages as bot.core.kudos and storage.kudos (once)."""
    import bot.core
    import storage

    if "bot.core.kudos" not in sys.modules:
        assert bot.core and storage
        _mount("bot.core.kudos", HERE / "core")
        _mount("storage.kudos", HERE / "storage")
