"""Issue 20, finding 4: `fairdesk verify` knows what HQ holds.

Device A imports a real JPEG and syncs it to a real `fairdesk-hq`; device B (HQ legal staff)
pulls the item but not its original. `fairdesk verify --no-fetch` on B (the real command, in a
subprocess) must call that "held by HQ, not downloaded here" — not a problem, exit 0 — and leave
the item's flag at ``remote``; plain `verify` on such a device downloads the original first
(issue 15), checks its SHA-256 and marks the item ``ok``. An
original A imported and then lost from its own vault is still reported missing.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from fairdesk.evidence.models import EvidenceItem
from fairdesk.evidence.service import import_files
from fairdesk.evidence.vocab import Integrity
from fairdesk.store import Store
from tests.fairdesk.evidence.helpers import photo
from tests.sync.devices import make_node, new_case
from tests.sync.hq_harness import LiveHq

FAIRDESK = Path(sys.executable).with_name("fairdesk")


def _verify(data_dir: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [str(FAIRDESK), "--data-dir", str(data_dir), "verify", "--json", *extra],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "NO_PROXY": "127.0.0.1,localhost"},
    )
    return done.returncode, json.loads(done.stdout)


def _integrity(store: Store, sha: str) -> str:
    with store.read() as session:
        return str(
            session.query(EvidenceItem.integrity).filter(EvidenceItem.sha256 == sha).scalar()
        )


def test_verify_tells_held_by_hq_from_missing_and_fetch_downloads(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    a = make_node(hq, tmp_path, "a", tenant)
    b = make_node(hq, tmp_path, "b", tenant, "legal")
    case_id = new_case(a.store)
    picture = photo(tmp_path / "booth.jpg", seed=4)
    sha = hashlib.sha256(picture.read_bytes()).hexdigest()
    import_files(a.store, case_id, [picture])
    assert a.sync().drained and b.sync().drained
    assert _integrity(b.store, sha) == Integrity.REMOTE

    code, report = _verify(b.store.data_dir, "--no-fetch")
    assert code == 0 and report["ok"] is True, report
    assert [p["sha256"] for p in report["not_downloaded"]] == [sha]
    assert report["problems"] == []
    assert _integrity(b.store, sha) == Integrity.REMOTE  # checking never downgrades it

    code, report = _verify(b.store.data_dir)
    assert code == 0 and report["fetched"] == [sha] and report["not_downloaded"] == [], report
    assert report["items_checked"] == 1
    assert _integrity(b.store, sha) == Integrity.OK
    stored = b.store.vault.blob_path(sha)
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == sha

    # A's own import whose original is gone from A's vault: that is a real problem.
    a.store.vault.blob_path(sha).unlink()
    code, report = _verify(a.store.data_dir)
    assert code == 1
    assert [p["sha256"] for p in report["problems"]] == [sha]
    assert _integrity(a.store, sha) == Integrity.MISSING
