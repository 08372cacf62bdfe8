"""Rough edges a new user hit with evidence, each replayed the way the user did it (the CLI,
the bundled verifier in a subprocess)."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import pytest

from fairdesk import cases
from fairdesk.cli import main
from fairdesk.evidence import service
from fairdesk.evidence.export import default_file_name
from fairdesk.evidence.vocab import EvidenceKind, ImportStatus
from fairdesk.model import Direction, Trigger
from fairdesk.store import Store
from tests.fairdesk.evidence.helpers import photo


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


def test_text_file_named_jpg_says_it_is_not_an_image(
    vault_store: Store, case_id: str, files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (files / "booth-photo.jpg").write_text("notes typed at the booth, not a photo\n")
    data = str(vault_store.data_dir)

    code, out = _run(
        capsys, "--data-dir", data, "evidence", "import", case_id, str(files), "--json"
    )

    [outcome] = json.loads(out)
    assert code == 0 and outcome["status"] == ImportStatus.IMPORTED  # kept, byte-exact
    assert "not an image" in outcome["reason"] and ".jpg" in outcome["reason"]
    assert "kept byte-exact as a file" in outcome["reason"]
    item = service.get_item(vault_store, outcome["item_id"])
    assert item.kind == EvidenceKind.FILE and "not an image" in item.import_note
    # A real photo with the same kind of name gets no such note.
    code, out = _run(
        capsys, "--data-dir", data, "evidence", "import", case_id, str(photo(files / "p.jpg")),
        "--json",
    )  # fmt: skip
    assert json.loads(out)[0]["reason"] == ""


def _export_and_unpack(
    store: Store, case_id: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> Path:
    service.import_paths(store, case_id, [photo(tmp_path / "a.jpg", (120, 90))])
    code, _out = _run(capsys, "--data-dir", str(store.data_dir), "export", case_id)
    assert code == 0
    [bundle] = list(Path.cwd().glob("*.zip"))
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(folder)
    return folder


def test_export_without_out_is_named_by_case_number_and_date(
    vault_store: Store,
    case_id: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    number = cases.get_case(vault_store, case_id).case.number
    _export_and_unpack(vault_store, case_id, tmp_path, capsys)
    [bundle] = list(tmp_path.glob("*.zip"))
    assert re.fullmatch(rf"{re.escape(number)}-evidence-\d{{4}}-\d{{2}}-\d{{2}}\.zip", bundle.name)
    assert default_file_name(vault_store, case_id, date(2026, 3, 5)) == (
        f"{number}-evidence-2026-03-05.zip"
    )
    # A number typed by hand may hold what no file system takes.
    odd = cases.create_case(
        vault_store,
        cases.CaseInput(
            title="t", direction=Direction.BY_US, trigger=Trigger.COPY_SPOTTED, number="HK/2026: 7"
        ),
    )
    assert (
        default_file_name(vault_store, odd, date(2026, 3, 5)) == "HK-2026-7-evidence-2026-03-05.zip"
    )


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        ("rename", "has no 'action' field"),
        ("not-an-object", "is not a log entry"),
        ("no-seq", "has no 'seq' field"),
    ],
)
def test_bundled_verifier_reports_a_damaged_log_entry_without_a_traceback(
    vault_store: Store,
    case_id: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    damage: str,
    expected: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = _export_and_unpack(vault_store, case_id, tmp_path, capsys)
    clean = subprocess.run(
        ["python3", "-I", "verify.py"], cwd=folder, capture_output=True, text=True, timeout=60
    )
    assert clean.returncode == 0, clean.stdout + clean.stderr
    log = folder / "custody-log.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[-1])
    if damage == "rename":  # what the user did: a key renamed by hand
        entry["Action"] = entry.pop("action")
        lines[-1] = json.dumps(entry)
    elif damage == "not-an-object":
        lines[-1] = json.dumps([entry["seq"]])
    else:
        del entry["seq"]
        lines[-1] = json.dumps(entry)
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = subprocess.run(
        ["python3", "-I", "verify.py"], cwd=folder, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert f"line {len(lines)} of the custody log is damaged: it {expected}" in result.stdout
    assert "FAILED" in result.stdout
