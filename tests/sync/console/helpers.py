"""Helpers for console tests: staff users with passwords, a booth case synced by a real device,
and signing in over HTTP (httpx against a live `fairdesk-hq`, or the in-process app)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from fairdesk import cases
from fairdesk.evidence.service import import_files, list_items
from fairdesk.fairs import find_fair
from fairdesk.model import Direction, PartyRole, Trigger
from sync.server import admin
from sync.server.console import auth
from sync.server.db import migrate, open_database
from tests.sync.devices import Node, make_node
from tests.sync.hq_harness import LiveHq

PASSWORD = "correct horse battery staple"
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def add_staff(db_url: str, tenant: str, name: str, role: str, *, totp: bool = False) -> str | None:
    """A user of `tenant` with the console password PASSWORD; returns the TOTP secret if asked."""
    db = open_database(db_url)
    try:
        migrate(db.engine)
        with db.writing() as session:
            user = admin.add_user(session, tenant, name, role, None)
            return auth.set_password(session, user, PASSWORD, totp)
    finally:
        db.dispose()


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def sign_in(
    http: httpx.Client, tenant: str, name: str, password: str = PASSWORD, code: str = ""
) -> httpx.Response:
    page = http.get("/console/login")
    assert page.status_code == 200, page.text
    return http.post(
        "/console/login",
        data={
            "csrf": csrf_of(page.text),
            "tenant": tenant,
            "name": name,
            "password": password,
            "code": code,
        },
        follow_redirects=True,
    )


def photo(path: Path, colour: tuple[int, int, int] = (200, 30, 30)) -> Path:
    Image.new("RGB", (640, 480), colour).save(path, "JPEG", quality=90)
    return path


@dataclass
class BoothCase:
    node: Node
    case_id: str
    item_id: str
    photo: Path


def booth_case(
    hq: LiveHq,
    tmp: Path,
    tenant: str,
    *,
    title: str = "Hannover Messe: 专利侵权 warning letter at booth 4.1-C12",
    name: str = "booth",
    file_name: str = "booth-photo.jpg",
    party: str = "Rechtsanwalt K. Weber",
    note: str = "Copy of our gearbox on the shelf",
) -> BoothCase:
    """A case created on a real `fairdesk` data folder and synced (with its photo) to HQ."""
    node = make_node(hq, tmp, name, tenant)
    fair = find_fair(node.store, "Hannover Messe")
    case_id = cases.create_case(
        node.store,
        cases.CaseInput(
            title=title,
            direction=Direction.AGAINST_US,
            trigger=Trigger.WARNING_LETTER,
            fair_id=fair.id,
            hall="4.1",
            booth="C12",
            parties=[cases.PartyInput(role=PartyRole.COMPLAINANT, name=party)],
            deadlines=[
                cases.DeadlineInput(
                    what="Answer the warning letter",
                    due_at=datetime.now(UTC) + timedelta(hours=20),
                )
            ],
            note=note,
        ),
    )
    folder = tmp / f"{name}-photos"
    folder.mkdir()
    picture = photo(folder / file_name)
    import_files(node.store, case_id, [picture])
    (item,) = list_items(node.store, case_id)
    for _round in range(3):
        result = node.sync()
        assert result.drained, result
    return BoothCase(node, case_id, item.id, picture)


def login_status(response: httpx.Response) -> Any:
    return response.status_code, str(response.url)


def hq_device_id(db_url: str, tenant: str, name: str) -> str:
    db = open_database(db_url)
    try:
        with db.reading() as session:
            tenant_id = admin.tenant_by_name(session, tenant).id
            (device,) = [d for d in admin.list_devices(session, tenant_id) if d.name == name]
            return device.device_id
    finally:
        db.dispose()
