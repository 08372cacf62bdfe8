"""Issue 21, finding 6a: upload reservations expire, are released on revocation, and an operator
can list and expire them (`fairdesk-hq uploads list|expire`), on a real server, both databases.

Time passing is simulated by moving a reservation's `expires_at` into the past in the database
(what 25 hours of silence would leave), never by sleeping.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from sync.protocol import digest_of
from sync.server.db import open_database
from sync.server.models import Upload, utcnow
from tests.sync.hq_harness import LiveHq
from tests.sync.server.test_upload_races import together


@pytest.fixture(params=["folder", "s3"])
def blob_store(request: pytest.FixtureRequest) -> str:
    """Every test here runs on the folder store and on S3 (moto's server; see conftest)."""
    return str(request.param)


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _files(hq: LiveHq, folder: str) -> list[Path]:
    return sorted(p for p in (Path(hq.data_dir) / "blobs" / folder).rglob("*") if p.is_file())


def _age(hq: LiveHq, upload_id: str, hours: float) -> None:
    """Make the reservation look `hours` old: its expiry moves that far back."""
    db = open_database(hq.db_url)
    try:
        with db.writing() as session:
            session.execute(
                update(Upload)
                .where(Upload.id == upload_id)
                .values(expires_at=utcnow() + timedelta(hours=24 - hours))
            )
    finally:
        db.dispose()


def test_reservations_lapse_and_are_released_on_revocation(live_server: LiveHq) -> None:
    hq = live_server
    hq.add_tenant("Acme", quota_bytes=150_000)
    with hq.client() as http:
        a, b = hq.enroll_device(http, "Acme"), hq.enroll_device(http, "Acme")
        first, second = os.urandom(90_000), os.urandom(90_000)
        held = a.start_upload(first)
        assert held.status_code == 201
        held_id = held.json()["upload_id"]
        assert a.patch(held_id, 0, first[:40_000]).status_code == 204
        # 90 kB reserved of 150 kB: another 90 kB does not fit.
        refused = b.start_upload(second)
        assert refused.status_code == 413 and refused.json()["error"] == "quota_exceeded"
        [listed] = _json(hq.cli("uploads", "list", "--json"))
        assert listed["upload_id"] == held_id and listed["reserved"] is True
        assert (listed["tenant"], listed["offset"], listed["length"]) == ("Acme", 40_000, 90_000)
        assert listed["digest"] == digest_of(first) and listed["state"] == "receiving"

        # Revoking the device releases its reservation at once.
        revoked = _json(hq.cli("device", "revoke", a.device_id, "--json"))
        assert revoked["revoked"] is True
        assert _json(hq.cli("uploads", "list", "--json")) == []
        fits = b.start_upload(second)
        assert fits.status_code == 201, fits.text
        fits_id = fits.json()["upload_id"]
        # Its bytes go at the next sweep; the busy-free sweep removes data and lock files.
        assert _files(hq, "uploads")
        report = _json(hq.cli("uploads", "expire", "--json"))
        assert report == {"expired": 0, "files_removed": 1, "busy": 0}
        assert _files(hq, "uploads") == [] and _files(hq, "locks") == []

        # A reservation idle for 25 h lapses: it stops counting, and the device that held it
        # is told to start again.
        assert b.patch(fits_id, 0, second[:10_000]).status_code == 204
        _age(hq, fits_id, 25)
        c = hq.enroll_device(http, "Acme")
        third = os.urandom(90_000)
        assert c.start_upload(third).status_code == 201
        [lapsed] = [
            u for u in _json(hq.cli("uploads", "list", "--json")) if u["upload_id"] == fits_id
        ]
        assert lapsed["reserved"] is False
        stale = b.patch(fits_id, 10_000, second[10_000:])
        assert stale.status_code == 409 and stale.json()["error"] == "upload_expired"
        assert b.request("HEAD", f"/v1/uploads/{fits_id}").status_code == 404
        report = _json(hq.cli("uploads", "expire", "--json"))
        assert report["expired"] == 1 and report["files_removed"] == 1
        everything = _json(hq.cli("uploads", "list", "--all", "--json"))
        assert {u["upload_id"]: u["state"] for u in everything}[fits_id] == "expired"
        text = hq.cli("uploads", "list")
        assert text.returncode == 0 and "receiving" in text.stdout

        # The device starts over with a new upload id and finishes normally. (c's 90 kB
        # reservation is still live, so free it first: the quota really is 150 kB.)
        hq.cli("device", "revoke", c.device_id)
        again = b.start_upload(second)
        assert again.status_code == 201 and again.json()["upload_id"] != fits_id
        assert b.upload(second) == digest_of(second)
        assert b.request("GET", f"/v1/blobs/{digest_of(second)}").content == second


def _expiry(hq: LiveHq, upload_id: str) -> datetime:
    db = open_database(hq.db_url)
    try:
        with db.reading() as session:
            return session.get_one(Upload, upload_id).expires_at
    finally:
        db.dispose()


def test_a_reservation_is_kept_alive_by_activity(live_server: LiveHq) -> None:
    """Each accepted chunk (and each resume) starts the reservation period again."""
    hq = live_server
    hq.add_tenant("Acme")
    with hq.client() as http:
        a = hq.enroll_device(http, "Acme")
        data = os.urandom(60_000)
        upload_id = a.start_upload(data).json()["upload_id"]
        _age(hq, upload_id, 23)
        aged = _expiry(hq, upload_id)
        assert a.patch(upload_id, 0, data[:30_000]).status_code == 204
        after_chunk = _expiry(hq, upload_id)
        assert after_chunk - aged > timedelta(hours=22)  # 23 h were given back, not 0
        _age(hq, upload_id, 23)
        resumed = a.start_upload(data)
        assert resumed.status_code == 200 and resumed.json()["offset"] == 30_000
        assert _expiry(hq, upload_id) - aged > timedelta(hours=22)
        assert _json(hq.cli("uploads", "expire", "--json"))["expired"] == 0
        assert a.patch(upload_id, 30_000, data[30_000:]).status_code == 204
        assert a.complete(upload_id, digest_of(data)).status_code == 201
        assert _json(hq.cli("uploads", "list", "--json")) == []


def test_concurrent_reservations_never_overbook_the_quota(live_server: LiveHq) -> None:
    """Eight devices ask for 90 kB of a 150 kB quota at the same moment: exactly one fits."""
    hq = live_server
    hq.add_tenant("Acme", quota_bytes=150_000)
    with hq.client() as http:
        devices = [hq.enroll_device(http, "Acme") for _ in range(8)]
        blobs = [os.urandom(90_000) for _ in devices]
        with hq.client() as racer:
            answers = together(
                [
                    partial(
                        racer.post,
                        "/v1/uploads",
                        headers={
                            **d.auth,
                            "Idempotency-Key": digest_of(data),
                            "Upload-Length": str(len(data)),
                        },
                    )
                    for d, data in zip(devices, blobs, strict=True)
                ]
            )
        codes = sorted(r.status_code for r in answers)
        assert codes == [201] + [413] * 7, codes
        assert len(_json(hq.cli("uploads", "list", "--json"))) == 1
