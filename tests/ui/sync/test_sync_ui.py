"""The Sync page, status indicator and conflict dialog against a real `fairdesk-hq`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from fairdesk import cases
from fairdesk.i18n import set_language
from fairdesk.model import OutboxEntry
from fairdesk.store import Store
from tests.sync.devices import make_node, new_case
from tests.sync.hq_harness import LiveHq, live_hq

SHOTS = Path(__file__).resolve().parents[3] / "build" / "screens"


@pytest.fixture
def hq(tmp_path: Path) -> Iterator[LiveHq]:
    with live_hq(f"sqlite:///{tmp_path / 'hq.sqlite3'}", tmp_path / "hq") as server:
        server.add_tenant("Acme Tools")
        yield server


def _window(store: Store):  # type: ignore[no-untyped-def]
    from ui.main_window import MainWindow

    window = MainWindow(store)
    window.show()
    return window


def test_enrol_sync_and_indicator(qtbot, hq: LiveHq, store: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from ui.sync.controller import UP_TO_DATE, controller_for
    from ui.sync.indicator import SyncIndicator
    from ui.sync.page import SyncPage

    case_id = new_case(store)
    cases.add_note(store, case_id, "typed offline")
    window = _window(store)
    qtbot.addWidget(window)
    window.show_page("sync")
    page = window.findChild(SyncPage)
    qtbot.waitUntil(lambda: window.findChild(SyncIndicator) is not None)
    indicator = window.findChild(SyncIndicator)
    assert page.enrol_box.isVisible()
    page.server_edit.setText(hq.base_url)
    page.code_edit.setText("WRONG-CODE")
    page.enrol_button.click()
    assert "did not accept" in page.enrol_message.text()
    page.code_edit.setText(hq.enroll_code("Acme Tools"))
    page.enrol_button.click()  # enrols, then syncs (tasks run inline in tests)
    controller = controller_for(store)
    assert controller.state == UP_TO_DATE, controller.detail
    assert "Up to date" in indicator.text()
    assert not page.enrol_box.isVisible()
    with store.read() as session:
        assert set(session.scalars(select(OutboxEntry.state))) == {"sent"}
    assert page.outbox.rowCount() >= 3
    states = {page.outbox.item(r, 3).text() for r in range(page.outbox.rowCount())}
    assert states == {"Sent"}
    assert indicator.isVisible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(SHOTS / "sync-page-en.png"))
    window.close()
    set_language("zh_CN")  # the app builds its window in the chosen language
    window = _window(store)
    qtbot.addWidget(window)
    window.show_page("sync")
    qtbot.waitUntil(lambda: window.findChild(SyncIndicator) is not None)
    indicator = window.findChild(SyncIndicator)
    controller.refresh_status()
    window.grab().save(str(SHOTS / "sync-page-zh_CN.png"))
    assert "已是最新" in indicator.text()
    controller.stop()


def test_conflict_panel_and_dialog_resolve_by_merge(qtbot, hq: LiveHq, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from sync.client.conflicts import list_conflicts
    from ui.sync.conflicts import ConflictDialog, ConflictsPanel

    a = make_node(hq, tmp_path, "a", "Acme Tools")
    b = make_node(hq, tmp_path, "b", "Acme Tools")
    case_id = new_case(a.store, "Original title")
    assert a.sync().drained and b.sync().drained
    cases.edit_case(a.store, case_id, cases.CaseEdit(title="Title from A"))
    cases.edit_case(b.store, case_id, cases.CaseEdit(title="Title from B"))
    assert a.sync().drained and b.sync().drained
    panel = ConflictsPanel(b.store, case_id)
    qtbot.addWidget(panel)
    from PySide6.QtWidgets import QPushButton

    [review] = panel.findChildren(QPushButton)
    assert "Title" in review.text()
    conflict = list_conflicts(b.store)[0]
    from PySide6.QtWidgets import QLabel

    SHOTS.mkdir(parents=True, exist_ok=True)
    set_language("zh_CN")
    try:
        chinese = ConflictDialog(b.store, conflict)
        qtbot.addWidget(chinese)
        chinese.show()
        chinese.grab().save(str(SHOTS / "sync-conflict-zh_CN.png"))
        texts = {label.text() for label in chinese.findChildren(QLabel)}
        assert "标题" in texts and "title" not in texts
        chinese.close()
    finally:
        set_language("en")
    dialog = ConflictDialog(b.store, conflict)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.grab().save(str(SHOTS / "sync-conflict-en.png"))
    dialog.merge.setChecked(True)
    dialog.merge_edits["title"].setText("Merged title")
    dialog._save()
    assert dialog.result() == 1
    assert b.sync().drained and a.sync().drained
    assert cases.get_case(a.store, case_id).case.title == "Merged title"
    panel = ConflictsPanel(a.store, case_id)
    qtbot.addWidget(panel)
    assert not panel.findChildren(QPushButton)
    assert any("No conflicts" in label.text() for label in panel.findChildren(QLabel))
