"""The Security page: styled like the other pages, its state in words, each action explained."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from fairdesk.i18n import set_language
from fairdesk.store import Store
from ui.theme import STYLESHEET


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_security_page_states_and_explains_in_both_languages(
    qtbot: QtBot, store: Store, tmp_path: Path, language: str
) -> None:
    from ui.protect.page import SecurityPage

    set_language(language)
    try:
        QApplication.instance().setStyleSheet(STYLESHEET)  # type: ignore[union-attr]
        page = SecurityPage(store)
        qtbot.addWidget(page)
        page.resize(900, 500)
        page.show()
        qtbot.waitExposed(page)
        page.grab().save(str(tmp_path / f"security-{language}.png"))
        labels = {label.objectName(): label for label in page.findChildren(QLabel)}
        title = labels["pageTitle"].text()
        assert title == ("Security" if language == "en" else "安全")
        assert page.state.text() == ("Not encrypted" if language == "en" else "未加密")
        assert page.state.objectName() == "formError"  # the stylesheet's warning style
        hints = [w for w in page.findChildren(QLabel) if w.objectName() == "subtitle"]
        assert len(hints) >= 4 and all(
            h.wordWrap() for h in hints if h.text() != str(store.data_dir)
        )
        for hint in hints:  # nothing cut off: every hint gets the height its wrapped text needs
            assert hint.height() >= hint.heightForWidth(hint.width()) - 1, hint.text()
        assert not page.lock_button.isEnabled() and page.travel_button.isEnabled()
    finally:
        set_language("en")
