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
