"""Evidence recovery, verify and export together with generated documents (real files).

Runs on a plain folder, and on an encrypted one with ``--encrypted``.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fairdesk.cli import main
from fairdesk.documents import service as documents
from fairdesk.documents.service import DocumentRow
from fairdesk.evidence import service as evidence
from fairdesk.evidence.verify import startup_check
from fairdesk.store import Store
from fairdesk.vault import QUARANTINE
from tests.conftest import TEST_PASSPHRASE
from tests.fairdesk.evidence.conftest import new_case
from tests.fairdesk.evidence.helpers import photo

FIELDS = {"company_name": "Example Machinery Ltd", "signatory_name": "Zhang Example"}


@pytest.fixture(autouse=True)
def _cli_passphrase(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An encrypted folder (``--encrypted``) is opened by the CLI with the passphrase file."""
    secret = tmp_path / "passphrase.txt"
    secret.write_text(TEST_PASSPHRASE + "\n", encoding="utf-8")
    monkeypatch.setenv("FAIRDESK_PASSPHRASE_FILE", str(secret))


def _case_with_document(store: Store, tmp_path: Path) -> tuple[str, DocumentRow]:
    case_id = new_case(store)
    evidence.import_paths(store, case_id, [photo(tmp_path / "booth.jpg", (320, 240))])
    result = documents.render_document(
        store, case_id, "evidence_report", "en", FIELDS, allow_blanks=True
    )
    assert result.document is not None
    return case_id, result.document


def test_recovery_and_verify_keep_generated_documents(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _case_id, doc = _case_with_document(store, tmp_path)
    vault = store.vault
    stored = vault.blob_path(doc.sha256)

    report = startup_check(store)
    assert report.quarantined == () and report.ok, report.problems
    code = main(["--data-dir", str(store.data_dir), "verify", "--json"])
    captured = capsys.readouterr()
    assert code == 0 and "quarantine" not in captured.err
    assert json.loads(captured.out)["quarantined"] == []

    assert stored.is_file() and vault.quarantined() == []
    data = documents.read_document(store, doc)
    assert hashlib.sha256(data).hexdigest() == doc.sha256 and data[:5] == b"%PDF-"


def test_recovery_moves_back_documents_an_older_version_quarantined(
    store: Store, tmp_path: Path
) -> None:
    case_id, doc = _case_with_document(store, tmp_path)
    vault = store.vault
    stored = vault.blob_path(doc.sha256)
    old = vault.root / QUARANTINE / "20260301T101010000000Z"
    old.mkdir(parents=True)
    os.replace(stored, old / f"{doc.sha256[:2]}__{doc.sha256}")  # as the old recovery did
    # A file named like a referenced (missing) original but with other bytes stays put.
    item_sha = evidence.list_items(store, case_id)[0].sha256
    vault.blob_path(item_sha).unlink()
    (old / f"{item_sha[:2]}__{item_sha}").write_bytes(b"not that photo")

    result = evidence.recover(store)
    assert result.restored == (doc.sha256,) and result.quarantined == ()
    assert stored.is_file() and vault.hash_blob(doc.sha256) == doc.sha256
    assert [p.name for p in vault.quarantined()] == [f"{item_sha[:2]}__{item_sha}"]
    assert not vault.exists(item_sha)


def test_export_bundles_documents_and_the_bundled_verifier_checks_them(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case_id, report = _case_with_document(store, tmp_path)
    letter = documents.render_document(
        store, case_id, "hq_notification", "en", {"decisions_needed": "Approve"}, fmt="docx"
    ).document
    assert letter is not None
    bundle = tmp_path / "bundle.zip"
    code = main(["--data-dir", str(store.data_dir), "export", case_id, "--out", str(bundle)])
    assert code == 0, capsys.readouterr().err
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    listed = {d["sha256"]: d["file"] for d in manifest["documents"]}
    assert set(listed) == {report.sha256, letter.sha256}
    for sha, name in listed.items():
        assert name.startswith("documents/") and manifest["files"][name]["sha256"] == sha
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == sha
    assert (folder / listed[report.sha256]).read_bytes()[:5] == b"%PDF-"

    def verify_bundle() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "verify.py"], cwd=folder, capture_output=True, text=True, timeout=60
        )

    checked = verify_bundle()
    assert checked.returncode == 0 and "ALL CHECKS PASSED" in checked.stdout, checked.stdout
    tampered = folder / listed[letter.sha256]
    tampered.write_bytes(tampered.read_bytes() + b"x")
    checked = verify_bundle()
    assert checked.returncode == 1 and f"CHANGED  {listed[letter.sha256]}" in checked.stdout


def test_password_protected_export_round_trip(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case_id, doc = _case_with_document(store, tmp_path)
    password = tmp_path / "export-password.txt"
    password.write_text("Messe 2026 geheim 展会\n", encoding="utf-8")
    out = tmp_path / "out" / "bundle.zip"
    args = ["--data-dir", str(store.data_dir), "export", case_id, "--out", str(out)]
    assert main([*args, "--password-file", str(password)]) == 0
    said = capsys.readouterr().out
    protected = out.with_name("bundle.zip.fdenc")
    how_to = out.with_name("bundle.zip.fdenc.HOW-TO-OPEN.txt")
    # Only the protected file and its instructions: no plain zip, no temp file left behind.
    assert sorted(p.name for p in out.parent.iterdir()) == sorted([protected.name, how_to.name])
    assert "open-export" in how_to.read_text(encoding="utf-8") and str(protected) in said
    sealed = protected.read_bytes()
    assert sealed.startswith(b"FDENC")
    for plain in (
        b"PK\x03\x04",
        b"manifest.json",
        b"fairdesk-evidence-bundle",
        doc.sha256.encode(),
    ):
        assert plain not in sealed

    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the password", encoding="utf-8")
    opened = tmp_path / "opened.zip"
    opener = ["protect", "open-export", str(protected), "--out", str(opened)]
    assert main([*opener, "--password-file", str(wrong)]) == 1 and not opened.exists()
    assert main([*opener, "--password-file", str(password)]) == 0
    capsys.readouterr()
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(opened) as archive:
        archive.extractall(folder)
    checked = subprocess.run(
        [sys.executable, "verify.py"], cwd=folder, capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0 and "ALL CHECKS PASSED" in checked.stdout, checked.stdout
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert [d["sha256"] for d in manifest["documents"]] == [doc.sha256]

    short = tmp_path / "short.txt"
    short.write_text("1234", encoding="utf-8")
    assert main([*args, "--password-file", str(short)]) == 1
    assert "at least 8 characters" in capsys.readouterr().err
