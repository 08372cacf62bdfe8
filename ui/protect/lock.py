"""The app lock: after idle time or on Ctrl+L every window is hidden behind a lock screen.

The lock screen is a separate top-level window that shows nothing of the data (no case names,
no thumbnails, no window titles); the main windows are hidden, not just covered, so nothing
shows through in the task switcher either. Unlocking needs the passphrase (or recovery key).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from fairdesk.i18n import _
from ui.protect.dialogs import UnlockDialog

IDLE_MS = 10 * 60 * 1000
_ACTIVITY = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
}


class LockScreen(QWidget):
    def __init__(self, data_dir: Path) -> None:
        super().__init__()
        self.setWindowTitle("FairDesk")
        self.setObjectName("lockScreen")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        title = QLabel(_("FairDesk is locked"))
        title.setStyleSheet("font-size: 20pt; font-weight: bold;")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(title)
        self.unlock = UnlockDialog(data_dir, self)
        self.unlock.setWindowFlags(Qt.WindowType.Widget)
        self.unlock.buttons.button(self.unlock.buttons.StandardButton.Cancel).hide()
        layout.addWidget(self.unlock, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)
        self.resize(640, 420)


class LockController(QObject):
    """Watches activity application-wide; Ctrl+L locks at once."""

    def __init__(self, app: QApplication, data_dir: Path, idle_ms: int = IDLE_MS) -> None:
        super().__init__(app)
        self.app = app
        self.data_dir = data_dir
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(idle_ms)
        self.timer.timeout.connect(self.lock)
        self.hidden: list[QWidget] = []
        self.screen: LockScreen | None = None
        app.installEventFilter(self)
        self.timer.start()

    @property
    def locked(self) -> bool:
        return self.screen is not None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _ACTIVITY and not self.locked:
            self.timer.start()
        if (
            event.type() == QEvent.Type.KeyPress
            and not self.locked
            and QKeySequence(event.keyCombination()) == QKeySequence("Ctrl+L")  # type: ignore[attr-defined]
        ):
            self.lock()
            return True
        return False

    def lock(self) -> None:
        if self.locked:
            return
        self.timer.stop()
        self.hidden = [w for w in self.app.topLevelWidgets() if w.isVisible()]
        for widget in self.hidden:
            widget.hide()
        self.screen = LockScreen(self.data_dir)
        self.screen.unlock.accepted.connect(self.unlock)
        self.screen.show()

    def unlock(self) -> None:
        if self.screen is not None:
            self.screen.close()
            self.screen.deleteLater()
            self.screen = None
        for widget in self.hidden:
            widget.show()
        self.hidden = []
        self.timer.start()
