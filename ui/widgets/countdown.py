"""A label that counts down to a deadline from the shared clock (no database access per tick)."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import QLabel, QWidget

from ui.clock import clock
from ui.formatting import countdown
from ui.theme import OVERDUE_TEXT


class CountdownLabel(QLabel):
    def __init__(self, due: datetime | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.due = due
        clock().tick.connect(self.update_text)
        self.update_text(clock().now())

    def set_due(self, due: datetime | None) -> None:
        self.due = due
        self.update_text(clock().now())

    def update_text(self, now: datetime) -> None:
        if self.due is None:
            self.setText("")
            return
        text, overdue = countdown(self.due, now)
        self.setText(text)
        self.setStyleSheet(f"color: {OVERDUE_TEXT}; font-weight: bold;" if overdue else "")
