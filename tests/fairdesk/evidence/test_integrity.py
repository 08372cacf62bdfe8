"""Custody log tamper detection, verify, and the exported bundle checked by its own verify.py."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fairdesk.documents.service import export_entries
from fairdesk.evidence import custody, export, service
from fairdesk.evidence.verify import startup_check, verify
from fairdesk.evidence.vocab import CustodyAction, ImportStatus, Integrity
from fairdesk.store import Store
from tests.fairdesk.evidence.conftest import new_case
from tests.fairdesk.evidence.helpers import minimal_pdf, photo


@pytest.fixture
def filled(vault_store: Store, case_id: str, files: Path) -> Store:
    paths = [photo(files / f"IMG_{i:04d}.JPG", seed=i) for i in range(4)]
    paths.append(minimal_pdf(files / "scan.pdf"))
    report = service.import_paths(vault_store, case_id, paths)
    assert report.imported == 5
    return vault_store


def _db(store: Store) -> sqlite3.Connection:
    return sqlite3.connect(store.db_path)


def test_rfc6962_merkle_root_matches_reference_construction() -> None:
    import hashlib

    leaves = [hashlib.sha256(b"\x00" + bytes([i])).hexdigest() for i in range(5)]
    h = lambda a, b: hashlib.sha256(b"\x01" + a + b).digest()  # noqa: E731
    raw = [bytes.fromhex(x) for x in leaves]
    # RFC 6962 §2.1 for n=5: split at 4 → MTH(d0..d3) and d4.
    expected = h(h(h(raw[0], raw[1]), h(raw[2], raw[3])), raw[4]).hex()
    assert custody.merkle_root(leaves) == expected
    assert custody.merkle_root(leaves[:1]) == leaves[0]


def test_clean_store_verifies(filled: Store, case_id: str) -> None:
    report = verify(filled)
    assert report.ok and report.items_checked == 5 and report.log_entries == 5


def test_flipped_byte_in_an_original_is_named(filled: Store, case_id: str) -> None:
    row = service.list_items(filled, case_id)[2]
    blob = service.original_path(filled, row.sha256)
    blob.chmod(0o644)
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0x01
    blob.write_bytes(bytes(data))
    report = verify(filled)
    assert not report.ok
    [problem] = report.problems
    assert problem.item_id == row.id and row.original_name in problem.what
    assert "changed or damaged" in problem.what
    assert service.get_item(filled, row.id).integrity == Integrity.MISMATCH


def test_missing_original_is_named(filled: Store, case_id: str) -> None:
    row = service.list_items(filled, case_id)[0]
    service.original_path(filled, row.sha256).unlink()
    [problem] = verify(filled).problems
    assert problem.item_id == row.id and "missing" in problem.what


def test_deleted_log_entry_is_named(filled: Store) -> None:
    with _db(filled) as db:
        db.execute("DELETE FROM custody_event WHERE seq = 3")
    whats = [p.what for p in verify(filled).problems]
    assert any("entry 3" in w and "missing" in w for w in whats), whats
    assert any("not recorded in the custody log" in w for w in whats)


def test_edited_log_entry_is_named(filled: Store) -> None:
    with _db(filled) as db:
        db.execute("UPDATE custody_event SET actor = 'someone else' WHERE seq = 2")
    whats = [p.what for p in verify(filled).problems]
    assert whats == [w for w in whats if "entry 2" in w and "altered" in w] and whats


def test_reordered_log_entries_are_named(filled: Store) -> None:
    with _db(filled) as db:
        db.execute("UPDATE custody_event SET seq = -1 WHERE seq = 2")
        db.execute("UPDATE custody_event SET seq = 2 WHERE seq = 3")
        db.execute("UPDATE custody_event SET seq = 3 WHERE seq = -1")
    whats = " | ".join(p.what for p in verify(filled).problems)
    assert "entry 2" in whats and "entry 3" in whats and "altered" in whats


def test_record_custody_for_documents_extends_the_chain(filled: Store, case_id: str) -> None:
    row = service.list_items(filled, case_id)[0]
    entry = service.record_custody(
        filled,
        action=CustodyAction.INCLUDED_IN_DOCUMENT,
        sha256=row.sha256,
        case_id=case_id,
        item_id=row.id,
        details={"document": "response-letter.pdf"},
    )
    assert entry.seq == 6 and verify(filled).ok
    assert [e.action for e in service.custody_log(filled, case_id)][
        -1
    ] == CustodyAction.INCLUDED_IN_DOCUMENT


def test_hide_then_purge_is_logged_and_keeps_shared_bytes(
    filled: Store, case_id: str, tmp_path: Path
) -> None:
    row = service.list_items(filled, case_id)[0]
    other = new_case(filled, "Other")
    copy = tmp_path / "copy.jpg"
    copy.write_bytes(service.original_path(filled, row.sha256).read_bytes())
    assert service.import_paths(filled, other, [copy]).imported == 1
    with pytest.raises(Exception, match="Hide the item first"):
        service.purge_item(filled, row.id, "duplicate")
    service.hide_item(filled, row.id, "wrong booth")
    assert row.id not in {r.id for r in service.list_items(filled, case_id)}
    service.purge_item(filled, row.id, "wrong booth")
    assert service.original_path(filled, row.sha256).is_file()  # still used by the other case
    actions = [e.action for e in service.custody_log(filled, case_id)]
    assert actions[-2:] == [CustodyAction.DELETE_REQUEST, CustodyAction.PURGE]
    assert verify(filled).ok


def test_startup_check_quarantines_orphans_and_never_deletes(filled: Store) -> None:
    vault = filled.data_dir / "vault"
    stray = vault / ("ab" * 32)[:2] / ("ab" * 32)
    stray.parent.mkdir(exist_ok=True)
    stray.write_bytes(b"renamed but never committed")
    (vault / ".incoming-deadbeef.part").write_bytes(b"half")
    report = startup_check(filled)
    assert sorted(report.quarantined) == [".incoming-deadbeef.part", f"ab/{'ab' * 32}"]
    kept = sorted(p.read_bytes() for p in (vault / "quarantine").rglob("*") if p.is_file())
    assert kept == [b"half", b"renamed but never committed"]
    assert report.ok


def _unpack(bundle: Path, target: Path) -> Path:
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(target)
    return target


def _run_verifier(folder: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["python3", *flags, "verify.py"], cwd=folder, capture_output=True, text=True, timeout=60
    )


def test_export_bundle_verifies_with_only_python(
    filled: Store, case_id: str, tmp_path: Path
) -> None:
    letter = export.ExportFile(
        "../../letter.pdf",
        lambda: open(minimal_pdf(tmp_path / "letter.pdf"), "rb"),  # noqa: SIM115
    )
    result = export.export_case(
        filled, case_id, tmp_path / "out" / "bundle.zip", documents=lambda _s, _c: [letter]
    )
    assert result.items == 5 and result.documents == 1
    folder = _unpack(result.path, tmp_path / "unpacked")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert {i["sha256"] for i in manifest["items"]} == {
        r.sha256 for r in service.list_items(filled, case_id)
    }
    assert "documents/letter.pdf" in manifest["files"]
    assert "中文" not in (folder / "HOW-TO-VERIFY.txt").read_text(encoding="utf-8")[:10]
    assert "如何核验" in (folder / "HOW-TO-VERIFY.txt").read_text(encoding="utf-8")
    ok = _run_verifier(folder)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "ALL CHECKS PASSED" in ok.stdout and "Signature valid" in ok.stdout
    # Without site-packages (no `cryptography`) the hashes still check; the signature is explained.
    bare = _run_verifier(folder, "-S", "-I")
    assert bare.returncode == 0 and "Signature NOT checked" in bare.stdout
    # Export is itself in the custody log.
    assert service.custody_log(filled, case_id)[-1].action == CustodyAction.EXPORT
    assert verify(filled).ok

    # One flipped byte in one original: the verifier names exactly that file.
    victim = sorted((folder / "originals").iterdir())[1]
    data = bytearray(victim.read_bytes())
    data[-10] ^= 0xFF
    victim.write_bytes(bytes(data))
    bad = _run_verifier(folder)
    assert bad.returncode == 1
    failing = [line for line in bad.stdout.splitlines() if line.startswith("  ")]
    assert len(failing) == 1 and f"originals/{victim.name}" in failing[0]


def test_bundle_custody_tampering_and_signature(
    filled: Store, case_id: str, tmp_path: Path
) -> None:
    other = new_case(filled, "Another case")
    service.import_paths(filled, other, [photo(tmp_path / "o.jpg", seed=99)])
    result = export.export_case(filled, case_id, tmp_path / "b.zip", documents=export_entries)
    folder = _unpack(result.path, tmp_path / "u")
    lines = (folder / "custody-log.jsonl").read_text(encoding="utf-8").splitlines()
    assert any('"redacted": true' in line for line in lines)  # other case hidden, chain intact
    assert _run_verifier(folder).returncode == 0
    copy = shutil.copytree(folder, tmp_path / "u2")
    entries = [json.loads(line) for line in lines]
    entries[1]["actor"] = "forger"
    (copy / "custody-log.jsonl").write_text(
        "\n".join(json.dumps(e) for e in entries) + "\n", encoding="utf-8"
    )
    out = _run_verifier(copy).stdout
    assert "entry 2" in out and "altered" in out
    manifest = (folder / "manifest.json").read_text(encoding="utf-8")
    (folder / "manifest.json").write_text(
        manifest.replace("Copy of", "Kopie von"), encoding="utf-8"
    )
    out = _run_verifier(folder).stdout
    assert "SIGNATURE" in out


def test_damaged_original_stops_export(filled: Store, case_id: str, tmp_path: Path) -> None:
    row = service.list_items(filled, case_id)[1]
    blob = service.original_path(filled, row.sha256)
    blob.chmod(0o644)
    blob.write_bytes(blob.read_bytes()[:-1] + b"\x00")
    with pytest.raises(Exception, match="damaged"):
        export.export_case(filled, case_id, tmp_path / "x.zip", documents=export_entries)
    assert not list(tmp_path.glob("*.zip")) and not list(tmp_path.glob(".*part"))


FULL_DISK_CHILD = r"""
import json, resource, signal, sys
from fairdesk.store import open_store
from fairdesk.evidence import service
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
store = open_store(sys.argv[1])
limit = int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
report = service.import_paths(store, sys.argv[2], sys.argv[4:])
print(json.dumps([[o.status, o.reason] for o in report.outcomes]))
"""


def test_full_disk_means_not_saved_and_the_rest_continue(
    filled: Store, case_id: str, tmp_path: Path
) -> None:
    import os

    before = {r.sha256 for r in service.list_items(filled, case_id)}
    big = tmp_path / "big.mov"
    big.write_bytes(b"\x00\x00\x00\x14ftypqt  " + os.urandom(12 << 20))
    small = [photo(tmp_path / f"s{i}.jpg", seed=50 + i) for i in range(2)]
    filled.close()
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            FULL_DISK_CHILD,
            str(filled.data_dir),
            case_id,
            str(8 << 20),
            str(small[0]),
            str(big),
            str(small[1]),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    statuses = json.loads(out.stdout)
    assert [s for s, _ in statuses] == [
        ImportStatus.IMPORTED,
        ImportStatus.REJECTED,
        ImportStatus.IMPORTED,
    ]
    assert "Not saved: the disk is full" in statuses[1][1]
    from fairdesk.store import open_store

    store = open_store(filled.data_dir)
    try:
        after = {r.sha256 for r in service.list_items(store, case_id)}
        assert before < after and len(after) == len(before) + 2
        assert not list((store.data_dir / "vault").glob(".incoming-*"))
        assert verify(store).ok
    finally:
        store.close()
