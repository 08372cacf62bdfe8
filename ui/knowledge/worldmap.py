"""A tile map of the world: one square per country, roughly where it lies, coloured by risk.

A real map projection would need geographic data we do not ship; a tile grid shows the
same ranking at a glance and stays readable at any size. Countries FairDesk has no tile for
are placed in a row underneath, so no score is ever hidden.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from fairdesk.geo import country_name
from fairdesk.i18n import _
from ui.theme import EMPTY_FILL, HEAT_LOW, INK_SOFT, MUTED_TEXT, RED, WHITE

TILES: dict[str, tuple[int, int]] = {
    "CA": (1, 0),
    "US": (1, 1),
    "MX": (1, 2),
    "CL": (1, 5),
    "AR": (2, 5),
    "BR": (3, 4),
    "GB": (6, 0),
    "SE": (8, 0),
    "RU": (12, 0),
    "BE": (6, 1),
    "NL": (7, 1),
    "DE": (8, 1),
    "PL": (9, 1),
    "FR": (6, 2),
    "CH": (7, 2),
    "AT": (8, 2),
    "CZ": (9, 2),
    "TR": (10, 2),
    "PT": (5, 3),
    "ES": (6, 3),
    "IT": (7, 3),
    "MA": (6, 4),
    "EG": (8, 4),
    "SA": (10, 4),
    "AE": (11, 4),
    "NG": (7, 5),
    "KE": (9, 5),
    "ZA": (8, 6),
    "IN": (11, 3),
    "CN": (13, 2),
    "KR": (14, 2),
    "JP": (15, 2),
    "HK": (13, 3),
    "TW": (14, 3),
    "TH": (12, 4),
    "VN": (13, 4),
    "MY": (12, 5),
    "SG": (13, 5),
    "ID": (14, 5),
    "AU": (15, 6),
}
COLUMNS, ROWS = 17, 8
LOW, HIGH, EMPTY = QColor(HEAT_LOW), QColor(RED), QColor(EMPTY_FILL)


class TileWorldMap(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scores: dict[str, int] = {}
        self.setMouseTracking(True)
        self.setMinimumSize(QSize(420, 220))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_scores(self, scores: dict[str, int]) -> None:
        self.scores = dict(scores)
        self.update()

    def positions(self) -> dict[str, tuple[int, int]]:
        """Every tile's (column, row), including those for countries not on the grid."""
        placed = {code: pos for code, pos in TILES.items()}
        extra = sorted(code for code in self.scores if code not in TILES)
        for n, code in enumerate(extra):
            placed[code] = (n % COLUMNS, ROWS - 1 + n // COLUMNS)
        return placed

    def colour(self, code: str) -> QColor:
        score = self.scores.get(code, 0)
        top = max(self.scores.values(), default=0)
        if score <= 0 or top <= 0:
            return EMPTY
        t = 0.25 + 0.75 * score / top  # even the lowest score is visibly coloured
        return QColor.fromRgbF(
            LOW.redF() + (HIGH.redF() - LOW.redF()) * t,
            LOW.greenF() + (HIGH.greenF() - LOW.greenF()) * t,
            LOW.blueF() + (HIGH.blueF() - LOW.blueF()) * t,
        )

    def _cell(self) -> float:
        rows = max(r for _c, r in self.positions().values()) + 1
        return min(self.width() / COLUMNS, (self.height() - 24) / rows)

    def tile_at(self, point: QPoint) -> str | None:
        cell = self._cell()
        for code, (col, row) in self.positions().items():
            if QRectF(col * cell, row * cell, cell, cell).contains(point.toPointF()):
                return code
        return None

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        cell = self._cell()
        font = painter.font()
        font.setPixelSize(max(8, int(cell * 0.32)))
        font.setBold(True)
        painter.setFont(font)
        for code, (col, row) in self.positions().items():
            rect = QRectF(col * cell + 1, row * cell + 1, cell - 2, cell - 2)
            fill = self.colour(code)
            painter.setPen(QPen(QColor(WHITE), 1))
            painter.setBrush(fill)
            painter.drawRoundedRect(rect, 3, 3)
            dark = fill.lightnessF() < 0.55
            painter.setPen(QColor(WHITE) if dark else QColor(INK_SOFT))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, code)
        painter.setPen(QColor(MUTED_TEXT))
        legend = _(
            "Darker = higher risk score; grey = no cases or alerts. Hover a tile for details."
        )
        font.setBold(False)
        font.setPixelSize(12)
        painter.setFont(font)
        painter.drawText(
            QRectF(0, self.height() - 20, self.width(), 20),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            legend,
        )
        painter.end()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        code = self.tile_at(event.position().toPoint())
        if code is None:
            QToolTip.hideText()
            return
        text = _("{country}: score {score}").format(
            country=country_name(code), score=self.scores.get(code, 0)
        )
        QToolTip.showText(event.globalPosition().toPoint(), text, self)
