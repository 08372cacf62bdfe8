"""`fairdesk` with no subcommand opens the window: the core finds it through the `fairdesk.gui` entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_fairdesk_without_a_subcommand_opens_the_main_window(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "FAIRDESK_FIRST_RUN": "demo",
           "FAIRDESK_SMOKE_EXIT_MS": "1500"}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "fairdesk", "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, timeout=180, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "FAIRDESK_SMOKE ok title='FairDesk'" in result.stdout


def test_the_smoke_run_can_wait_until_the_window_is_usable(tmp_path: Path) -> None:
    """``FAIRDESK_SMOKE_EXIT_MS=usable`` quits when Today and Cases show their rows, not after a
    guessed delay (the frozen app's check and start-up benchmark rely on it)."""
    data = tmp_path / "data"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "FAIRDESK_FIRST_RUN": "demo",
           "FAIRDESK_LANG": "en", "FAIRDESK_SMOKE_EXIT_MS": "usable"}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "fairdesk", "--data-dir", str(data)],
        capture_output=True, text=True, timeout=180, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    line = next(x for x in result.stdout.splitlines() if x.startswith("FAIRDESK_SMOKE ok"))
    figures = dict(part.split("=", 1) for part in line.split() if "=" in part)

    listed = subprocess.run(
        [sys.executable, "-m", "fairdesk", "--data-dir", str(data), "case", "list", "--json"],
        capture_output=True, text=True, timeout=180, env=env, check=True,
    )  # fmt: skip
    cases = len(json.loads(listed.stdout))
    assert cases > 0
    assert int(figures["case_rows"]) == cases, line
    assert int(figures["today_rows"]) > 0, line  # the demo's open deadlines
