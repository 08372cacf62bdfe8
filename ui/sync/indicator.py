"""The status-bar indicator: offline / syncing (progress, speed) / up to date / needs attention."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QLabel, QWidget

from fairdesk.i18n import _
from sync.client.engine import Progress
from ui.sync.controller import (
    ATTENTION,
    OFFLINE,
    SIGN_IN,
    SYNCING,
    UP_TO_DATE,
    SyncController,
    state_text,
)
from ui.theme import AMBER, BLUE, GREEN, MUTED_TEXT, RED

# A coloured dot *and* words: colour is never the only signal (docs/architecture.md, UI conventions).
_DOTS = {
    UP_TO_DATE: GREEN,
    SYNCING: BLUE,
    OFFLINE: MUTED_TEXT,
    SIGN_IN: AMBER,
    ATTENTION: RED,
}


def human_bytes(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GB"


class SyncIndicator(QLabel):
    clicked = Signal()

    def __init__(self, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("syncIndicator")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.controller = controller
        controller.state_changed.connect(self.show_state)
        controller.progress.connect(self.show_progress)
        self.show_state(controller.state, controller.detail)

    def show_state(self, state: str, detail: str) -> None:
        colour = _DOTS.get(state, MUTED_TEXT)
        self.setText(f'<span style="color:{colour}">●</span> {state_text(state)}')
        self.setToolTip(detail or _("Click to open the Sync page"))

    def show_progress(self, progress: Progress) -> None:
        if progress.phase == "upload" and progress.total:
            pct = int(100 * progress.done / max(progress.total, 1))
            text = _("Syncing: photo {pct}% · {speed}/s").format(
                pct=pct, speed=human_bytes(progress.bytes_per_second)
            )
        elif progress.phase == "push":
            text = _("Syncing: sending changes")
        else:
            text = _("Syncing: receiving HQ's changes")
        self.setText(f'<span style="color:{_DOTS[SYNCING]}">●</span> {text}')

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.clicked.emit()
        super().mousePressEvent(event)
