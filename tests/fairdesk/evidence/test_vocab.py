"""The evidence vocabularies are enums in code and the same plain strings on disk and on the wire.

Kinds, custody actions and import outcomes are stored, synced and (actions) hashed into the
custody log, whose hashes an exported bundle's verifier recomputes with the standard library:
a renamed value, or an enum's name written where its value belongs, would break old logs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from bundle.custody import canonical
from fairdesk.evidence import custody, service
from fairdesk.evidence.vocab import (
    KIND_LABELS,
    CustodyAction,
    EvidenceKind,
    ImportStatus,
    Integrity,
    kind_label,
)
from fairdesk.store import Store
from tests.fairdesk.evidence.helpers import photo


def test_the_stored_values_never_change() -> None:
    assert {k.name: k.value for k in EvidenceKind} == {
        "IMAGE": "image",
        "VIDEO": "video",
        "PDF": "pdf",
        "FILE": "file",
    }
    assert [a.value for a in CustodyAction] == [
        "import",
        "annotation",
        "included_in_document",
        "export",
        "upload",
        "delete_request",
        "purge",
        "restore",
        "travel_removed",
        "travel_restored",
    ]
    assert [s.value for s in ImportStatus] == ["imported", "duplicate", "rejected", "refused"]
    assert [i.value for i in Integrity] == ["ok", "missing", "mismatch", "at_hq", "remote", ""]


def test_an_import_stores_and_queues_the_plain_values(
    vault_store: Store, case_id: str, files: Path
) -> None:
    report = service.import_paths(vault_store, case_id, [photo(files / "IMG_1.JPG")])
    assert [o.status for o in report.outcomes] == [ImportStatus.IMPORTED]
    with vault_store.read() as session:
        kind = session.execute(text("SELECT kind, typeof(kind) FROM evidence_item")).one()
        action: str = session.execute(text("SELECT action FROM custody_event")).scalar_one()
        queued = {
            str(entity): json.loads(str(changes))
            for entity, changes in session.execute(text("SELECT entity, changes FROM outbox"))
        }
    assert tuple(kind) == ("image", "text")
    assert action == "import"
    assert queued["evidence_item"]["kind"] == "image"
    assert queued["custody_event"]["action"] == "import"


def test_the_hashed_entry_holds_the_plain_action(vault_store: Store, case_id: str) -> None:
    row = service.record_custody(
        vault_store, action=CustodyAction.INCLUDED_IN_DOCUMENT, case_id=case_id
    )
    with vault_store.read() as session:
        [entry] = [e for e in custody.all_entries(session) if e["seq"] == row.seq]
    assert b'"action":"included_in_document"' in canonical(entry)
    assert custody.leaf_hash(entry) == entry["entry_hash"]  # as read back, it re-hashes the same


def test_an_unknown_action_is_refused_and_nothing_is_logged(
    vault_store: Store, case_id: str
) -> None:
    before = service.custody_log(vault_store, case_id)
    with pytest.raises(ValueError, match="unknown custody action 'renamed'"):
        service.record_custody(vault_store, action="renamed", case_id=case_id)  # type: ignore[arg-type]
    assert service.custody_log(vault_store, case_id) == before


def test_a_kind_this_version_does_not_know_is_labelled_as_a_file() -> None:
    assert kind_label("hologram") == KIND_LABELS[EvidenceKind.FILE]
    assert kind_label("pdf") == KIND_LABELS[EvidenceKind.PDF]
