"""Every item model passes qtmodeltester, and the case table loads lazily and drops stale answers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from pytestqt.modeltest import ModelTester

from fairdesk import cases
from fairdesk.cases import CaseFilter, PartyRow
from fairdesk.model import Level, PartyRole
from fairdesk.quickread import CaseRow
from fairdesk.store import Store
from tests.ui.conftest import NOW
from ui.models import cases as case_models
from ui.models.cases import CaseTableModel
from ui.models.deadlines import DeadlineTableModel
from ui.models.rows import RowsTableModel
from ui.tasks import runner, set_synchronous


def _column(model: CaseTableModel, key: str) -> list[str]:
    col = next(i for i, c in enumerate(case_models.COLUMNS) if c.key == key)
    return [model.data(model.index(r, col)) for r in range(model.rowCount())]


def test_case_model_passes_modeltester(demo_store: Store, qtmodeltester: ModelTester) -> None:
    model = CaseTableModel(demo_store)
    model.reload()
    assert model.rowCount() == 14
    qtmodeltester.check(model)
    model.sort(1, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(model)


def test_case_model_sorts_and_filters_in_sql(demo_store: Store) -> None:
    model = CaseTableModel(demo_store)
    model.reload(CaseFilter(levels=(Level.RED,)))
    assert model.rowCount() == 5
    assert set(_column(model, "level")) == {"Red"}
    model.reload(CaseFilter())
    model.sort(1, Qt.SortOrder.DescendingOrder)  # number
    numbers = _column(model, "number")
    assert numbers == sorted(numbers, reverse=True)
    model.sort(0, Qt.SortOrder.AscendingOrder)  # level: red, then yellow, then blue
    ranks = {"Red": 0, "Yellow": 1, "Blue": 2}
    levels = [ranks[text] for text in _column(model, "level")]
    assert levels == sorted(levels)


def test_case_model_fetches_rows_lazily(demo_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(case_models, "BLOCK", 3)
    monkeypatch.setattr(case_models, "FIRST_SCREEN", 3)
    fetched: list[int] = []
    real = demo_store.reader.rows_by_id

    def counting(ids: list[str]) -> dict[str, cases.CaseRow]:
        fetched.append(len(ids))
        return real(ids)

    real_first = demo_store.reader.first_screen

    def counting_first(
        *args: object, **kwargs: object
    ) -> tuple[int, list[str], dict[str, cases.CaseRow]]:
        answer = real_first(*args, **kwargs)  # type: ignore[arg-type]
        fetched.append(len(answer[2]))
        return answer

    monkeypatch.setattr(demo_store.reader, "rows_by_id", counting)
    monkeypatch.setattr(demo_store.reader, "first_screen", counting_first)
    model = CaseTableModel(demo_store)
    model.reload()
    assert model.rowCount() == 14
    assert fetched == [3]  # only the first block came with the ids
    last = model.index(13, 2)
    assert model.data(last)  # a row far down is fetched on demand, a block at a time
    assert len(fetched) == 2 and fetched[1] <= 3
    assert sum(fetched) < 14  # rows never looked at were never read


def test_case_model_shows_the_first_screen_before_every_id(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16: the count and the first screen come first (a LIMIT query), every id after;
    in between, rows below the first screen read as empty and cannot be opened."""
    monkeypatch.setattr(case_models, "FIRST_SCREEN", 3)
    real = demo_store.reader.case_ids
    expected = real()
    model = CaseTableModel(demo_store)
    seen: dict[str, object] = {}

    def every_id(*args: object, **kwargs: object) -> list[str]:
        # Runs when the table already shows the first step's answer.
        seen["rows"], seen["loading"] = model.rowCount(), model.loading
        seen["first_ids"] = [
            model.data(model.index(r, 0), Qt.ItemDataRole.UserRole) for r in range(3)
        ]
        seen["below"] = model.data(model.index(5, 2))
        seen["below_id"] = model.data(model.index(5, 0), Qt.ItemDataRole.UserRole)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(demo_store.reader, "case_ids", every_id)
    counted: list[int] = []
    loaded: list[int] = []
    model.counted.connect(counted.append)
    model.loaded.connect(loaded.append)
    model.reload()
    assert seen == {
        "rows": 14,
        "loading": False,
        "first_ids": expected[:3],
        "below": None,
        "below_id": None,
    }
    assert counted == [14] and loaded == [14]
    assert model.ids() == expected
    assert all(_column(model, "title"))  # every row readable once every id is known


def test_case_model_drops_stale_results(demo_store: Store, qtbot: object) -> None:
    from pytestqt.qtbot import QtBot

    assert isinstance(qtbot, QtBot)
    set_synchronous(False)
    model = CaseTableModel(demo_store)
    # Two searches in flight on two reader threads: whichever finishes last, the table
    # must end up showing the answer to the newest one.
    model.reload(CaseFilter(search="nothing-matches-this"))
    model.reload(CaseFilter(search="Hydraulic"))
    qtbot.waitUntil(lambda: not model.loading, timeout=30000)
    runner().wait_idle()
    QCoreApplication.processEvents()  # deliver any queued (stale) answer; it must be ignored
    assert model.rowCount() == 1
    assert "Hydraulic" in _column(model, "title")[0]


def test_deadline_model_passes_modeltester(demo_store: Store, qtmodeltester: ModelTester) -> None:
    model = DeadlineTableModel("Asia/Shanghai", NOW)
    model.set_rows(cases.open_deadlines(demo_store))
    qtmodeltester.check(model)
    model.tick(NOW + timedelta(days=40))
    qtmodeltester.check(model)


def test_rows_model_passes_modeltester(qtmodeltester: ModelTester) -> None:
    model: RowsTableModel[PartyRow] = RowsTableModel(
        [("Name", lambda r: r.name), ("Organisation", lambda r: r.organisation)]
    )
    model.set_rows(
        [
            PartyRow("1", PartyRole.COMPLAINANT, "A", "B", ""),
            PartyRow("2", PartyRole.WITNESS, "C", "", ""),
        ]
    )
    qtmodeltester.check(model)
    assert model.data(model.index(1, 0)) == "C"
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Organisation"


def test_case_model_takes_the_early_first_screen_only_for_the_rows_it_asked_for(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16: the window reads the first screen while it is built; the model's first load
    uses that answer when it asks for the same filter and sort, and reads itself otherwise."""
    calls: list[tuple[object, ...]] = []
    real = case_models.load_first_screen

    def counting(store: Store, *query: Any) -> tuple[int, list[str], dict[str, CaseRow]]:
        calls.append(query)
        return real(store, *query)

    monkeypatch.setattr(case_models, "load_first_screen", counting)
    expected = demo_store.reader.case_ids()

    model = CaseTableModel(demo_store, early=case_models.early_first_screen(demo_store))
    model.sort(0, Qt.SortOrder.AscendingOrder)  # what the Cases page does: level, ascending
    assert calls == [(CaseFilter(), "level", False)]  # the early read, and no second one
    assert model.ids() == expected and model.rowCount() == 14

    calls.clear()
    other = CaseTableModel(demo_store, early=case_models.early_first_screen(demo_store))
    other.sort(1, Qt.SortOrder.DescendingOrder)  # a different order: the early answer is not it
    assert calls == [(CaseFilter(), "level", False), (CaseFilter(), "number", True)]
    assert other.ids() == demo_store.reader.case_ids(sort="number", descending=True)
    assert _column(other, "number") == sorted(_column(other, "number"), reverse=True)
