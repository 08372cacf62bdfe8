"""``fairdesk verify`` after travel mode: removed originals are "kept at HQ", not failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fairdesk.cli import main
from fairdesk.evidence import service
from fairdesk.evidence.verify import startup_check, verify
from fairdesk.evidence.vocab import Integrity
from fairdesk.protect import travel
from fairdesk.store import Store
from fairdesk.syncmodel import BlobQueueEntry
from fairdesk.timeutil import utcnow
from tests.conftest import TEST_PASSPHRASE
from tests.fairdesk.evidence.conftest import new_case
from tests.fairdesk.evidence.helpers import photo

KEPT = "kept at HQ (removed for travel)"


def _verified_at_hq(store: Store, sha: str) -> None:
    """What the sync client records once HQ confirmed the upload's digest."""
    with store.write() as session:
        session.add(
            BlobQueueEntry(
                sha256=sha, size=1, name="x", state="done", upload_id="u", offset=1,
                bytes_sent=1, attempts=1, last_error="", created_at=utcnow(), done_at=utcnow(),
            )
        )  # fmt: skip


def test_verify_reports_travel_removals_as_kept_at_hq(
    store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = tmp_path / "passphrase.txt"  # used only when run with --encrypted
    secret.write_text(TEST_PASSPHRASE, encoding="utf-8")
    monkeypatch.setenv("FAIRDESK_PASSPHRASE_FILE", str(secret))
    case_id = new_case(store)
    paths = [photo(tmp_path / f"{n}.jpg", (200, 150), seed=n) for n in range(2)]
    away, here = (o.sha256 for o in service.import_paths(store, case_id, paths).outcomes)
    saved = store.vault.blob_path(away).read_bytes()
    _verified_at_hq(store, away)
    assert travel.remove_local_copies(store, travel.plan(store, [case_id])) == 1

    report = verify(store)
    assert report.ok and report.items_checked == 1, report.problems
    assert [(k.sha256, KEPT in k.what) for k in report.kept_at_hq] == [(away, True)]
    assert startup_check(store).ok
    row = next(r for r in service.list_items(store, case_id) if r.sha256 == away)
    assert row.integrity == Integrity.AT_HQ

    assert main(["--data-dir", str(store.data_dir), "verify"]) == 0
    out = capsys.readouterr().out
    assert KEPT in out and "Everything checks out" in out and "PROBLEM" not in out
    assert main(["--data-dir", str(store.data_dir), "verify", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] and [k["sha256"] for k in payload["kept_at_hq"]] == [away]

    # An original missing WITHOUT a travel entry is still a failure.
    store.vault.blob_path(here).unlink()
    assert main(["--data-dir", str(store.data_dir), "verify"]) == 1
    assert "missing from the evidence folder" in capsys.readouterr().out

    def download(sha: str) -> None:  # stands in for the sync client's download from HQ
        if sha != away:
            return  # HQ never had it
        target = store.vault.blob_path(sha)
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(saved)

    assert travel.restore(store, download, [case_id]) == 1
    report = verify(store)
    assert report.kept_at_hq == () and [p.sha256 for p in report.problems] == [here]
