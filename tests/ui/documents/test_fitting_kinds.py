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


def test_widerspruch_in_chinese_names_the_applicant_and_unwraps_the_notes(
    qtbot: QtBot, demo_store: Store
) -> None:
    """QA walk: the Chinese Widerspruch form called the other side 投诉人 (a fair-desk
    complainant) and showed the notes with the TOML file's hard line breaks."""
    from PySide6.QtWidgets import QFormLayout, QLabel

    from fairdesk.i18n import set_language

    set_language("zh_CN")
    try:
        case_id = next(r.id for r in cases.list_cases(demo_store) if "Verfügung" in r.title)
        dialog = NewDocumentDialog(demo_store, case_id)
        qtbot.addWidget(dialog)
        dialog.kind.setCurrentIndex(dialog.kind.findData("widerspruch"))
        dialog.language.setCurrentIndex(dialog.language.findData("zh"))
        assert dialog.kind_code() == "widerspruch" and dialog.language_code() == "zh"
        row = dialog.inputs["complainant"]
        label = dialog.form.labelForField(row)
        assert isinstance(label, QLabel) and label.text().startswith("申请人")
        assert "投诉人" not in label.text()
        notes = dialog.notes.text()
        assert "第 924 条" in notes and "\n" not in notes
        assert "执行\n（" not in notes and "执行 （" not in notes  # Chinese joined without a gap
        assert isinstance(dialog.form, QFormLayout)
    finally:
        set_language("en")
