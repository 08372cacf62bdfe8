"""A live `fairdesk-hq` (SQLite) with one company tenant, shared by the device-sync tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sync.hq_harness import LiveHq, live_hq


@pytest.fixture
def hq(tmp_path: Path) -> Iterator[LiveHq]:
    with live_hq(f"sqlite:///{tmp_path / 'hq.sqlite3'}", tmp_path / "hq") as server:
        yield server


@pytest.fixture
def tenant(hq: LiveHq) -> str:
    hq.add_tenant("Acme Tools")
    return "Acme Tools"
