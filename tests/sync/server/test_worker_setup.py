"""What each `fairdesk-hq serve` worker sets up for itself in the app factory uvicorn calls."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from sync.server.app import GIL_SWITCH_SECONDS, create_app_from_env


def test_a_worker_hands_the_gil_to_its_event_loop_within_a_millisecond(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A push applied on a worker thread must not hold up the loop that reads photo bytes for
    Python's default 5 ms at a time (docs/sync.md, third profile)."""
    monkeypatch.setenv("FAIRDESK_HQ_DATA_DIR", str(tmp_path / "hq"))
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)  # Python's default, whatever ran before in this process
    try:
        app = create_app_from_env()
        try:
            assert sys.getswitchinterval() == pytest.approx(GIL_SWITCH_SECONDS)
            assert GIL_SWITCH_SECONDS <= 0.001
        finally:
            app.state.db.dispose()
    finally:
        sys.setswitchinterval(before)
