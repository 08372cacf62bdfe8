"""A large case opens with its count and first screenful; the rest is read page by page."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from fairdesk.evidence import service
from fairdesk.evidence.models import EvidenceItem
from fairdesk.evidence.vocab import EvidenceKind
from fairdesk.ids import new_id
from fairdesk.store import Store
from tests.fairdesk.evidence.conftest import new_case
from tests.fairdesk.evidence.helpers import minimal_pdf, photo
from ui.evidence.gallery import PAGE_SIZE
from ui.evidence.panel import EvidencePanel

ITEMS = PAGE_SIZE * 2 + 17  # three pages, the last one short


def _big_case(store: Store, tmp_path: Path) -> str:
    """Rows copied in bulk from a few real imports (as sync would bring them), each a day apart."""
    source = new_case(store, "Source")
    paths = [photo(tmp_path / f"{n}.jpg", (120, 90), seed=n) for n in range(3)]
    service.import_paths(store, source, [*paths, minimal_pdf(tmp_path / "scan.pdf")])
    case_id = new_case(store)
    with store.write() as session:
        templates = list(session.scalars(select(EvidenceItem)))
        start = templates[0].imported_at
        for number in range(ITEMS):
            template = templates[number % len(templates)]
            values = {c.key: getattr(template, c.key) for c in EvidenceItem.__table__.columns}
            values.update(
                id=new_id(),
                case_id=case_id,
                imported_at=start + timedelta(minutes=number),
                captured_local=f"2026-03-{1 + number % 5:02d}T10:00:00",
                tags=["logo"] if number % 7 == 0 else [],
                caption=f"item {number}",
            )
            session.add(EvidenceItem(**values))
    return case_id


def test_pages_match_the_whole_list_for_every_filter(store: Store, tmp_path: Path) -> None:
    case_id = _big_case(store, tmp_path)
    for flt in (
        service.ItemFilter(),
        service.ItemFilter(kind=EvidenceKind.PDF),
        service.ItemFilter(tag="LOGO"),
        service.ItemFilter(date_from=date(2026, 3, 2), date_to=date(2026, 3, 2)),
    ):
        everything = service.list_items(store, case_id, flt)
        assert service.count_items(store, case_id, flt) == len(everything) > 0, flt
        pages = [
            service.list_items_page(store, case_id, flt, offset, 50)
            for offset in range(0, len(everything), 50)
        ]
        assert [r.id for page in pages for r in page] == [r.id for r in everything], flt
    day = service.list_items(store, case_id, service.ItemFilter(date_from=date(2026, 3, 2)))
    assert {r.capture_date for r in day} == {"2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"}
    assert service.capture_days(store, case_id)[:2] == ["2026-03-05", "2026-03-04"]


def test_panel_shows_the_count_at_once_and_reads_the_rest_in_pages(
    qtbot: object, store: Store, tmp_path: Path
) -> None:
    case_id = _big_case(store, tmp_path)
    panel = EvidencePanel(store, case_id)
    qtbot.addWidget(panel)  # type: ignore[attr-defined]
    panel.resize(900, 600)
    panel.show()
    model = panel.model
    qtbot.waitUntil(lambda: model.rowCount() == ITEMS)  # type: ignore[attr-defined]
    assert f"{ITEMS} of {ITEMS} items" in panel.count_label.text()
    assert model.row_at(0) is not None and model.row_at(0).caption == "item 0"  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: model.complete, timeout=10000)  # type: ignore[attr-defined]
    assert [r.id for r in model.rows] == [r.id for r in service.list_items(store, case_id)]
    assert model.row_at(ITEMS - 1).caption == f"item {ITEMS - 1}"  # type: ignore[union-attr]
    assert panel.day_filter.count() == 1 + 5  # "Any day" and the five capture days

    # Filtering re-reads from the start; a filter that matches nothing shows an empty gallery.
    scans = service.count_items(store, case_id, service.ItemFilter(kind=EvidenceKind.PDF))
    assert 0 < scans < PAGE_SIZE
    panel.kind_filter.setCurrentIndex(panel.kind_filter.findData(EvidenceKind.PDF.value))
    qtbot.waitUntil(lambda: model.rowCount() == scans)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: model.complete, timeout=10000)  # type: ignore[attr-defined]
    assert {r.kind for r in model.rows} == {EvidenceKind.PDF}
    assert f"{scans} of {ITEMS} items" in panel.count_label.text()


def test_a_row_asked_for_by_the_view_is_read_before_the_others(
    qtbot: object, store: Store, tmp_path: Path
) -> None:
    case_id = _big_case(store, tmp_path)
    panel = EvidencePanel(store, case_id)
    qtbot.addWidget(panel)  # type: ignore[attr-defined]
    model = panel.model
    qtbot.waitUntil(lambda: model.rowCount() == ITEMS)  # type: ignore[attr-defined]
    order: list[int] = []
    fetch = model._fetch
    assert fetch is not None

    def recording(offset: int, limit: int) -> list[object]:
        order.append(offset)
        return fetch(offset, limit)  # type: ignore[return-value]

    model.start(ITEMS, model.rows[:PAGE_SIZE], recording)  # type: ignore[arg-type]
    # Tasks run inline in UI tests, so the background fill has read everything already, in
    # order; start again and ask for the last row first, with the thumbnail loader busy.
    assert order == [PAGE_SIZE, 2 * PAGE_SIZE]
    order.clear()
    model.loader._queued.add("pretend-busy")  # the background fill waits for thumbnails
    model.start(ITEMS, model.rows[:PAGE_SIZE], recording)  # type: ignore[arg-type]
    assert order == [] and model.row_at(ITEMS - 1) is None
    assert model.data(model.index(ITEMS - 1)) == "…"  # the view paints it: read its page now
    assert order == [2 * PAGE_SIZE]
    assert model.row_at(ITEMS - 1).caption == f"item {ITEMS - 1}"  # type: ignore[union-attr]
    model.loader._queued.discard("pretend-busy")
