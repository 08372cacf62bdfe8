"""A warning level shown as a coloured pill with its shape icon and its name (never colour alone)."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from fairdesk.model import Level
from ui.formatting import label
from ui.theme import LEVEL_BACKGROUND, LEVEL_FOREGROUND, level_pixmap


class LevelBadge(QWidget):
    def __init__(self, level: Level = Level.BLUE, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("levelBadge")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.icon = QLabel()
        self.text = QLabel()
        layout.addWidget(self.icon)
        layout.addWidget(self.text)
        self.level = level
        self.set_level(level)

    def set_level(self, level: Level, suffix: str = "") -> None:
        self.level = level
        self.icon.setPixmap(level_pixmap(level, 20))
        self.text.setText(label(level) + (f" · {suffix}" if suffix else ""))
        self.text.setStyleSheet(
            f"background: {LEVEL_BACKGROUND[level]}; color: {LEVEL_FOREGROUND[level]};"
            "border-radius: 9px; padding: 2px 10px; font-weight: bold;"
        )
        self.setToolTip(self.text.text())
