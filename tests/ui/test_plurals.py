"""Counts of one read as one ("1 entry", "1 of 1 item"), in English and Chinese."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from fairdesk.evidence import service
from fairdesk.i18n import set_language
from fairdesk.store import Store
from tests.fairdesk.evidence.conftest import new_case
from tests.fairdesk.evidence.helpers import photo


def test_library_search_with_one_hit_says_one_entry(qtbot: QtBot, store: Store) -> None:
    from ui.knowledge.library_page import LibraryPage

    page = LibraryPage(store)
    qtbot.addWidget(page)
    assert page.library is not None
    # An entry id is unique, so searching for one (as a user pasting it would) finds one entry.
    target = page.library.entries[0].id
    qtbot.keyClicks(page.search_box, target)
    assert page.results.count() == 1
    assert page.count_label.text() == "1 entry"
    page.search_box.clear()
    assert page.count_label.text() == f"{len(page.library.entries)} entries"


def test_evidence_tab_with_one_item_says_one_item(
    qtbot: QtBot, store: Store, tmp_path: Path
) -> None:
    from ui.evidence.panel import EvidencePanel

    case_id = new_case(store)
    service.import_paths(store, case_id, [photo(tmp_path / "a.jpg", (120, 90))])
    panel = EvidencePanel(store, case_id)
    qtbot.addWidget(panel)
    panel.reload()
    assert panel.count_label.text() == "1 of 1 item"
    set_language("zh_CN")
    try:
        panel.reload()
        assert panel.count_label.text() == "显示 1 / 共 1 项"
    finally:
        set_language("en")
