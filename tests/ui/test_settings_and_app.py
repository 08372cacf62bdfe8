"""Settings persist; the language switch rebuilds the window in Chinese; start-up refuses a
data folder it cannot use with a dialog and creates nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from fairdesk.i18n import current_language, set_language
from fairdesk.store import open_store
from ui import app as ui_app
from ui import settings
from ui.app import Application
from ui.main_window import MainWindow


def test_home_zone_is_validated_and_persisted(qtbot: QtBot, demo_store: object) -> None:
    from fairdesk.store import Store

    assert isinstance(demo_store, Store)
    window = MainWindow(demo_store)
    qtbot.addWidget(window)
    window.show_page("settings")
    page = window.settings
    assert page.data_dir.text() == str(demo_store.data_dir) and page.data_dir.isReadOnly()
    zone_box = page.home_zone.field
    zone_box.setCurrentText("Mars/Olympus_Mons")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert page.home_zone.error.text() == "Unknown time zone: Mars/Olympus_Mons"
    assert settings.HOME_TIME_ZONE.get() == "Asia/Shanghai"
    zone_box.setCurrentText("Europe/Berlin")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert page.home_zone.error.text() == ""
    assert settings.HOME_TIME_ZONE.get() == "Europe/Berlin"
    assert "Europe/Berlin" in settings.settings_file().read_text()
    # Today's home-time column follows the new setting.
    assert str(window.today.model.data(window.today.model.index(0, 5))).endswith(("CET", "CEST"))


def test_a_setting_set_to_the_value_it_has_writes_nothing(tmp_path: Path) -> None:
    """Every start sets the data folder, nearly always the one already saved: the settings
    file (rewritten whole by each write) is then left as it is."""
    folder = str(tmp_path / "data")
    settings.LAST_DATA_DIR.set(folder)
    written = settings.settings_file()
    written.write_text(written.read_text() + "; a comment only a rewrite would drop\n")
    settings.LAST_DATA_DIR.set(folder)
    assert "a comment only a rewrite would drop" in written.read_text()  # not rewritten
    settings.LAST_DATA_DIR.set(str(tmp_path / "other"))
    assert "a comment only a rewrite would drop" not in written.read_text()
    assert settings.LAST_DATA_DIR.get() == str(tmp_path / "other")


def test_language_switch_rebuilds_the_window_in_chinese(qtbot: QtBot, demo_store: object) -> None:
    from fairdesk.store import Store

    assert isinstance(demo_store, Store)
    controller = Application(QApplication.instance(), demo_store)  # type: ignore[arg-type]
    window = controller.build_window()
    qtbot.addWidget(window)
    window.show_page("settings")
    page = window.settings
    page.language.setCurrentIndex(page.language.findData("zh_CN"))
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    new = controller.window
    assert new is not None and new is not window
    qtbot.addWidget(new)
    try:
        assert current_language() == "zh_CN"
        assert settings.LANGUAGE.get() == "zh_CN"
        nav = [new.navigation.item(i).text() for i in range(new.navigation.count())]
        assert nav[:2] == ["今日", "案件"] and "设置" in nav
        assert new.current_key() == "settings"  # the user stays where they were
        assert new.cases.summary.text() == "共 14 件案件"
        new.open_case(new.cases.model.case_id(0))  # red first
        assert new.case_detail.badge.text.text() == "红色"
        assert new.case_detail.tabs.tabText(0) == "详情"
        assert not window.isVisible()
    finally:
        ui_app.apply_language(QApplication.instance(), "en")  # type: ignore[arg-type]


def _run_main_expecting_dialog(argv: list[str]) -> tuple[int, str]:
    seen: list[str] = []

    def close_dialog() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(box.text())
            box.done(0)
        else:
            QTimer.singleShot(20, close_dialog)

    QTimer.singleShot(0, close_dialog)
    code = ui_app.main(argv)
    return code, "\n".join(seen)


def test_newer_schema_gives_a_dialog_and_changes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    open_store(data).close()
    db = sqlite3.connect(data / "fairdesk.sqlite3")
    db.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    db.commit()
    db.close()

    def snapshot() -> dict[str, bytes]:
        # Logs may be written; anything else (a backup, a new database) would be damage.
        return {
            str(p.relative_to(data)): p.read_bytes()
            for p in data.rglob("*")
            if p.is_file() and p.relative_to(data).parts[0] != "logs"
        }

    before = snapshot()
    code, message = _run_main_expecting_dialog(["--data-dir", str(data)])
    assert code == ui_app.EXIT_STORE_ERROR
    assert "newer FairDesk" in message and "Nothing was changed" in message
    assert snapshot() == before  # no backup, no migration, no new empty database


def test_unusable_folder_gives_a_dialog_in_chinese(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    try:
        code, message = _run_main_expecting_dialog(
            ["--data-dir", str(blocker / "data"), "--lang", "zh_CN"]
        )
    finally:
        set_language("en")
        ui_app.apply_language(QApplication.instance(), "en")  # type: ignore[arg-type]
    assert code == ui_app.EXIT_STORE_ERROR
    assert "未做任何更改" in message
    assert blocker.is_file()
