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


# --- one feature, one place: features talk through events -------------------------------------------

CONTRACT_MODULES = frozenset({"events", "commands", "ports", "settings", "rules"})


def _is_contract(module: str) -> bool:
    """A module another feature may import: see `test_features_import_each_other_only_through_contracts`."""
    return module in CONTRACT_MODULES or module.endswith("_rules")


def _features(core: Path) -> set[str]:
    return {p.parent.name for p in core.glob("*/__init__.py")}


def _imported_modules(path: Path) -> set[str]:
    """Every dotted module a file imports, including `from pkg import module` (module or name)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def cross_feature_offences(core: Path, package: str = "bot.core") -> dict[str, list[str]]:
    """For each feature module, the other features' modules it imports that are not contracts."""
    features = _features(core)
    offences: dict[str, list[str]] = {}
    for feature in sorted(features):
        for path in sorted((core / feature).rglob("*.py")):
            bad = set()
            for name in _imported_modules(path):
                parts = name.split(".")
                prefix = package.split(".")
                if parts[: len(prefix)] != prefix or len(parts) <= len(prefix) + 1:
                    continue
                other, rest = parts[len(prefix)], parts[len(prefix) + 1 :]
                if other == feature or other not in features:
                    continue
                module = rest[0]
                # `from bot.core.badges import feature` names the package, not a module: it is not allowed
                # either (a feature's `feature` object and `register` belong to the composition root).
                if not _is_contract(module):
                    bad.add(".".join(parts[: len(prefix) + 2]))
            if bad:
                offences[str(path.relative_to(core))] = sorted(bad)
    return offences


def test_features_import_each_other_only_through_contracts() -> None:
    """A feature reacts to another through events on the bus, never by calling its handlers.

    A module of bot/core/<a>/ may import from another feature bot/core/<b>/ only its contract modules:
    `events` (to emit or subscribe), `commands` (to build a command for the bus), `ports` (to read
    through its repositories in the same unit of work), `settings` (its configuration types), and its
    pure rules: `rules` and any `*_rules` module (functions and dataclasses, no Context, no I/O).
    Handler modules (`handlers`, and feature-specific ones such as `ideas`, `milestones`, `common`),
    the package's `feature` object and its `register` are private to the feature. The spine
    (bot/core/*.py) is not a feature and is checked by the tests above.
    """
    assert cross_feature_offences(CORE) == {}


def test_the_contract_check_catches_a_handler_import(tmp_path: Path) -> None:
    """The check itself: a handler helper imported across features is reported, contracts are not."""
    for feature in ("alpha", "beta"):
        (tmp_path / feature).mkdir()
        (tmp_path / feature / "__init__.py").write_text("")
    (tmp_path / "alpha" / "ok.py").write_text(
        "from bot.core.beta.events import Thing\nfrom bot.core.beta.idea_rules import rule\n"
        "from bot.core.beta import ports\nfrom bot.core.alpha.handlers import mine\n"
    )
    (tmp_path / "alpha" / "bad.py").write_text(
        "from bot.core.beta.handlers import award\nimport bot.core.beta.common\n"
        "from bot.core.beta import feature\n"
    )
    assert cross_feature_offences(tmp_path) == {
        "alpha/bad.py": ["bot.core.beta.common", "bot.core.beta.feature", "bot.core.beta.handlers"]
    }
