"""The alert and reference feeds in process against a real HQ: paging by their own cursors, the
original alert shape, tenant scoping, re-pulls, and a rejected update cleared by a good one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from fairdesk.feedmodel import SyncFeed
from fairdesk.knowledge import alerts, library
from sync.client import reference
from sync.client.engine import make_transport
from sync.client.status import read_status
from sync.server import admin
from sync.server.db import open_database
from sync.server.models import RiskAlert
from tests.sync.devices import make_node
from tests.sync.hq_harness import LiveHq


def _publish(hq: LiveHq, fn: Callable[[Session], Any]) -> Any:
    """Publish straight into HQ's database (the CLI itself is covered end to end elsewhere)."""
    db = open_database(hq.db_url)
    try:
        with db.writing() as session:
            row = fn(session)
            return row.id if hasattr(row, "id") else None
    finally:
        db.dispose()


def _library(hq: LiveHq, version: int, payload: dict[str, Any]) -> None:
    _publish(hq, lambda s: admin.publish_reference(s, "library", str(version), payload, None))


def _seq(hq: LiveHq, alert_id: str) -> int:
    db = open_database(hq.db_url)
    try:
        with db.reading() as session:
            return session.get_one(RiskAlert, alert_id).seq
    finally:
        db.dispose()


def test_feeds_page_by_their_own_cursors_and_a_good_update_clears_a_rejected_one(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    hq.add_tenant("Other Co")
    node = make_node(hq, tmp_path, "laptop", tenant)
    store = node.store
    old = _publish(
        hq, lambda s: admin.publish_alert(s, "Customs raids", "Hall 3", "info", "IFA", None)
    )
    _publish(hq, lambda s: admin.publish_alert(s, "Not ours", "x", None, None, "Other Co"))
    ours = _publish(
        hq, lambda s: admin.publish_alert(s, "Ours", "y", None, None, tenant, level="yellow")
    )
    shipped = library.shipped_payload()
    bad, good = shipped["library_version"] + 1, shipped["library_version"] + 2
    _library(
        hq, bad, {**shipped, "library_version": bad, "edition": "bad", "entries": "not a list"}
    )
    transport = make_transport(store)
    try:
        stats = reference.FeedStats()
        reference.pull_alerts(store, transport, stats, limit=1)  # one alert per page
        rows = {a.id: a for a in alerts.list_alerts(store)}
        assert set(rows) == {old, ours}  # not the other tenant's
        first = rows[old]
        assert (first.level.value, first.fairs, first.title_zh) == (
            "blue",
            ("IFA",),
            "Customs raids",
        )
        assert reference.feed_cursor(store, "alerts") == _seq(hq, ours)
        assert reference.feed_cursor(store, "reference") == 0  # its own cursor

        reference.pull_reference(store, transport, stats)
        assert stats.library_versions == [] and len(stats.problems) == 1
        assert "reference" in read_status(store).feed_problems
        assert library.load_active(store).library_version == shipped["library_version"]

        _library(hq, good, {**shipped, "library_version": good, "edition": "2027.01"})
        alerts.acknowledge(store, old)
        with store.write() as session:  # as after a lost cursor: everything comes again
            session.execute(update(SyncFeed).values(cursor=0))
        again = reference.pull_feeds(store, transport)
        assert again.library_versions == [good]
        assert library.load_active(store).library_version == good
        assert read_status(store).feed_problems == {}  # cleared by the good update
        assert alerts.list_alerts(store)[-1].acknowledged_at is not None  # kept on re-pull
        with store.write() as session:
            session.execute(update(SyncFeed).values(cursor=0))
        # Pulled again, versions not newer than the one in use are passed over without noise.
        assert reference.pull_feeds(store, transport).problems == []
        assert read_status(store).feed_problems == {}
    finally:
        transport.close()
        node.close()
