"""`fairdesk` with no subcommand opens the window: the core finds it through the `fairdesk.gui` entry point."""

from __future__ import annotations

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
