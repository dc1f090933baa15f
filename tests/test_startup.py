"""What start-up loads: the app and the demo leave out libraries only some set-ups use."""

from __future__ import annotations

import subprocess
import sys


def test_the_app_and_the_demo_load_neither_httpx_nor_pygments() -> None:
    """httpx is for the business sinks (loaded when [webhook] or [hubspot] is configured); Pygments
    only for Mako's HTML error pages, which are never rendered."""
    probe = (
        "import sys, bot.bootstrap, bot.demo.run, storage.migrate, alembic.command; "
        "print(sorted({'httpx', 'pygments'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _loaded_after(probe: str, prefixes: tuple[str, ...]) -> list[str]:
    """Which of the packages `prefixes` a fresh interpreter holds after running `probe`."""
    report = "print(*sorted({p for p in %r for n in sys.modules if n == p or n.startswith(p + '.')}))"
    code = f"import sys; {probe}; {report % (prefixes,)}"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_help_loads_no_feature_no_database_and_no_settings_library() -> None:
    """`townsquare --help` builds the parsers only: each verb loads what it needs when it runs."""
    heavy = (
        "bot.core",
        "storage",
        "adapters",
        "programming",
        "sqlalchemy",
        "alembic",
        "pydantic",
        "rapidfuzz",
    )
    assert _loaded_after("import bot.cli; bot.cli.build_parser()", heavy) == []
