"""The console's security, tried with an HTTP client against a real `fairdesk-hq` process.

Scenario: company A's booth laptop (a real `fairdesk` data folder) synced a case with a photo;
company B and the guidance centre have their own staff. Checked: another tenant's case, blob and
document by id → 404; the guidance centre sees a case only once it is escalated; pages and forms
without a session, with an expired session or a wrong CSRF token are refused; hostile text in
titles, notes, party names and file names comes back as text; download names never carry a
path; repeated wrong passwords lock the account with a growing delay.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from fairdesk.knowledge.alerts import acknowledge, list_alerts
from sync.server import admin
from sync.server.console.models import ConsoleSession
from sync.server.db import open_database
from sync.server.models import RiskAlert, Tenant, utcnow
from tests.sync.console.helpers import (
    XSS,
    BoothCase,
    add_staff,
    booth_case,
    csrf_of,
    sign_in,
)
from tests.sync.hq_harness import LiveHq, live_hq

INSECURE = {"FAIRDESK_HQ_CONSOLE_INSECURE_COOKIES": "1"}


@dataclass
class World:
    hq: LiveHq
    case: BoothCase
    hostile: BoothCase


@pytest.fixture
def world(hq_db_url: str, tmp_path: Path) -> Iterator[World]:
    with live_hq(hq_db_url, tmp_path / "hq", env=INSECURE) as hq:
        hq.add_tenant("Acme Tools")
        hq.add_tenant("Rival GmbH")
        hq.add_tenant("维权援助中心", kind="guidance")
        add_staff(hq.db_url, "Acme Tools", "lawyer", "legal")
        add_staff(hq.db_url, "Acme Tools", "boss", "admin")
        add_staff(hq.db_url, "Rival GmbH", "other", "admin")
        add_staff(hq.db_url, "维权援助中心", "advisor", "guidance")
        case = booth_case(hq, tmp_path, "Acme Tools")
        hostile = booth_case(
            hq,
            tmp_path,
            "Acme Tools",
            title=f"Title {XSS}",
            name="booth2",
            file_name="..%2f..%2fetc passwd <b>.jpg",
            party=f"Party {XSS}",
            note=f"Note {XSS}",
        )
        yield World(hq, case, hostile)
        for node in (case.node, hostile.node):
            node.close()


def _client(hq: LiveHq) -> httpx.Client:
    return hq.client()


def test_a_case_and_its_files_are_seen_only_by_their_tenant(world: World) -> None:
    case = world.case
    paths = [
        f"/console/cases/{case.case_id}",
        f"/console/cases/{case.case_id}/evidence/{case.item_id}",
        f"/console/cases/{case.case_id}/evidence/{case.item_id}/original",
        f"/console/cases/{case.case_id}/evidence/{case.item_id}/thumb",
    ]
    with _client(world.hq) as own:
        assert sign_in(own, "Acme Tools", "lawyer").url.path == "/console/cases"
        listing = own.get("/console/cases")
        assert case.case_id in listing.text
        for path in paths:
            assert own.get(path).status_code == 200, path
        original = own.get(paths[2])
        expected = hashlib.sha256(case.photo.read_bytes()).hexdigest()
        assert hashlib.sha256(original.content).hexdigest() == expected
        assert original.headers["x-content-sha256"] == expected
    with _client(world.hq) as other:
        sign_in(other, "Rival GmbH", "other")
        assert case.case_id not in other.get("/console/cases").text
        for path in paths:
            response = other.get(path)
            assert response.status_code == 404, path
            assert expected not in response.text
        # An existing id of another tenant and an unknown one answer the same.
        unknown = other.get("/console/cases/00000000-0000-0000-0000-000000000000")
        assert unknown.status_code == 404


def test_a_guidance_centre_sees_a_case_only_once_it_is_escalated(world: World) -> None:
    case = world.case
    with _client(world.hq) as centre:
        sign_in(centre, "维权援助中心", "advisor")
        assert centre.get(f"/console/cases/{case.case_id}").status_code == 404
        thumb = f"/console/cases/{case.case_id}/evidence/{case.item_id}/thumb"
        assert centre.get(thumb).status_code == 404
        assert case.case_id not in centre.get("/console/cases").text
        with _client(world.hq) as lawyer:
            sign_in(lawyer, "Acme Tools", "lawyer")
            page = lawyer.get(f"/console/cases/{case.case_id}")
            done = lawyer.post(
                f"/console/cases/{case.case_id}/escalate",
                data={"csrf": csrf_of(page.text), "centre": "维权援助中心"},
                follow_redirects=True,
            )
            assert done.status_code == 200
            assert "维权援助中心" in done.text
        assert centre.get(f"/console/cases/{case.case_id}").status_code == 200
        assert centre.get(thumb).status_code == 200
        # Still nothing of the company's other case.
        assert centre.get(f"/console/cases/{world.hostile.case_id}").status_code == 404
        # Admin pages are not the centre's to see either.
        assert centre.get("/console/devices").status_code == 404
        assert centre.get("/console/audit").status_code == 404


def test_no_session_expired_session_and_wrong_csrf_are_refused(world: World) -> None:
    hq = world.hq
    with _client(hq) as anonymous:
        page = anonymous.get("/console/cases")
        assert page.status_code == 303 and page.headers["location"] == "/console/login"
        original = f"/console/cases/{world.case.case_id}/evidence/{world.case.item_id}/original"
        assert anonymous.get(original).status_code == 303
        assert anonymous.post("/console/alerts", data={"title": "x"}).status_code == 401
    with _client(hq) as admin_http:
        sign_in(admin_http, "Acme Tools", "boss")
        devices = admin_http.get("/console/devices")
        token = csrf_of(devices.text)
        for bad in ("", "x" * 43, token[:-1] + ("A" if token[-1] != "A" else "B")):
            refused = admin_http.post("/console/alerts", data={"csrf": bad, "title": "t"})
            assert refused.status_code == 403
        cross_site = admin_http.post(
            "/console/alerts",
            data={"csrf": token, "title": "t"},
            headers={"Origin": "https://evil.example"},
        )
        assert cross_site.status_code == 403
        alerts_page = admin_http.get("/console/alerts")
        assert '<article class="alert' not in alerts_page.text  # nothing was published
        # The session expires: HQ's clock moves past its idle limit.
        db = open_database(hq.db_url)
        try:
            with db.writing() as session:
                session.execute(
                    update(ConsoleSession).values(last_seen_at=utcnow() - timedelta(hours=1))
                )
        finally:
            db.dispose()
        assert admin_http.get("/console/devices").status_code == 303
        assert (
            admin_http.post("/console/alerts", data={"csrf": token, "title": "t"}).status_code
            == 401
        )


def test_hostile_text_is_shown_as_text_and_download_names_carry_no_path(world: World) -> None:
    hostile = world.hostile
    with _client(world.hq) as http:
        sign_in(http, "Acme Tools", "lawyer")
        for page in (
            http.get("/console/cases"),
            http.get(f"/console/cases/{hostile.case_id}"),
            http.get(f"/console/cases/{hostile.case_id}/evidence/{hostile.item_id}"),
        ):
            assert page.status_code == 200
            assert "<script>" not in page.text
            assert "onerror=alert" not in page.text.replace("onerror=alert(1)&gt;", "")
            assert "&lt;script&gt;" in page.text
            assert "script-src" not in page.headers["content-security-policy"]
            assert "default-src 'none'" in page.headers["content-security-policy"]
        case_page = http.get(f"/console/cases/{hostile.case_id}").text
        assert "Party &lt;script&gt;" in case_page and "Note &lt;script&gt;" in case_page
        download = http.get(f"/console/cases/{hostile.case_id}/evidence/{hostile.item_id}/original")
        assert download.status_code == 200
        disposition = download.headers["content-disposition"]
        assert disposition.startswith("attachment;")
        name = re.search(r'filename="([^"]*)"', disposition)
        assert name and "/" not in name.group(1) and "\\" not in name.group(1)
        assert "<" not in name.group(1)
        assert download.headers["content-type"] == "application/octet-stream"
        # Traversal in the URL itself never reaches a file.
        for path in (
            "/console/static/..%2f..%2fsync%2fserver%2fconfig.py",
            "/console/static/../templates/base.html",
            f"/console/cases/{hostile.case_id}/evidence/..%2f..%2f/original",
        ):
            assert http.get(path).status_code == 404, path


def test_repeated_wrong_passwords_lock_the_account_with_a_growing_delay(world: World) -> None:
    with _client(world.hq) as http:
        answers = [sign_in(http, "Acme Tools", "lawyer", "wrong password!") for _ in range(4)]
        assert [a.status_code for a in answers[:3]] == [401, 401, 401]
        locked = answers[3]
        assert locked.status_code == 429
        first_wait = int(locked.headers["retry-after"])
        # Even the right password is refused while locked, and says why.
        right = sign_in(http, "Acme Tools", "lawyer")
        assert right.status_code == 429
        assert "Too many failed attempts" in right.text
        assert "/console/login" in str(right.url)
    # Another account is not affected.
    with _client(world.hq) as other:
        assert sign_in(other, "Acme Tools", "boss").url.path == "/console/cases"
    db = open_database(world.hq.db_url)
    try:
        from sqlalchemy import select

        from sync.server.console.models import ConsoleLogin
        from sync.server.models import User

        with db.writing() as session:
            login = session.execute(
                select(ConsoleLogin)
                .join(User, User.id == ConsoleLogin.user_id)
                .where(User.name == "lawyer")
            ).scalar_one()
            assert login.failed_count == 3  # refused attempts while locked do not count
            assert login.locked_until is not None
            # Let the lock run out (HQ's clock), then fail once more: the delay grows.
            login.locked_until = utcnow() - timedelta(seconds=1)
    finally:
        db.dispose()
    with _client(world.hq) as http:
        again = sign_in(http, "Acme Tools", "lawyer", "still wrong!!")
        assert again.status_code == 401
        locked = sign_in(http, "Acme Tools", "lawyer")
        assert locked.status_code == 429
        assert int(locked.headers["retry-after"]) > first_wait


def _alert_rows(hq: LiveHq) -> list[tuple[str, str | None, str | None]]:
    db = open_database(hq.db_url)
    try:
        with db.reading() as session:
            names = {t.id: t.name for t in session.query(Tenant)}
            return [
                (a.title, names.get(a.tenant_id or ""), names.get(a.publisher_tenant_id or ""))
                for a in session.query(RiskAlert).order_by(RiskAlert.seq)
            ]
    finally:
        db.dispose()


def _tenant_id(hq: LiveHq, name: str) -> str:
    db = open_database(hq.db_url)
    try:
        with db.reading() as session:
            return admin.tenant_by_name(session, name).id
    finally:
        db.dispose()


def _publish(http: httpx.Client, title: str, **extra: str) -> httpx.Response:
    page = http.get("/console/alerts")
    assert page.status_code == 200, page.text[:300]
    form = {"csrf": csrf_of(page.text), "title": title, "body": "Call us first.", "level": "red"}
    return http.post("/console/alerts", data={**form, **extra}, follow_redirects=True)


def test_a_guidance_centre_alerts_only_the_companies_that_escalated_to_it(world: World) -> None:
    """Issue 15: a centre publishes to the companies that escalated a case to it, sees who
    acknowledged, and cannot reach a company that never escalated to it (same 404 as unknown)."""
    rival = _tenant_id(world.hq, "Rival GmbH")
    with _client(world.hq) as centre:
        sign_in(centre, "维权援助中心", "advisor")
        refused = _publish(centre, "Nobody to tell yet")
        assert refused.status_code == 400
        assert "No company has escalated a case to this centre yet." in refused.text
        assert _alert_rows(world.hq) == []

        with _client(world.hq) as lawyer:
            sign_in(lawyer, "Acme Tools", "lawyer")
            page = lawyer.get(f"/console/cases/{world.case.case_id}")
            lawyer.post(
                f"/console/cases/{world.case.case_id}/escalate",
                data={"csrf": csrf_of(page.text), "centre": "维权援助中心"},
            )
        page = centre.get("/console/alerts")
        assert "Acme Tools" in page.text and "Rival GmbH" not in page.text
        # Naming a company that never escalated here: refused, nothing stored.
        assert _publish(centre, "Sneaky", company=rival).status_code == 404
        assert _publish(centre, "Sneaky", company="not-a-tenant").status_code == 404
        assert _alert_rows(world.hq) == []

        done = _publish(centre, "Customs raids at Hannover")
        assert done.status_code == 200
        assert _alert_rows(world.hq) == [
            ("Customs raids at Hannover", "Acme Tools", "维权援助中心")
        ]
        # The company's booth laptop gets it and acknowledges; the centre sees the acknowledgement.
        node = world.case.node
        assert node.sync().drained
        [alert] = [a for a in list_alerts(node.store) if a.title_en == "Customs raids at Hannover"]
        acknowledge(node.store, alert.id)
        assert node.sync().drained
        card = centre.get("/console/alerts").text
        assert f'id="alert-{alert.id}"' in card and "booth" in card
        assert "Acme Tools" in card

    # The other company's staff never see the centre's alert; Acme's lawyer does.
    with _client(world.hq) as other:
        sign_in(other, "Rival GmbH", "other")
        assert "Customs raids at Hannover" not in other.get("/console/alerts").text
    with _client(world.hq) as lawyer:
        sign_in(lawyer, "Acme Tools", "lawyer")
        assert "Customs raids at Hannover" in lawyer.get("/console/alerts").text
