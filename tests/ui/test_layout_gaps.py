"""Small layout faults QA saw while walking the Hannover story: widgets touching their
neighbours and a clipped placeholder. Measured on the laid-out window, in both languages."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from fairdesk.i18n import set_language
from fairdesk.store import Store
from tests.ui.test_story_hannover import _window, record_hannover_injunction
from ui.pages.new_emergency import NewEmergencyDialog

GAP = 6  # px between neighbours: enough to read them as two things


def _left_to_right(a: QWidget, b: QWidget) -> int:
    """Horizontal gap between two widgets' visible boxes, in window coordinates."""
    a_right = a.mapTo(a.window(), a.rect().topRight()).x()
    b_left = b.mapTo(b.window(), b.rect().topLeft()).x()
    return b_left - a_right


def _placeholder_fits(edit: QLineEdit) -> bool:
    needed = edit.fontMetrics().horizontalAdvance(edit.placeholderText())
    margins = edit.textMargins()
    return edit.width() - 12 - margins.left() - margins.right() >= needed


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_new_emergency_file_number_placeholder_is_not_clipped(
    qtbot: QtBot, store: Store, lang: str
) -> None:
    set_language(lang)
    try:
        window = _window(qtbot, store)
        dialog = window.new_emergency()
        assert isinstance(dialog, NewEmergencyDialog)
        QApplication.processEvents()
        ref = dialog.court_ref.field
        assert ref.isVisible()  # against us by default: the court row is shown
        assert _placeholder_fits(ref), (ref.width(), ref.placeholderText())
        _save(dialog, f"layout-new-emergency-{lang}")
    finally:
        set_language("en")


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_new_emergency_who_served_it_placeholder_is_not_clipped(
    qtbot: QtBot, store: Store, lang: str
) -> None:
    set_language(lang)
    try:
        window = _window(qtbot, store)
        dialog = window.new_emergency()
        assert isinstance(dialog, NewEmergencyDialog)
        QApplication.processEvents()
        who = dialog.served_by.field
        assert who.isVisible()  # against us by default: the row is shown
        assert _placeholder_fits(who), (who.width(), who.placeholderText())
        # … and the field itself is inside the dialog, not cut off at its right edge.
        right = who.mapTo(dialog, who.rect().topRight()).x()
        assert right <= dialog.width(), (right, dialog.width())
        _save(dialog, f"layout-who-served-{lang}")
    finally:
        set_language("en")


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_case_header_widgets_do_not_touch(qtbot: QtBot, store: Store, lang: str) -> None:
    set_language(lang)
    try:
        window = _window(qtbot, store)
        record_hannover_injunction(qtbot, window, lang)
        page = window.case_detail
        QApplication.processEvents()
        assert _left_to_right(page.back_button, page.number) >= GAP
        assert _left_to_right(page.badge, page.level_rule) >= GAP
        _save(window, f"layout-case-{lang}")
    finally:
        set_language("en")


def _save(widget: QWidget, name: str) -> None:
    folder = os.environ.get("FAIRDESK_STORY_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(folder) / f"{name}.png"))
