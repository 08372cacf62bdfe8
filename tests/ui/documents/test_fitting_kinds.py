"""The New document dialog offers only the kinds that fit the case."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from fairdesk import cases
from fairdesk.documents import service
from fairdesk.store import Store
from ui.documents.dialog import NewDocumentDialog


def test_dialog_offers_only_fitting_kinds(qtbot: QtBot, demo_store: Store) -> None:
    case_id = next(r.id for r in cases.list_cases(demo_store) if "Verfügung" in r.title)
    dialog = NewDocumentDialog(demo_store, case_id)
    qtbot.addWidget(dialog)
    offered = {dialog.kind.itemData(i) for i in range(dialog.kind.count())}
    assert offered == set(service.kinds_for_case(demo_store, case_id))
    assert "widerspruch" in offered and "phrase_card_de" in offered
    assert not {"protective_letter_spain", "warning_letter", "panel_response"} & offered
