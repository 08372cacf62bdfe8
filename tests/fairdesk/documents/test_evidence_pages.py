"""The evidence report holds any custody-log length and any number of photos.

A photo's custody log grows by one entry each time it goes into a document; at about 50
entries the old report stopped with a reportlab LayoutError. The log is now its own table,
split over pages with its header repeated. Times carry their zone; witness and notary come
from the case's parties.
"""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path

import pytest
from PIL import Image

from fairdesk import cases
from fairdesk.documents import service
from fairdesk.documents.evidence_view import EvidenceView, list_evidence
from fairdesk.evidence import service as evidence
from fairdesk.evidence.vocab import CustodyAction, EvidenceKind
from fairdesk.store import Store

from .conftest import FULL_FIELDS, normalise, pdftotext, qpdf_check

REPORT_FIELDS = {"company_name": FULL_FIELDS["company_name"], "signatory_name": "张示例"}
LOG_LENGTH = 500


def _jpeg(path: Path, seed: int, size: tuple[int, int] = (96, 72)) -> Path:
    rng = random.Random(seed)
    Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), 90)).save(path, "JPEG")
    return path


def _item_with_long_log(store: Store, case_id: str, tmp_path: Path) -> EvidenceView:
    """A really imported photo whose real custody log has LOG_LENGTH more entries."""
    evidence.import_paths(store, case_id, [_jpeg(tmp_path / "logged.jpg", 7, (640, 480))])
    item = evidence.list_items(store, case_id)[-1]
    with store.write() as session:
        for n in range(LOG_LENGTH):
            evidence.record_custody_in(
                session,
                action=CustodyAction.INCLUDED_IN_DOCUMENT,
                sha256=item.sha256,
                case_id=case_id,
                item_id=item.id,
                details={"n": n},
            )
    view = next(v for v in list_evidence(store, case_id) if v.id == item.id)
    assert len(view.custody) > LOG_LENGTH
    return view


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_500_custody_entries_flow_over_pages_with_repeated_header(
    demo_store: Store, canton_case: str, tmp_path: Path, paper: str
) -> None:
    view = _item_with_long_log(demo_store, canton_case, tmp_path)
    result = service.render_document(
        demo_store,
        canton_case,
        "evidence_report",
        "en",
        REPORT_FIELDS,
        evidence=[view],
        paper=paper,
        save=False,
    )
    out = tmp_path / "log.pdf"
    out.write_bytes(result.data)
    assert qpdf_check(out).returncode == 0
    assert not [w for w in result.warnings if "longer than a page" in w]
    text = pdftotext(out)
    pages = text.split("\f")
    # Every row is printed (one "included in a document" per entry, plus the import entry)…
    assert text.count("UTC+08:00") >= LOG_LENGTH
    # …and the header row starts the log again on every page the log continues on.
    log_pages = [p for p in pages if "UTC+08:00" in p and "Action" in p and "By" in p]
    assert len(log_pages) >= 8, len(log_pages)


def test_300_photos_and_a_500_entry_log_in_one_report(
    demo_store: Store, canton_case: str, tmp_path: Path
) -> None:
    views = [_item_with_long_log(demo_store, canton_case, tmp_path)]
    for i in range(299):
        path = _jpeg(tmp_path / f"{i}.jpg", i)
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        views.append(
            EvidenceView(
                id=f"id{i}", sha256=sha, original_name=f"{i}.jpg", caption=f"Foto {i}", path=path
            )
        )
    result = service.render_document(
        demo_store, canton_case, "evidence_report", "de", REPORT_FIELDS, evidence=views, save=False
    )
    out = tmp_path / "big.pdf"
    out.write_bytes(result.data)
    assert qpdf_check(out).returncode == 0
    text = pdftotext(out)
    assert "Foto 298" in text and "Vorgang" in text
    assert result.pages > 100


def test_capture_time_zone_and_witness_from_the_case(demo_store: Store, tmp_path: Path) -> None:
    # The "copy spotted" case holds a witness party (李示例).
    case_id = next(r.id for r in cases.list_cases(demo_store) if "smart lock" in r.title)
    evidence.import_paths(demo_store, case_id, [_jpeg(tmp_path / "w.jpg", 3, (320, 240))])
    item = evidence.list_items(demo_store, case_id)[0]
    evidence.edit_item(demo_store, item.id, {"witness_present": True})
    base = EvidenceView(
        id="cam",
        sha256="ab" * 32,
        original_name="cam.jpg",
        captured_local="2026-11-24T10:15:00",
        path=None,
        kind=EvidenceKind.FILE,
    )
    views = [
        *list_evidence(demo_store, case_id),
        base,
        EvidenceView(
            **{**base.__dict__, "id": "cam2", "sha256": "cd" * 32, "captured_offset": "+08:00"}
        ),
    ]
    result = service.render_document(
        demo_store, case_id, "evidence_report", "en", REPORT_FIELDS, evidence=views, save=False
    )
    out = tmp_path / "w.pdf"
    out.write_bytes(result.data)
    text = normalise(pdftotext(out))
    assert normalise("Witness present yes: 李示例 (我方销售部（示例）)") in text
    assert normalise("Notary present no") in text
    # A camera time without an offset says so; with one it carries it.
    assert (
        normalise("24 November 2026, 10:15 (camera's local time; time zone not recorded)") in text
    )
    assert normalise("24 November 2026, 10:15 UTC+08:00") in text
    # The custody times carry the fair's offset (Asia/Shanghai).
    assert re.search(r"\d{4}, \d\d:\d\d UTC\+08:00\s+imported", pdftotext(out)), pdftotext(out)


def test_docx_custody_log_is_a_table_with_a_repeating_header(
    demo_store: Store, canton_case: str, tmp_path: Path
) -> None:
    import io

    import docx
    from docx.oxml.ns import qn

    view = _item_with_long_log(demo_store, canton_case, tmp_path)
    result = service.render_document(
        demo_store,
        canton_case,
        "evidence_report",
        "zh",
        REPORT_FIELDS,
        evidence=[view],
        fmt="docx",
        save=False,
    )
    document = docx.Document(io.BytesIO(result.data))
    log = max(document.tables, key=lambda t: len(t.rows))
    assert len(log.rows) > LOG_LENGTH
    assert [c.text for c in log.rows[0].cells] == ["时间", "操作", "操作人"]
    header_row = log.rows[0]._tr.trPr
    assert header_row is not None and header_row.find(qn("w:tblHeader")) is not None
    assert "UTC+08:00" in log.rows[-1].cells[0].text
