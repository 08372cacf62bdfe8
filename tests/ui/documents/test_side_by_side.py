"""The New document dialog renders a kind in two languages side by side (zh | de)."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from fairdesk import cases
from fairdesk.store import Store
from ui.features import CASE_PANELS


def test_dialog_renders_both_languages_in_one_pdf_and_the_list_says_so(
    qtbot: QtBot, demo_store: Store, tmp_path: Path
) -> None:

    case_id = next(r.id for r in cases.list_cases(demo_store) if "Verfügung" in r.title)
    panel = next(p for p in CASE_PANELS if p.key == "documents").factory(demo_store, case_id)
    qtbot.addWidget(panel)
    panel.resize(1200, 800)
    panel.show()
    dialog = panel.new_document()  # type: ignore[attr-defined]
    dialog.kind.setCurrentIndex(dialog.kind.findData("non_infringement"))
    dialog.language.setCurrentIndex(dialog.language.findData("zh"))
    dialog.second.setCurrentIndex(dialog.second.findData("de"))
    assert dialog.language_code() == "zh+de" and dialog.render_button.isEnabled()
    _save(dialog, "new-document-side-by-side-en")
    dialog.set_field("company_name", "重庆示例机电有限公司")
    dialog.blanks.setChecked(True)
    qtbot.mouseClick(dialog.render_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    current = panel.current()  # type: ignore[attr-defined]
    assert current is not None and current.language == "zh+de"
    row = panel.table.model().index(0, 1)  # type: ignore[attr-defined]
    assert row.data() == "中文 | Deutsch"
    pdf = panel.pdf  # type: ignore[attr-defined]
    assert pdf.status() == QPdfDocument.Status.Ready
    text = "\n".join(pdf.getAllText(page).text() for page in range(pdf.pageCount()))
    assert "不侵权" in text and "Maßgeblich ist die deutsche Fassung" in text.replace("\n", " ")
    # The same language twice is one language, not a side-by-side document.
    again = panel.new_document()  # type: ignore[attr-defined]
    again.language.setCurrentIndex(again.language.findData("de"))
    again.second.setCurrentIndex(again.second.findData("de"))
    assert again.language_code() == "de"
    again.reject()


def test_dialog_in_chinese_offers_the_second_language(qtbot: QtBot, demo_store: Store) -> None:
    from fairdesk.i18n import set_language
    from ui.documents.dialog import NewDocumentDialog

    set_language("zh_CN")
    try:
        case_id = next(r.id for r in cases.list_cases(demo_store) if "榨汁机" in r.title)
        dialog = NewDocumentDialog(demo_store, case_id)
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.language.setCurrentIndex(dialog.language.findData("zh"))
        dialog.second.setCurrentIndex(dialog.second.findData("en"))
        texts = {w.text() for w in dialog.findChildren(QLabel)}
        assert "并排对照语言" in texts and dialog.second.itemText(0) == "— 无 —"
        assert dialog.language_code() == "zh+en" and dialog.render_button.isEnabled()
        _save(dialog, "new-document-side-by-side-zh_CN")
    finally:
        set_language("en")


def _save(widget: QWidget, name: str) -> None:
    folder = os.environ.get("FAIRDESK_STORY_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(folder) / f"{name}.png"))
