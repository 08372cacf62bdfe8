"""Fault tests: a live `fairdesk-hq` subprocess (SQLite) reached through a `FaultProxy`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sync.faultproxy import FaultProxy, fault_proxy
from tests.sync.hq_harness import LiveHq, live_hq


@pytest.fixture
def hq(tmp_path: Path) -> Iterator[LiveHq]:
    with live_hq(f"sqlite:///{tmp_path / 'hq.sqlite3'}", tmp_path / "hq") as server:
        yield server


@pytest.fixture
def tenant(hq: LiveHq) -> str:
    hq.add_tenant("Acme Tools")
    return "Acme Tools"


@pytest.fixture
def proxy(hq: LiveHq) -> Iterator[FaultProxy]:
    with fault_proxy(hq.base_url) as p:
        yield p
