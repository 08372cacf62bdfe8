"""Risk alerts from HQ are stored, shown until acknowledged, and the acknowledgement syncs back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from fairdesk.errors import NotFoundError
from fairdesk.knowledge import alerts
from fairdesk.model import Level, OutboxEntry
from fairdesk.store import Store

FULL = {
    "id": "a-1",
    "level": "red",
    "title": {"en": "Injunctions at MWC", "zh": "MWC 禁令"},
    "text": {"en": "File protective letters.", "zh": "请提交保护函。"},
    "countries": ["es", "UK"],
    "fairs": ["MWC Barcelona"],
    "goods": ["hs85"],
    "valid_until": "2099-01-01T00:00:00Z",
    "published_at": "2026-11-20T08:00:00Z",
}
WIRE = {
    "seq": 7,
    "alert_id": "a-2",
    "severity": "warning",
    "title": "Customs patrols",
    "body": "Bring certificates.",
    "fair": "Automechanika Frankfurt",
    "published_at": "2026-11-21T08:00:00+00:00",
}


def test_both_shapes_are_stored_and_bad_ones_skipped(store: Store) -> None:
    result = alerts.store_alerts(store, [FULL, WIRE, {"id": "bad", "level": "purple"}, "junk"])  # type: ignore[list-item]
    assert (result.stored, result.updated, len(result.skipped)) == (2, 0, 2)
    assert "Alert 3 was skipped" in result.skipped[0]
    rows = {r.id: r for r in alerts.list_alerts(store)}
    assert rows["a-1"].level is Level.RED and rows["a-1"].countries == ("ES", "GB")
    assert (
        rows["a-1"].title("zh_CN") == "MWC 禁令" and rows["a-1"].title("en") == "Injunctions at MWC"
    )
    assert rows["a-2"].level is Level.YELLOW and rows["a-2"].fairs == ("Automechanika Frankfurt",)
    assert rows["a-2"].text("zh_CN") == "Bring certificates."  # one text: used for both languages
    # Red first.
    assert [r.id for r in alerts.unacknowledged(store)] == ["a-1", "a-2"]


def test_acknowledging_records_the_user_and_an_outbox_entry(store: Store) -> None:
    alerts.store_alerts(store, [FULL])
    now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    row = alerts.acknowledge(store, "a-1", now=now)
    assert row.acknowledged_at == now
    with store.read() as session:
        entries = [
            (e.entity_id, e.op, e.case_id, e.state, e.changes)
            for e in session.scalars(select(OutboxEntry).where(OutboxEntry.entity == "alert_ack"))
        ]
    assert len(entries) == 1
    entity_id, op, case_id, state, changes = entries[0]
    assert (entity_id, op, case_id, state) == ("a-1", "insert", None, "waiting")
    assert changes["alert_id"] == "a-1" and changes["device_id"] == store.device.id
    assert changes["acknowledged_at"] == now.isoformat()
    # A second acknowledgement changes nothing and sends nothing.
    alerts.acknowledge(store, "a-1")
    with store.read() as session:
        assert (
            len(list(session.scalars(select(OutboxEntry).where(OutboxEntry.entity == "alert_ack"))))
            == 1
        )
    # HQ re-sending the alert (e.g. corrected text) keeps the acknowledgement.
    alerts.store_alerts(store, [dict(FULL, text={"en": "Corrected.", "zh": "已更正。"})])
    again = alerts.list_alerts(store)[0]
    assert again.text("en") == "Corrected." and again.acknowledged_at == now
    assert alerts.unacknowledged(store) == []
    with pytest.raises(NotFoundError):
        alerts.acknowledge(store, "nope")


def test_expired_alerts_are_hidden_unless_asked_for(store: Store) -> None:
    past = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    alerts.store_alerts(store, [dict(FULL, id="old", valid_until=past)])
    assert alerts.list_alerts(store) == []
    assert [r.id for r in alerts.list_alerts(store, include_inactive=True)] == ["old"]
