"""First-start dialog, About dialog, crash notice and the smoke-exit start-up path (ui/startup.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from fairdesk import __version__, cases, crashreport, firstrun
from fairdesk.store import DB_NAME, open_store
from ui import app as ui_app
from ui import startup
from ui import sync as ui_sync
from ui.about import AboutDialog, show_about
from ui.crash_notice import CrashNotifier
from ui.first_run import FirstRunDialog, ask_first_run


@pytest.fixture(autouse=True)
def _no_crash_hooks_left() -> Iterator[None]:
    yield
    crashreport.uninstall()


@pytest.fixture
def no_sync_start(monkeypatch: pytest.MonkeyPatch) -> None:
    # The window starts the sync worker 1.5 s after it is shown; these start-ups quit after
    # 50 ms and close their store, so it must not start later in another test's event loop.
    monkeypatch.setattr(ui_sync, "start_with_window", lambda _window, _store: None)


def _case_count(data_dir: Path) -> int:
    store = open_store(data_dir, create=False)
    try:
        return len(cases.list_cases(store))
    finally:
        store.close()


def test_start_empty_creates_the_folder_without_cases(qtbot: QtBot, data_dir: Path) -> None:
    dialog = FirstRunDialog(data_dir)
    qtbot.addWidget(dialog)
    assert dialog.path_label.text() == str(data_dir)
    dialog.empty_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.result_info is not None and dialog.result_info.start is firstrun.Start.EMPTY
    assert _case_count(data_dir) == 0


def test_demo_start_creates_the_demo_cases(qtbot: QtBot, data_dir: Path) -> None:
    dialog = FirstRunDialog(data_dir)
    qtbot.addWidget(dialog)
    dialog.demo_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.result_info is not None
    assert _case_count(data_dir) == dialog.result_info.demo_cases >= 10


def test_quitting_creates_nothing(qtbot: QtBot, data_dir: Path) -> None:
    dialog = FirstRunDialog(data_dir)
    qtbot.addWidget(dialog)
    dialog.quit_button.click()
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert not data_dir.exists()


def test_a_folder_that_cannot_be_created_is_explained_and_the_choice_stays_open(
    qtbot: QtBot, tmp_path: Path
) -> None:
    blocker = tmp_path / "usb-stick-removed"
    blocker.write_text("a file where a folder is needed")
    dialog = FirstRunDialog(blocker / "data")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.empty_button.click()
    assert dialog.isVisible() and dialog.result_info is None
    assert "cannot create the data folder" in dialog.status.text()
    assert dialog.empty_button.isEnabled() and dialog.quit_button.isEnabled()


def test_preset_answer_skips_the_question(
    qtbot: QtBot, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(firstrun.PRESET_ENV, "demo")
    assert ask_first_run(data_dir) is True
    assert _case_count(data_dir) >= 10
    assert ask_first_run(data_dir) is True  # no longer new: nothing asked, nothing added


def test_about_lists_the_font_and_libraries_with_licence_text(
    qtbot: QtBot, demo_store: object
) -> None:
    parent = QWidget()
    parent.store = demo_store  # type: ignore[attr-defined]
    qtbot.addWidget(parent)
    dialog = show_about(parent)
    qtbot.waitUntil(lambda: dialog.table.rowCount() > 10)
    items = [dialog.table.item(r, 0) for r in range(dialog.table.rowCount())]
    names = [item.text() if item else "" for item in items]
    assert names[:2] == ["DejaVu Sans", "Noto Sans SC"]
    assert "PySide6" in names and "reportlab" in names
    assert "BITSTREAM VERA" in dialog.licence_text.toPlainText().upper()  # first row selected
    dialog.table.selectRow(1)
    assert "SIL OPEN FONT LICENSE" in dialog.licence_text.toPlainText().upper()
    assert f"FairDesk {__version__}" in dialog.details()
    assert str(demo_store.data_dir) in dialog.facts.text()  # type: ignore[attr-defined]
    dialog.copy_button.click()
    assert QApplication.clipboard().text() == dialog.details()
    dialog.table.selectRow(names.index("PySide6"))
    assert "LGPL" in dialog.licence_text.toPlainText()


def test_about_in_chinese(qtbot: QtBot) -> None:
    from fairdesk.i18n import set_language, translate

    set_language("zh_CN")
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == translate("About FairDesk", "zh_CN") != "About FairDesk"
    assert dialog.copy_button.text() == "复制版本信息"
    set_language("en")


def test_crash_notice_from_a_worker_thread_shows_one_dialog(qtbot: QtBot, tmp_path: Path) -> None:
    notifier = CrashNotifier()
    first, second = tmp_path / "crash-1.txt", tmp_path / "crash-2.txt"
    threads = [threading.Thread(target=notifier, args=(p,)) for p in (first, second)]
    for thread in threads:
        thread.start()
        thread.join()
    qtbot.waitUntil(lambda: len(notifier.shown) == 2)
    assert notifier.box is not None and notifier.box.isVisible()
    assert str(first) in notifier.box.text() and "no case content" in notifier.box.text()
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
    assert [b for b in boxes if b.isVisible()] == [notifier.box]  # not stacked
    notifier.box.close()


@pytest.mark.usefixtures("no_sync_start")
def test_smoke_start_opens_the_window_and_exits_zero(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What installer/check_frozen.py does with the frozen app, here from source."""
    monkeypatch.setenv(startup.SMOKE_ENV, "50")
    monkeypatch.setenv(firstrun.PRESET_ENV, "demo")
    monkeypatch.setattr("sys.excepthook", lambda *args: None)
    assert ui_app.main(["--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "FAIRDESK_SMOKE ok" in out and "title='FairDesk'" in out
    assert (data_dir / DB_NAME).exists() and _case_count(data_dir) >= 10
    reporter = crashreport.current()  # installed for the folder the app opened
    assert reporter is not None and reporter.logs_dir == data_dir / "logs"
    for widget in QApplication.topLevelWidgets():
        widget.close()


@pytest.mark.usefixtures("no_sync_start")
def test_smoke_start_fails_when_a_crash_was_reported(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(startup.SMOKE_ENV, "50")
    monkeypatch.setenv(firstrun.PRESET_ENV, "empty")
    monkeypatch.setattr("sys.excepthook", lambda *args: None)

    def broken_slot() -> None:
        try:
            raise RuntimeError("a slot failed")
        except RuntimeError as exc:
            reporter = crashreport.current()
            assert reporter is not None
            reporter.write(exc)

    QTimer.singleShot(10, broken_slot)
    assert ui_app.main(["--data-dir", str(data_dir)]) == startup.EXIT_SMOKE_CRASHED
    assert "FAIRDESK_SMOKE crashed" in capsys.readouterr().out
    assert list((data_dir / "logs").glob("crash-*.txt"))
    for widget in QApplication.topLevelWidgets():
        widget.close()
