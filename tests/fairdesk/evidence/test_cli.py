"""The evidence command line: JSON contracts, exit codes, export, and `case show --json`."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from fairdesk.cli import main
from fairdesk.evidence import service
from fairdesk.evidence.vocab import ImportStatus
from fairdesk.store import Store
from tests.fairdesk.evidence.helpers import photo


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


def test_import_list_verify_export(
    vault_store: Store,
    case_id: str,
    files: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    data = str(vault_store.data_dir)
    good = photo(files / "IMG_1.JPG", orientation=6)
    (files / "empty.jpg").write_bytes(b"")
    code, out = run(
        capsys, "--data-dir", data, "evidence", "import", case_id, str(files), str(good), "--json"
    )
    results = json.loads(out)
    assert code == 1  # one file was rejected
    assert [(Path(r["path"]).name, r["status"]) for r in results] == [
        ("IMG_1.JPG", ImportStatus.IMPORTED),
        ("empty.jpg", ImportStatus.REJECTED),
        ("IMG_1.JPG", ImportStatus.DUPLICATE),
    ]
    assert results[0]["sha256"] and results[1]["reason"]
    code, out = run(capsys, "--data-dir", data, "evidence", "list", case_id, "--json")
    [item] = json.loads(out)
    assert item["original_name"] == "IMG_1.JPG" and item["orientation"] == 6
    assert item["gps"] == {"lat": pytest.approx(48.1416667), "lon": 11.5}
    assert item["capture_time"]["utc_offset"] == "+08:00" and item["make"] == "Canon"
    code, out = run(capsys, "--data-dir", data, "case", "show", case_id, "--json")
    assert json.loads(out)["evidence"]["count"] == 1
    code, out = run(capsys, "--data-dir", data, "verify", case_id)
    assert code == 0 and "Everything checks out" in out
    code, out = run(capsys, "--data-dir", data, "export", case_id, "--out", str(tmp_path / "b.zip"))
    assert code == 0 and zipfile.is_zipfile(tmp_path / "b.zip")
    blob = service.original_path(vault_store, item["sha256"])
    blob.chmod(0o644)
    blob.write_bytes(b"x")
    code, out = run(capsys, "--data-dir", data, "verify")
    assert code == 1 and "IMG_1.JPG" in out and item["id"] in out
