"""The case page states the situation in one line and lets the user correct it (keyboard and
mouse); the correction is stored and the page, level and guidance follow it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from pytestqt.qtbot import QtBot

from fairdesk import cases
from fairdesk.cases import CaseFilter
from fairdesk.i18n import set_language
from fairdesk.knowledge import guidance
from fairdesk.store import Store
from ui.pages.case_detail import CaseDetailPage
from ui.pages.situation_dialog import SituationDialog


@pytest.fixture(autouse=True)
def _english_after() -> Iterator[None]:
    yield
    set_language("en")


def _open(qtbot: QtBot, store: Store, title: str) -> CaseDetailPage:
    case_id = next(r.id for r in cases.list_cases(store, CaseFilter()) if r.title == title)
    page = CaseDetailPage(store)
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.show()
    page.show_case(case_id)
    return page


def test_situation_line_in_english_and_chinese(qtbot: QtBot, fair_store: Store) -> None:
    page = _open(qtbot, fair_store, "Injunction: hydraulic pump")
    assert page.situation_line.text() == (
        "Served: ex-parte court order, Germany — you are the respondent"
    )
    set_language("zh_CN")
    chinese = _open(qtbot, fair_store, "Injunction: hydraulic pump")
    assert chinese.situation_line.text() == "已送达：单方法院禁令，德国——您是被申请人/被投诉方"


def test_correcting_the_situation_by_keyboard_and_mouse(qtbot: QtBot, fair_store: Store) -> None:
    page = _open(qtbot, fair_store, "Injunction: hydraulic pump")
    qtbot.mouseClick(page.situation_button, Qt.MouseButton.LeftButton)
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, SituationDialog))
    qtbot.waitExposed(dialog)
    dialog.mode.setFocus()
    qtbot.keyClick(dialog.mode, Qt.Key.Key_Down)  # "Correct it"
    assert dialog.where.isEnabled()
    dialog.where.clear()
    qtbot.keyClicks(dialog.where, "upc")
    qtbot.keyClicks(dialog.reason, "Order of the UPC Local Division Munich")
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    detail = cases.get_case(fair_store, page.case_id)
    assert detail.situation is not None and detail.situation.corrected
    assert detail.situation.situation.key() == "respondent/ex_parte_order_served/UPC"
    assert page.situation_line.text().startswith(
        "Served: ex-parte court order, Unified Patent Court (UPC) — you are the respondent"
    )
    assert "corrected by hand" in page.situation_line.text()
    g = guidance.guidance_for_case(fair_store, page.case_id)
    assert g.cards[0].id == "upc.provisional-measures"
    # Back to the computed situation.
    qtbot.mouseClick(page.situation_button, Qt.MouseButton.LeftButton)
    again = next(
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, SituationDialog) and w.isVisible()
    )
    again.mode.setCurrentIndex(0)
    again.save()
    qtbot.waitUntil(lambda: "corrected" not in page.situation_line.text())
    assert not cases.get_case(fair_store, page.case_id).situation.corrected  # type: ignore[union-attr]


def test_a_bad_correction_is_refused_with_a_sentence(qtbot: QtBot, fair_store: Store) -> None:
    page = _open(qtbot, fair_store, "Injunction: hydraulic pump")
    page.correct_situation()
    dialog = next(
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, SituationDialog) and w.isVisible()
    )
    dialog.mode.setCurrentIndex(1)
    dialog.where.setText("Germany")
    dialog.save()
    assert dialog.isVisible() and "respondent/ex_parte_order_served/DE" in dialog.error.text()
    assert not cases.get_case(fair_store, page.case_id).situation.corrected  # type: ignore[union-attr]
    dialog.reject()


def _timeline_changes(page: CaseDetailPage) -> dict[str, list[str]]:
    """The Timeline tab as the user reads it: each "What" with its "Change" texts."""
    model = page.timeline_model
    lines: dict[str, list[str]] = {}
    for row in range(model.rowCount()):
        what = model.data(model.index(row, 1))
        lines.setdefault(str(what), []).append(str(model.data(model.index(row, 2))))
    return lines


def test_the_timeline_names_edited_fields_and_situations_in_the_users_language(
    qtbot: QtBot, fair_store: Store
) -> None:
    case_id = next(
        r.id
        for r in cases.list_cases(fair_store, CaseFilter())
        if r.title == "Injunction: hydraulic pump"
    )
    cases.edit_case(fair_store, case_id, cases.CaseEdit(booth="B22", summary="Moved next door"))
    party = cases.get_case(fair_store, case_id).parties[0]
    cases.edit_party(fair_store, party.id, {"contact": "+49 511 000", "reference": "4a O 1/26"})
    cases.edit_case(
        fair_store,
        case_id,
        cases.CaseEdit(situation="respondent/ex_parte_order_served/UPC"),
        reason="UPC order",
    )
    set_language("zh_CN")
    lines = _timeline_changes(_open(qtbot, fair_store, "Injunction: hydraulic pump"))
    # Stored as "booth, summary" and "<party>: contact, reference"; read in Chinese.
    assert lines["已编辑"] == ["展位、案情摘要"]
    assert lines["当事人已修改"] == [f"{party.name}: 联系方式、案号"]
    # Stored as the key "respondent/ex_parte_order_served/UPC"; read as the case page says it.
    assert lines["情形已更正"] == [
        "已送达：单方法院禁令，统一专利法院（UPC）——您是被申请人/被投诉方"
    ]
    set_language("en")
    cases.edit_case(fair_store, case_id, cases.CaseEdit(situation=None), reason="back")
    lines = _timeline_changes(_open(qtbot, fair_store, "Injunction: hydraulic pump"))
    assert lines["Edited"] == ["Booth, Summary"]
    assert sorted(lines["Situation corrected"]) == [
        "Served: ex-parte court order, Unified Patent Court (UPC) — you are the respondent",
        "Use the computed situation",
    ]
