"""Set-up, unlock and the app lock in the real widgets (offscreen)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow
from pytestqt.qtbot import QtBot

from fairdesk import cases
from fairdesk.crypto import keys
from fairdesk.i18n import set_language
from fairdesk.model import Direction, Trigger
from fairdesk.store import open_store
from ui.protect.dialogs import RecoveryKeyDialog, SetupDialog, UnlockDialog
from ui.protect.lock import LockController
from ui.tasks import set_synchronous

PASS = 'booth 3 "hall" 展台'
SHOTS = Path(__file__).resolve().parents[3] / "build" / "screenshots" / "protect"


@pytest.fixture(autouse=True)
def _sync() -> Iterator[None]:
    set_synchronous(True)
    yield
    set_synchronous(False)


def _shot(widget: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(SHOTS / f"{name}.png"))  # type: ignore[attr-defined]


def test_first_run_setup_then_recovery_key(qtbot: QtBot, data_dir: Path, tmp_path: Path) -> None:
    dialog = SetupDialog(data_dir, existing=False)
    dialog.params = keys.TEST_KDF  # light Argon2 only in tests
    qtbot.addWidget(dialog)
    dialog.first.setText(PASS)
    dialog.second.setText(PASS + "typo")
    dialog.submit()
    assert "differ" in dialog.error.text() and not keys.is_encrypted(data_dir)
    dialog.second.setText(PASS)
    dialog.submit()
    assert dialog.result() == dialog.DialogCode.Accepted and dialog.result_key
    assert keys.unlock_with_passphrase(data_dir, PASS) == dialog.result_key
    shown = RecoveryKeyDialog(dialog.recovery_key)
    qtbot.addWidget(shown)
    label = shown.findChild(QLabel, "recoveryKey")
    assert label is not None and dialog.recovery_key in label.text()
    shown.save_to(tmp_path / "key.txt")
    saved = (tmp_path / "key.txt").read_text(encoding="utf-8")
    assert keys.unlock_with_recovery_key(data_dir, saved.splitlines()[-1]) == dialog.result_key
    _shot(shown, "recovery-key-en")


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_unlock_dialog_wrong_then_right(
    qtbot: QtBot, data_dir: Path, tmp_path: Path, lang: str
) -> None:
    set_language(lang)
    setup = keys.create_keyfile(data_dir, PASS, params=keys.TEST_KDF)
    clock = [0.0]
    guard = keys.AttemptGuard(data_dir, state_dir=tmp_path / "s", clock=lambda: clock[0])
    dialog = UnlockDialog(data_dir, guard=guard)
    qtbot.addWidget(dialog)
    dialog.secret.setText("wrong one")
    dialog.submit()
    assert dialog.error.text() and dialog.data_key is None
    _shot(dialog, f"unlock-wrong-{lang}")
    dialog.secret.setText(PASS)
    dialog.submit()  # too soon after a wrong attempt
    assert dialog.data_key is None and dialog.error.text()
    clock[0] += 5
    dialog.submit()
    assert dialog.data_key == setup.data_key
    if lang == "zh_CN":
        assert any("\u4e00" <= ch <= "\u9fff" for ch in dialog.windowTitle())


def test_lock_hides_everything_and_needs_the_passphrase(
    qtbot: QtBot, data_dir: Path, tmp_path: Path
) -> None:
    setup = keys.create_keyfile(data_dir, PASS, params=keys.TEST_KDF)
    store = open_store(data_dir, data_key=setup.data_key)
    cases.create_case(
        store,
        cases.CaseInput(
            title="SECRET strategy", direction=Direction.BY_US, trigger=Trigger.COPY_SPOTTED
        ),
    )
    window = QMainWindow()
    window.setWindowTitle("SECRET strategy")
    window.setCentralWidget(QLabel("SECRET strategy"))
    qtbot.addWidget(window)
    window.show()
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    controller = LockController(app, data_dir, idle_ms=60_000)
    try:
        qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
        assert controller.locked and not window.isVisible()
        screen = controller.screen
        assert screen is not None
        texts = " ".join(label.text() for label in screen.findChildren(QLabel))
        assert "SECRET" not in texts + screen.windowTitle()
        _shot(screen, "lock-screen-en")
        screen.unlock.guard = keys.AttemptGuard(data_dir, state_dir=tmp_path / "s")
        screen.unlock.secret.setText(PASS)
        screen.unlock.submit()
        assert not controller.locked and window.isVisible()
        controller.timer.timeout.emit()  # idle time elapsed
        assert controller.locked and not window.isVisible()
    finally:
        if controller.screen is not None:
            controller.screen.close()
        app.removeEventFilter(controller)
        store.close()
