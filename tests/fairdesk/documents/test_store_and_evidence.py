"""Stored versions, outbox and custody with real evidence imports; many and broken photos."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from fairdesk.documents import service
from fairdesk.documents.evidence_view import EvidenceView
from fairdesk.evidence import service as evidence
from fairdesk.evidence.models import CustodyEvent
from fairdesk.evidence.vocab import CustodyAction
from fairdesk.model import OutboxEntry
from fairdesk.store import Store

from .conftest import FULL_FIELDS, normalise, pdftotext, qpdf_check

REPORT_FIELDS = {"company_name": FULL_FIELDS["company_name"], "signatory_name": "张示例"}


def _jpeg(path: Path, seed: int, size: tuple[int, int] = (96, 72)) -> Path:
    rng = random.Random(seed)
    Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), 90)).save(path, "JPEG")
    return path


def test_versions_outbox_and_custody_with_real_evidence(
    demo_store: Store, canton_case: str, tmp_path: Path
) -> None:
    photos = [_jpeg(tmp_path / f"p{i}.jpg", i, (800, 600)) for i in range(3)]
    evidence.import_paths(demo_store, canton_case, photos)
    items = evidence.list_items(demo_store, canton_case)
    assert len(items) == 3
    evidence.edit_item(
        demo_store, items[0].id, {"caption": "展位 C18 正面", "supports": "ZL 2023 外观"}
    )

    first = service.render_document(demo_store, canton_case, "evidence_report", "zh", REPORT_FIELDS)
    second = service.render_document(
        demo_store, canton_case, "evidence_report", "zh", REPORT_FIELDS
    )
    assert first.document is not None and second.document is not None
    assert (first.document.version, second.document.version) == (1, 2)
    # Version 1 stays, byte for byte, under its SHA-256 name.
    v1 = service.read_document(demo_store, first.document)
    assert hashlib.sha256(v1).hexdigest() == first.document.sha256
    assert v1 == first.data
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(second.data)
    text = normalise(pdftotext(pdf))
    for item in items:
        assert item.sha256[:32] in text and item.sha256[32:] in text
    assert normalise("展位 C18 正面") in text and "核验方法" in text
    assert qpdf_check(pdf).returncode == 0

    with demo_store.read() as session:
        outbox = [
            (o.blob_refs, o.changes["version"])
            for o in session.scalars(select(OutboxEntry).where(OutboxEntry.entity == "document"))
        ]
        custody = [
            c.item_sha256
            for c in session.scalars(
                select(CustodyEvent).where(
                    CustodyEvent.action == CustodyAction.INCLUDED_IN_DOCUMENT
                )
            )
        ]
    assert outbox == [([first.document.sha256], 1), ([second.document.sha256], 2)]
    assert len(custody) == 6 and set(custody) == {i.sha256 for i in items}
    listed = service.list_documents(demo_store, canton_case)
    assert [d.version for d in listed] == [2, 1]
    assert service.last_fields(demo_store, canton_case)["signatory_name"] == "张示例"


def test_document_survives_vault_recovery(demo_store: Store, canton_case: str) -> None:
    result = service.render_document(
        demo_store, canton_case, "hq_notification", "en", {"decisions_needed": "Approve"}
    )
    assert result.document is not None
    evidence.recover(demo_store)  # quarantines blobs that no evidence row references
    data = service.read_document(demo_store, result.document)
    assert hashlib.sha256(data).hexdigest() == result.document.sha256


def test_300_photos_and_one_undecodable(
    demo_store: Store, canton_case: str, tmp_path: Path
) -> None:
    views = []
    for i in range(300):
        path = _jpeg(tmp_path / f"{i}.jpg", i)
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        views.append(
            EvidenceView(
                id=f"id{i}", sha256=sha, original_name=f"{i}.jpg", caption=f"Foto {i}", path=path
            )
        )
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg" * 10)
    views.insert(
        150,
        EvidenceView(
            id="bad",
            sha256=hashlib.sha256(bad.read_bytes()).hexdigest(),
            original_name="bad.jpg",
            path=bad,
        ),
    )
    result = service.render_document(
        demo_store, canton_case, "evidence_report", "de", REPORT_FIELDS, evidence=views, save=False
    )
    warnings = [w for w in result.warnings if "bad.jpg" in w]
    assert len(warnings) == 1 and "E151" in warnings[0]
    out = tmp_path / "many.pdf"
    out.write_bytes(result.data)
    assert qpdf_check(out).returncode == 0
    text = pdftotext(out)
    assert "Foto 299" in text and "nicht angezeigt werden" in text
    assert result.pages > 100


@pytest.mark.parametrize("paper, width", [("a4", "595"), ("letter", "612")])
def test_paper_size(demo_store: Store, canton_case: str, paper: str, width: str) -> None:
    result = service.render_document(
        demo_store,
        canton_case,
        "hq_notification",
        "en",
        {"decisions_needed": "Approve"},
        paper=paper,
        save=False,
    )
    assert f"/MediaBox [ 0 0 {width}".encode() in result.data
