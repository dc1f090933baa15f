"""The core knows nothing of Discord, Slack, SQLAlchemy or APScheduler."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = (
    "discord",
    "slack_bolt",
    "slack_sdk",
    "sqlalchemy",
    "apscheduler",
    "aiosqlite",
    "asyncpg",
    "storage",
    "adapters",
    "aiohttp",
    "httpx",
)
CORE = Path(__file__).resolve().parent.parent / "bot" / "core"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_imports_no_platform_or_storage_library() -> None:
    offenders = {
        str(path.relative_to(CORE)): sorted(_imports(path) & set(FORBIDDEN)) for path in CORE.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_core_never_reads_the_clock_directly() -> None:
    for path in CORE.rglob("*.py"):
        source = path.read_text()
        assert "datetime.now(" not in source and "utcnow(" not in source and "time.time()" not in source, path
