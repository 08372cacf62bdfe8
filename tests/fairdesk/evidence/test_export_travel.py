"""Exporting a case after travel mode removed some originals: listed as kept at HQ, not a failure."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fairdesk.cli import main
from fairdesk.documents.service import export_entries
from fairdesk.errors import FairDeskError
from fairdesk.evidence import export, service
from fairdesk.evidence.vocab import CustodyAction
from fairdesk.protect import travel
from fairdesk.store import Store
from tests.conftest import TEST_PASSPHRASE
from tests.fairdesk.evidence.conftest import new_case
from tests.fairdesk.evidence.helpers import photo
from tests.fairdesk.protect.test_travel_verify import _verified_at_hq


def _verifier(folder: Path, python: str = "python3") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-I", "verify.py"], cwd=folder, capture_output=True, text=True, timeout=60
    )


def test_export_lists_travel_removed_originals_and_the_bundle_still_verifies(
    store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = tmp_path / "passphrase.txt"  # used only when run with --encrypted
    secret.write_text(TEST_PASSPHRASE, encoding="utf-8")
    monkeypatch.setenv("FAIRDESK_PASSPHRASE_FILE", str(secret))
    case_id = new_case(store)
    paths = [photo(tmp_path / f"{n}.jpg", (200, 150), seed=n) for n in range(3)]
    away, *here = (o.sha256 for o in service.import_paths(store, case_id, paths).outcomes)
    _verified_at_hq(store, away)
    assert travel.remove_local_copies(store, travel.plan(store, [case_id])) == 1

    out = tmp_path / "out" / "bundle.zip"
    assert main(["--data-dir", str(store.data_dir), "export", case_id, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Exported 3 items" in printed
    assert "Originals not included (kept at HQ, removed for travel): 1." in printed

    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(out) as bundle:
        names = bundle.namelist()
        bundle.extractall(folder)
    assert not any(away in name for name in names)  # the bytes are not in the bundle
    assert all(any(sha in name for name in names) for sha in here)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    entries = {item["sha256"]: item for item in manifest["items"]}
    assert entries[away]["original"] == "kept at HQ (removed for travel)"
    assert entries[away]["file"] is None
    assert [entries[sha]["original"] for sha in here] == ["included", "included"]
    how_to = (folder / "HOW-TO-VERIFY.txt").read_text(encoding="utf-8")
    assert "NOT INCLUDED / 未包含: 1 original(s)" in how_to and "由总部保存" in how_to

    result = _verifier(folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ALL CHECKS PASSED" in result.stdout
    assert f"NOT INCLUDED {away[:16]}" in result.stdout and "0.jpg" in result.stdout

    # The exemption is bound to the signed manifest: claiming a present original is "at HQ"
    # after export is caught (the manifest no longer matches its signature).
    here_entry = next(i for i in manifest["items"] if i["sha256"] == here[0])
    here_entry.update(file=None, original="kept at HQ (removed for travel)")
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    tampered = _verifier(folder, sys.executable)  # has `cryptography`: checks the signature
    assert tampered.returncode == 1 and "SIGNATURE manifest.json does not match" in tampered.stdout

    log = service.custody_log(store, case_id)
    exported = [e for e in log if e.action == CustodyAction.EXPORT]
    assert len(exported) == 3
    assert [json.loads(e.details).get("original") for e in exported if e.item_sha256 == away] == [
        "kept at HQ (removed for travel)"
    ]


def test_an_original_missing_without_travel_still_stops_the_export(
    store: Store, tmp_path: Path
) -> None:
    case_id = new_case(store)
    sha = service.import_paths(store, case_id, [photo(tmp_path / "a.jpg", seed=1)]).outcomes[0]
    store.vault.blob_path(sha.sha256).unlink()
    target = tmp_path / "bundle.zip"
    with pytest.raises(FairDeskError, match="missing from the evidence folder") as caught:
        export.export_case(store, case_id, target, documents=export_entries)
    assert "could not be written" not in str(caught.value)
    assert not target.exists() and list(tmp_path.glob(".bundle.zip*")) == []
