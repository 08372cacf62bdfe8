"""Risk alerts at HQ: the full wire shape, and acknowledgements pushed back (both databases)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from sync.server import admin
from sync.server.models import AlertAck, ChangeLog
from tests.sync.server.helpers import count, database, device, tenant


def _publish(app: FastAPI, tenant_name: str | None = None, **kw: object) -> str:
    severity = kw.pop("severity", None)
    with database(app).writing() as session:
        return admin.publish_alert(
            session,
            "Injunction wave at MWC",
            "File protective letters now.",
            severity,  # type: ignore[arg-type]
            None,
            tenant_name,
            **kw,  # type: ignore[arg-type]
        ).id


def test_alert_wire_shape_carries_both_languages_scope_and_validity(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    tenant(hq_app, "Acme")
    alice = device(hq_http, hq_app, "Acme")
    full = _publish(
        hq_app,
        level="red",
        title_zh="MWC 禁令潮",
        body_zh="请立即提交保护函。",
        countries=["es", "DE,FR"],
        fairs=["MWC Barcelona"],
        goods=["hs85"],
        valid_from="2027-02-20",
        valid_until="2027-03-05T18:00:00+01:00",
    )
    with database(hq_app).writing() as session:  # the original options still work
        old = admin.publish_alert(session, "Customs raids", "Hall 3", "info", "IFA", None).id
    items = alice.request("GET", "/v1/alerts").json()["items"]
    assert [i["alert_id"] for i in items] == [full, old]
    first, second = items
    assert (first["level"], first["severity"]) == ("red", "critical")
    assert (first["title_zh"], first["body_zh"]) == ("MWC 禁令潮", "请立即提交保护函。")
    assert first["countries"] == ["ES", "DE", "FR"]
    assert (first["fairs"], first["fair"], first["goods"]) == (
        ["MWC Barcelona"],
        "MWC Barcelona",
        ["hs85"],
    )
    assert first["valid_from"] == "2027-02-20T00:00:00+00:00"
    assert first["valid_until"] == "2027-03-05T17:00:00+00:00"
    assert (second["level"], second["fairs"], second["title_zh"]) == ("blue", ["IFA"], "")


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        ({"level": "red", "severity": "info"}, "disagree"),
        ({"level": "purple"}, "red, yellow or blue"),
        ({"valid_from": "2027-03-01", "valid_until": "2027-02-01"}, "expire before"),
        ({"valid_until": "next tuesday"}, "ISO 8601"),
    ],
)
def test_publish_refuses_contradictory_or_unreadable_options(
    hq_app: FastAPI, kw: dict[str, str], words: str
) -> None:
    with pytest.raises(admin.AdminError, match=words):
        _publish(hq_app, **kw)


def test_acknowledgements_are_tenant_scoped_idempotent_and_listed(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    tenant(hq_app, "Acme")
    tenant(hq_app, "Other")
    alice, bob = device(hq_http, hq_app, "Acme"), device(hq_http, hq_app, "Acme")
    eve = device(hq_http, hq_app, "Other")
    everyone = _publish(hq_app)
    acme_only = _publish(hq_app, "Acme")

    def ack(client: object, alert_id: str, **changes: object) -> dict[str, object]:
        m = client.mutation(  # type: ignore[attr-defined]
            "alert_ack",
            alert_id,
            changes={
                "alert_id": alert_id,
                "acknowledged_at": "2027-02-21T09:30:00+01:00",
                "user": "Li Wei",
                **changes,
            },
        )
        result: dict[str, object] = client.push([m])[0]  # type: ignore[attr-defined]
        return result

    assert ack(alice, everyone)["status"] == "applied"
    assert ack(alice, everyone)["status"] == "applied"  # acknowledged again: still one
    assert ack(bob, acme_only)["status"] == "applied"
    assert ack(eve, everyone)["status"] == "applied"
    other = ack(eve, acme_only)
    unknown = ack(eve, "0190a1b2-0000-7000-8000-000000000000")
    assert other["status"] == unknown["status"] == "rejected"
    assert str(other["reason"]).replace(acme_only, "X") == str(unknown["reason"]).replace(
        "0190a1b2-0000-7000-8000-000000000000", "X"
    )  # another tenant's alert is not disclosed
    with_case = ack(bob, everyone, case_id="0190a1b2-0000-7000-8000-000000000001")
    assert with_case["status"] == "rejected" and "no case" in str(with_case["reason"])
    update = bob.push([bob.mutation("alert_ack", everyone, op="update", base_version=1)])[0]
    assert update["status"] == "rejected"
    assert count(hq_app, AlertAck) == 3
    assert count(hq_app, ChangeLog) == 0  # never published to other devices

    with database(hq_app).reading() as session:
        acme = admin.alert_acks(session, "Acme")
        assert {(a.alert_id, a.device_id) for a in acme} == {
            (everyone, alice.device_id),
            (acme_only, bob.device_id),
        }
        assert {a.user for a in acme} == {"Li Wei"}
        assert acme[0].acknowledged_at == "2027-02-21T08:30:00+00:00"
        assert [a.device_id for a in admin.alert_acks(session, "Other")] == [eve.device_id]
        assert len(admin.alert_acks(session, None, everyone)) == 2
