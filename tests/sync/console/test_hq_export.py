"""A verifiable export from HQ: a case synced by a real `fairdesk` device with real photos,
exported by a real `fairdesk-hq` (command and console), checked by the bundle's own verify.py
in a subprocess; one changed byte fails it; the key is the one the console shows; the export
is in the audit log; another tenant, and a guidance centre before escalation, get "not found".
"""

from __future__ import annotations

import hashlib
import json
import re
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from fairdesk import cases
from fairdesk.evidence.service import import_files
from fairdesk.evidence.vocab import CustodyAction
from fairdesk.model import Direction, Trigger
from sync.server import bundles
from sync.server.console.models import AuditEntry
from sync.server.db import open_database
from tests.sync.console.helpers import add_staff, booth_case, csrf_of, photo, sign_in
from tests.sync.hq_harness import live_hq, sha256_file

INSECURE = {"FAIRDESK_HQ_CONSOLE_INSECURE_COOKIES": "1"}


def _verify(folder: Path) -> subprocess.CompletedProcess[str]:
    # The interpreter of this suite has `cryptography`, so the signature is checked too.
    return subprocess.run(
        [sys.executable, "verify.py"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _unpack(zip_path: Path, folder: Path) -> Path:
    with zipfile.ZipFile(zip_path) as bundle:
        bundle.extractall(folder)
    return folder


def _raw_fingerprint(pem: bytes) -> str:
    key = serialization.load_pem_public_key(pem)
    assert isinstance(key, Ed25519PublicKey)
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def _export_form(http: httpx.Client, case_id: str) -> httpx.Response:
    page = http.get(f"/console/cases/{case_id}")
    assert page.status_code == 200, page.text
    return http.post(f"/console/cases/{case_id}/export", data={"csrf": csrf_of(page.text)})


def test_hq_bundle_of_a_synced_case_verifies_and_a_changed_byte_fails(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'hq.sqlite3'}"
    with live_hq(db_url, tmp_path / "hq", env=INSECURE) as hq:
        hq.add_tenant("Acme Tools")
        hq.add_tenant("Rival GmbH")
        hq.add_tenant("维权援助中心", kind="guidance")
        add_staff(hq.db_url, "Acme Tools", "lawyer", "legal")
        add_staff(hq.db_url, "Rival GmbH", "spy", "legal")
        add_staff(hq.db_url, "维权援助中心", "advisor", "guidance")
        booth = booth_case(hq, tmp_path, "Acme Tools")
        # A second photo in this case and one in another case on the same device: the device's
        # chain then holds entries of another case, which the bundle must redact and still link.
        extra = photo(tmp_path / "booth-photos" / "shelf.jpg", (30, 160, 40))
        import_files(booth.node.store, booth.case_id, [extra])
        other = cases.create_case(
            booth.node.store,
            cases.CaseInput(
                title="Other case 商标", direction=Direction.BY_US, trigger=Trigger.COPY_SPOTTED
            ),
        )
        import_files(booth.node.store, other, [photo(tmp_path / "booth-photos" / "o.jpg")])
        for _round in range(3):
            assert booth.node.sync().drained

        out = tmp_path / "export" / "hq-bundle.zip"
        done = hq.cli(
            "case", "export", booth.case_id, "--tenant", "Acme Tools", "--out", str(out), "--json"
        )
        assert done.returncode == 0, done.stderr
        summary = json.loads(done.stdout)
        assert summary["items"] == 2 and summary["sha256"] == sha256_file(out)

        folder = _unpack(out, tmp_path / "unpacked")
        checked = _verify(folder)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "ALL CHECKS PASSED" in checked.stdout
        assert "Signature valid" in checked.stdout
        # The originals are the booth's bytes, named by their SHA-256.
        for picture in (booth.photo, extra):
            digest = sha256_file(picture)
            assert (folder / "originals" / f"{digest}.jpg").read_bytes() == picture.read_bytes()
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        assert manifest["case"]["id"] == booth.case_id
        assert {i["original_name"] for i in manifest["items"]} == {"booth-photo.jpg", "shelf.jpg"}
        assert manifest["exported_by"]["hq"] is True
        log = [
            json.loads(line)
            for line in (folder / "custody-log.jsonl").read_text().split("\n")
            if line
        ]
        assert any(
            e.get("action") == CustodyAction.IMPORT and e["case_id"] == booth.case_id for e in log
        ), log
        assert all(e.get("redacted") or e["case_id"] in (booth.case_id, "") for e in log)

        # HQ's key: 0600 in HQ's data folder, shown on the console, the one that signed.
        key_file = bundles.key_path(hq.data_dir)
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        pem = (folder / "public_key.pem").read_bytes()
        signature = (folder / "manifest.sig").read_bytes()
        with hq.client() as http:
            assert sign_in(http, "Acme Tools", "lawyer").status_code == 200
            page = http.get(f"/console/cases/{booth.case_id}")
            shown = re.search(r'id="hq-key">[^<]*<code>([0-9a-f]{64})</code>', page.text)
            assert shown is not None, page.text[:2000]
            assert _raw_fingerprint(pem) == shown.group(1) == summary["public_key_sha256"]
            assert shown.group(1) in (folder / "HOW-TO-VERIFY.txt").read_text("utf-8")
            public = serialization.load_pem_public_key(pem)
            assert isinstance(public, Ed25519PublicKey)
            public.verify(signature, (folder / "manifest.json").read_bytes())  # raises if not

            # The console's button gives a bundle that verifies the same way.
            response = _export_form(http, booth.case_id)
            assert response.status_code == 200, response.text
            assert response.headers["content-type"] == "application/zip"
            console_zip = tmp_path / "console.zip"
            console_zip.write_bytes(response.content)
            assert (
                hashlib.sha256(response.content).hexdigest() == response.headers["x-content-sha256"]
            )
            assert _verify(_unpack(console_zip, tmp_path / "console")).returncode == 0
        assert not list((hq.data_dir / "console-exports").iterdir()), "temp bundle removed"

        # One changed byte in an original: verify.py fails and names the file.
        original = folder / "originals" / f"{sha256_file(booth.photo)}.jpg"
        data = bytearray(original.read_bytes())
        data[len(data) // 2] ^= 0x01
        original.write_bytes(bytes(data))
        tampered = _verify(folder)
        assert tampered.returncode == 1, tampered.stdout
        assert "CHANGED" in tampered.stdout and original.name in tampered.stdout
        # One changed byte in the manifest: the signature no longer matches.
        again = _unpack(out, tmp_path / "again")
        manifest_bytes = (again / "manifest.json").read_bytes()
        (again / "manifest.json").write_bytes(manifest_bytes.replace(b"shelf.jpg", b"shelf.jpe"))
        forged = _verify(again)
        assert forged.returncode == 1 and "SIGNATURE" in forged.stdout, forged.stdout

        # Audited: the command line's export and the console's.
        db = open_database(db_url)
        try:
            with db.reading() as session:
                exports = session.scalars(
                    select(AuditEntry).where(AuditEntry.action == "export case")
                ).all()
        finally:
            db.dispose()
        assert [e.target for e in exports] == [booth.case_id, booth.case_id]
        assert {e.user_name for e in exports} == {"command line", "lawyer"}
        assert all(summary["sha256"][:16] in e.detail or e.user_name == "lawyer" for e in exports)
        booth.node.close()


def test_another_tenant_and_a_guidance_centre_before_escalation_get_not_found(
    tmp_path: Path,
) -> None:
    db_url = f"sqlite:///{tmp_path / 'hq.sqlite3'}"
    with live_hq(db_url, tmp_path / "hq", env=INSECURE) as hq:
        hq.add_tenant("Acme Tools")
        hq.add_tenant("Rival GmbH")
        hq.add_tenant("维权援助中心", kind="guidance")
        add_staff(hq.db_url, "Rival GmbH", "spy", "legal")
        add_staff(hq.db_url, "维权援助中心", "advisor", "guidance")
        booth = booth_case(hq, tmp_path, "Acme Tools")
        out = tmp_path / "x.zip"
        for tenant in ("Rival GmbH", "维权援助中心"):
            refused = hq.cli("case", "export", booth.case_id, "--tenant", tenant, "--out", str(out))
            assert refused.returncode == 2 and "no case" in refused.stderr, refused.stderr
            assert not out.exists()
        with hq.client() as http:
            sign_in(http, "Rival GmbH", "spy")
            cases = http.get("/console/cases")
            # The form needs a CSRF token of the session: take it from a page the spy may see.
            token = csrf_of(cases.text)
            response = http.post(f"/console/cases/{booth.case_id}/export", data={"csrf": token})
            assert response.status_code == 404
            assert response.headers["content-type"].startswith("text/html")
            no_token = http.post(f"/console/cases/{booth.case_id}/export", data={"csrf": "forged"})
            assert no_token.status_code == 403
        with hq.client() as http:
            sign_in(http, "维权援助中心", "advisor")
            token = csrf_of(http.get("/console/cases").text)
            assert (
                http.post(f"/console/cases/{booth.case_id}/export", data={"csrf": token})
            ).status_code == 404
            escalated = hq.cli(
                "escalate",
                "--tenant",
                "Acme Tools",
                "--case",
                booth.case_id,
                "--to",
                "维权援助中心",
            )
            assert escalated.returncode == 0, escalated.stderr
            response = http.post(f"/console/cases/{booth.case_id}/export", data={"csrf": token})
            assert response.status_code == 200
            bundle = tmp_path / "guidance.zip"
            bundle.write_bytes(response.content)
            assert _verify(_unpack(bundle, tmp_path / "guidance")).returncode == 0
        with hq.client() as http:  # no session at all
            assert (
                http.post(f"/console/cases/{booth.case_id}/export", data={"csrf": "x"})
            ).status_code == 401
        booth.node.close()
