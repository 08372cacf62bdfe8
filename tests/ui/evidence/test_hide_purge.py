"""Hide… and Purge… from the right-click menu of the gallery or the viewer (real vault files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMenu

from fairdesk.evidence import service
from fairdesk.evidence.vocab import CustodyAction
from fairdesk.i18n import set_language
from fairdesk.store import Store
from tests.fairdesk.evidence.conftest import new_case
from tests.fairdesk.evidence.helpers import photo
from ui.evidence.item_actions import ReasonDialog
from ui.evidence.panel import EvidencePanel


@pytest.fixture
def panel(qtbot: object, store: Store, tmp_path: Path) -> EvidencePanel:
    case_id = new_case(store)
    paths = [photo(tmp_path / f"IMG_{n}.JPG", (160, 120), seed=n) for n in range(2)]
    service.import_paths(store, case_id, paths)
    widget = EvidencePanel(store, case_id)
    qtbot.addWidget(widget)  # type: ignore[attr-defined]
    widget.resize(1000, 650)
    widget.show()
    qtbot.waitUntil(lambda: widget.model.rowCount() == 2)  # type: ignore[attr-defined]
    return widget


def _actions(menu: QMenu) -> dict[str, object]:
    return {a.text(): a for a in menu.actions() if a.text()}


def _log(store: Store, case_id: str, action: CustodyAction) -> list[dict[str, object]]:
    return [
        json.loads(e.details) for e in service.custody_log(store, case_id) if e.action == action
    ]


def test_hide_needs_a_reason_keeps_the_bytes_and_can_be_undone(
    panel: EvidencePanel, qtbot: object
) -> None:
    row = panel.model.row_at(0)
    assert row is not None
    actions = _actions(panel.item_menu(row))
    assert set(actions) == {"Hide…", "Purge…"}
    actions["Hide…"].trigger()  # type: ignore[attr-defined]
    dialog = panel.findChild(ReasonDialog)
    assert isinstance(dialog, ReasonDialog) and dialog.isVisible()
    assert not dialog.ok_button.isEnabled()  # no reason, no hide
    dialog.reason_edit.setPlainText("   ")
    assert not dialog.ok_button.isEnabled()
    dialog.reason_edit.setPlainText("Photo of the wrong booth")
    assert dialog.ok_button.isEnabled()
    dialog.ok_button.click()

    hidden = service.get_item(panel.store, row.id)
    assert hidden.hidden_at is not None and hidden.hidden_reason == "Photo of the wrong booth"
    assert panel.store.vault.exists(row.sha256)  # the bytes stay
    assert _log(panel.store, row.case_id, CustodyAction.DELETE_REQUEST) == [
        {"reason": "Photo of the wrong booth"}
    ]
    assert "is hidden" in panel.summary.text()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1)  # type: ignore[attr-defined]

    panel.hidden_filter.setChecked(True)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2)  # type: ignore[attr-defined]
    number = next(n for n in range(2) if panel.model.row_at(n).id == row.id)  # type: ignore[union-attr]
    assert panel.model.data(panel.model.index(number)).startswith("Hidden: ")
    shown = panel.model.row_at(number)
    assert shown is not None
    _actions(panel.item_menu(shown))["Show again"].trigger()  # type: ignore[attr-defined]
    assert service.get_item(panel.store, row.id).hidden_at is None


def test_purge_asks_for_confirmation_erases_the_original_and_is_logged(
    panel: EvidencePanel, qtbot: object
) -> None:
    row, other = panel.model.row_at(0), panel.model.row_at(1)
    assert row is not None and other is not None
    panel.gallery.setCurrentIndex(panel.model.index(0))
    dialog = panel.open_purge(row)
    dialog.reason_edit.setPlainText("Contains a customer's face; legal asked to erase it")
    assert not dialog.ok_button.isEnabled()  # a reason alone is not enough
    assert dialog.confirm is not None
    dialog.reject()  # Cancel: nothing happens
    assert service.get_item(panel.store, row.id).hidden_at is None
    assert panel.store.vault.exists(row.sha256)

    dialog = panel.open_purge(row)
    dialog.reason_edit.setPlainText("Contains a customer's face; legal asked to erase it")
    assert dialog.confirm is not None
    dialog.confirm.setChecked(True)
    assert dialog.ok_button.isEnabled()
    dialog.ok_button.click()

    purged = service.get_item(panel.store, row.id)
    assert purged.purged and purged.hidden_at is not None
    assert not panel.store.vault.exists(row.sha256)
    assert panel.store.vault.exists(other.sha256)
    reason = {"reason": "Contains a customer's face; legal asked to erase it"}
    assert _log(panel.store, row.case_id, CustodyAction.DELETE_REQUEST) == [reason]  # hidden first
    assert _log(panel.store, row.case_id, CustodyAction.PURGE) == [reason]
    assert "was purged" in panel.summary.text()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1)  # type: ignore[attr-defined]

    panel.hidden_filter.setChecked(True)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2)  # type: ignore[attr-defined]
    gone = next(r for r in panel.model.rows if r.id == row.id)
    assert [a.text() for a in panel.item_menu(gone).actions()] == [
        "Purged: the original was erased"
    ]


def test_viewer_menu_and_chinese_texts(panel: EvidencePanel, tmp_path: Path) -> None:
    panel.gallery.setCurrentIndex(panel.model.index(0))
    row = panel.viewer.row
    assert row is not None
    set_language("zh_CN")
    try:
        texts = [a.text() for a in panel.item_menu(row).actions() if a.text()]
        assert texts == ["隐藏…", "彻底删除…"]
        dialog = panel.open_purge(row)
        assert dialog.confirm is not None and "无法恢复" in dialog.confirm.text()
        dialog.grab().save(str(tmp_path / "purge-zh.png"))
        dialog.reject()
    finally:
        set_language("en")
