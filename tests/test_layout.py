"""The layout holds: a small feature-free spine, one package per feature, small modules.

The spine (bot/core/*.py) is what every feature builds on, so it must not depend on any feature —
except bot/core/settings.py, which composes each feature's settings section into a community's
settings (the one place a new settings section is listed). Modules stay small enough to read in
one sitting: none over 400 lines, and the median product module at most 120.
"""

from __future__ import annotations

import ast
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "bot" / "core"
PRODUCT = ("bot", "adapters", "storage", "programming")
SPINE_COMPOSES_FEATURES = {"settings.py"}


def _modules_imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def features() -> set[str]:
    return {p.name for p in CORE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}


def test_every_feature_is_a_package_with_a_register_function() -> None:
    assert features() >= {"gates", "cohorts", "contributions", "badges", "programming", "metrics"}
    for name in features():
        tree = ast.parse((CORE / name / "__init__.py").read_text())
        functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert "register" in functions, f"bot/core/{name}/__init__.py has no register(app)"


def test_the_spine_imports_no_feature() -> None:
    prefixes = tuple(f"bot.core.{name}" for name in features())
    offenders = {
        path.name: sorted(m for m in _modules_imported(path) if m.startswith(prefixes))
        for path in CORE.glob("*.py")
        if path.name not in SPINE_COMPOSES_FEATURES
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_the_core_does_not_import_the_scheduler_or_the_composition_root() -> None:
    for path in CORE.rglob("*.py"):
        imported = _modules_imported(path)
        assert not any(m == "programming" or m.startswith("programming.") for m in imported), path
        assert not {"bot.features", "bot.bootstrap"} & imported, path


def _product_modules() -> list[tuple[Path, int]]:
    """Every product module with content (one-line package markers are not modules to read)."""
    sizes = []
    for package in PRODUCT:
        for path in (ROOT / package).rglob("*.py"):
            lines = len(path.read_text().splitlines())
            if lines > 3:
                sizes.append((path, lines))
    return sizes


def test_modules_stay_small() -> None:
    sizes = _product_modules()
    assert len(sizes) > 100
    too_long = {str(p.relative_to(ROOT)): n for p, n in sizes if n > 400}
    assert too_long == {}, "split these modules"
    assert statistics.median(n for _, n in sizes) <= 120
