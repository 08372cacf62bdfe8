"""Encrypting an existing plain folder in place, the CLI, and travel mode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from fairdesk import cases
from fairdesk.crypto import keys
from fairdesk.evidence import service
from fairdesk.evidence.vocab import CustodyAction
from fairdesk.model import Direction, Trigger
from fairdesk.protect import migrate, travel
from fairdesk.store import Store, open_store
from fairdesk.syncmodel import BlobQueueEntry
from fairdesk.timeutil import utcnow
from fairdesk.vault import PARTIAL_DIR
from tests.fairdesk.protect.test_at_rest import CANARY_BYTES, CANARY_TEXT, _hits, canary_photo

PASS = "migrate me 'now' 现在"


def _plain_folder(data_dir: Path, tmp_path: Path) -> tuple[str, list[str]]:
    store = open_store(data_dir)
    try:
        case_id = cases.create_case(
            store,
            cases.CaseInput(
                title=CANARY_TEXT, direction=Direction.BY_US, trigger=Trigger.COPY_SPOTTED
            ),
        )
        two = tmp_path / "two.png"
        Image.new("RGB", (40, 30), (1, 2, 3)).save(two)
        report = service.import_files(store, case_id, [canary_photo(tmp_path / "a.jpg"), two])
        assert service.thumbnail(store, report.outcomes[0].sha256) is not None
        return case_id, [o.sha256 for o in report.outcomes]
    finally:
        store.close()


def test_migration_encrypts_everything_and_verifies(data_dir: Path, tmp_path: Path) -> None:
    case_id, shas = _plain_folder(data_dir, tmp_path)
    # A download from HQ cut half-way in the plain folder: its first bytes, in plain.
    (data_dir / PARTIAL_DIR).mkdir()
    (data_dir / PARTIAL_DIR / f"{'ab' * 32}.part").write_bytes(CANARY_BYTES[:64])
    assert _hits(data_dir, [CANARY_BYTES])  # the test can see plaintext before...
    result = migrate.protect_existing_folder(data_dir, PASS, params=keys.TEST_KDF)
    assert result.items_verified == 2 and result.files_encrypted == 2
    assert _hits(data_dir, [CANARY_BYTES, CANARY_TEXT.encode(), b"SQLite format 3"]) == []
    assert not (data_dir / keys.PENDING_NAME).exists()
    key = keys.unlock_with_recovery_key(data_dir, result.recovery_key)
    store = open_store(data_dir, data_key=key)
    try:
        assert cases.get_case(store, case_id).case.title == CANARY_TEXT
        for sha in shas:
            assert store.vault.hash_blob(sha) == sha
        assert service.thumbnail(store, shas[0]) is not None
    finally:
        store.close()
    with pytest.raises(keys.ProtectError, match="already protected"):
        migrate.protect_existing_folder(data_dir, PASS, params=keys.TEST_KDF)


def test_interrupted_migration_resumes(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _case_id, shas = _plain_folder(data_dir, tmp_path)
    calls = {"n": 0}
    real = migrate.encrypt_file_in_place

    def crash_on_second(path: Path, key: bytes, context: bytes) -> str:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("power cut")
        return real(path, key, context)

    monkeypatch.setattr(migrate, "encrypt_file_in_place", crash_on_second)
    with pytest.raises(OSError):
        migrate.protect_existing_folder(data_dir, PASS, params=keys.TEST_KDF)
    monkeypatch.setattr(migrate, "encrypt_file_in_place", real)
    with pytest.raises(Exception, match="encrypted"):
        open_store(data_dir)  # half-done: never opened as plain, never written over
    result = migrate.protect_existing_folder(data_dir, PASS, params=keys.TEST_KDF)
    assert result.items_verified == len(shas)
    assert _hits(data_dir, [CANARY_BYTES, b"SQLite format 3"]) == []


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fairdesk", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_cli_protect_status_and_passphrase_file(data_dir: Path, tmp_path: Path) -> None:
    plain = _cli("demo", "--data-dir", str(data_dir))
    assert plain.returncode == 0 and "not encrypted" in plain.stderr
    secret = tmp_path / "pass.txt"
    secret.write_text(PASS + "\n", encoding="utf-8")
    done = _cli("protect", "--data-dir", str(data_dir), "--passphrase-file", str(secret))
    assert done.returncode == 0, done.stderr
    recovery = next(line.strip() for line in done.stdout.splitlines() if line.count("-") == 11)
    assert len(recovery) == 59
    status = _cli("protect", "status", "--json", "--data-dir", str(data_dir))
    assert json.loads(status.stdout)["encrypted"] is True
    locked = _cli("case", "list", "--data-dir", str(data_dir))
    assert locked.returncode == 1 and "--passphrase-file" in locked.stderr
    assert "Traceback" not in locked.stderr
    env = {"FAIRDESK_PASSPHRASE_FILE": str(secret)}
    opened = _cli("case", "list", "--data-dir", str(data_dir), env=env)
    assert opened.returncode == 0 and "not encrypted" not in opened.stderr
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not it at all", encoding="utf-8")
    refused = _cli("case", "list", "--data-dir", str(data_dir), "--passphrase-file", str(wrong))
    assert refused.returncode == 1 and "Wrong passphrase" in refused.stderr
    # That mistake delays the next attempt by a second (test_keys checks the delay); clear it
    # so the next step does not depend on how fast this machine starts a process.
    assert keys.AttemptGuard(data_dir).failures() == 1
    keys.AttemptGuard(data_dir).succeeded()
    new = tmp_path / "new.txt"
    new.write_text("brand new passphrase", encoding="utf-8")
    rec = tmp_path / "rec.txt"
    rec.write_text(recovery, encoding="utf-8")
    changed = _cli(
        "protect", "change-passphrase", "--data-dir", str(data_dir),
        "--recovery-key-file", str(rec), "--new-passphrase-file", str(new),
    )  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    assert _cli("case", "list", "--data-dir", str(data_dir), env={
        "FAIRDESK_PASSPHRASE_FILE": str(new)}).returncode == 0  # fmt: skip


def _mark_done(store: Store, sha: str) -> None:
    with store.write() as session:
        session.add(
            BlobQueueEntry(
                sha256=sha, size=1, name="x", state="done", upload_id="u", offset=1,
                bytes_sent=1, attempts=1, last_error="", created_at=utcnow(), done_at=utcnow(),
            )
        )  # fmt: skip


def test_travel_removes_only_verified_copies_and_restores(enc_store: Store, tmp_path: Path) -> None:
    case_id = cases.create_case(
        enc_store,
        cases.CaseInput(title="Travel", direction=Direction.BY_US, trigger=Trigger.COPY_SPOTTED),
    )
    one, two = tmp_path / "1.png", tmp_path / "2.png"
    Image.new("RGB", (20, 20), (9, 9, 9)).save(one)
    Image.new("RGB", (20, 20), (200, 9, 9)).save(two)
    shas = [o.sha256 for o in service.import_files(enc_store, case_id, [one, two]).outcomes]
    _mark_done(enc_store, shas[0])  # HQ verified only the first
    plan = travel.plan(enc_store, [case_id])
    assert [r[1] for r in plan.removable] == [shas[0]] and plan.kept == ((case_id, shas[1]),)
    saved = enc_store.vault.blob_path(shas[0]).read_bytes()
    assert travel.remove_local_copies(enc_store, plan) == 1
    vault = enc_store.vault
    assert not vault.exists(shas[0]) and vault.exists(shas[1])
    log = [r.action for r in service.custody_log(enc_store, case_id)]
    assert CustodyAction.TRAVEL_REMOVED in log

    def download(sha: str) -> None:  # stands in for sync.client.blobs.download from HQ
        path = vault.blob_path(sha)
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(saved)

    assert travel.restore(enc_store, download, [case_id]) == 1
    assert vault.hash_blob(shas[0]) == shas[0]
    assert CustodyAction.TRAVEL_RESTORED in [
        r.action for r in service.custody_log(enc_store, case_id)
    ]
