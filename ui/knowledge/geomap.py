"""A geographic world map of the destinations: Natural Earth country outlines (shipped, offline)
in an equirectangular projection, each country shaded by its risk score.

Same interface as the tile map it replaces (``set_scores``, ``scores``, ``colour``,
``tile_at``), so the page and its tests treat both alike. Countries too small for the 1:110m
shapes (Hong Kong, Singapore) or not countries at all (UPC) are listed under the drawing with
their scores, so no score is hidden.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from fairdesk.geo import countries, country_name
from fairdesk.i18n import _
from ui.knowledge.worldmap import TileWorldMap
from ui.theme import EMPTY_FILL, MUTED_TEXT, WATER, WHITE

LAT_TOP, LAT_BOTTOM = 84.0, -58.0  # Antarctica left out: no fairs there


class GeoWorldMap(TileWorldMap):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._paths: list[tuple[str, str, QPainterPath]] = []
        self._size = (0, 0)

    def _map_rect(self) -> QRectF:
        height = max(1.0, self.height() - 40.0)
        width = float(self.width())
        # Keep the 360:142 aspect of the projected world.
        scale = min(width / 360.0, height / (LAT_TOP - LAT_BOTTOM))
        w, h = 360.0 * scale, (LAT_TOP - LAT_BOTTOM) * scale
        return QRectF((width - w) / 2, 0, w, h)

    def paths(self) -> list[tuple[str, str, QPainterPath]]:
        """(code, name, outline) per country, projected to the widget's current size."""
        if self._size != (self.width(), self.height()):
            rect = self._map_rect()
            sx = rect.width() / 360.0
            sy = rect.height() / (LAT_TOP - LAT_BOTTOM)
            self._paths = []
            for code, name, rings in countries():
                path = QPainterPath()
                for ring in rings:
                    points = [
                        QPointF(rect.left() + (lon + 180.0) * sx, (LAT_TOP - lat) * sy)
                        for lon, lat in ring
                    ]
                    if points:
                        path.moveTo(points[0])
                        for p in points[1:]:
                            path.lineTo(p)
                        path.closeSubpath()
                self._paths.append((code, name, path))
            self._size = (self.width(), self.height())
        return self._paths

    def not_drawn(self) -> list[str]:
        """Codes with a score but no outline on this map (listed under it)."""
        drawn = {code for code, _name, _path in self.paths() if code}
        return sorted(c for c, s in self.scores.items() if s > 0 and c not in drawn)

    def tile_at(self, point: object) -> str | None:
        at = point.toPointF() if hasattr(point, "toPointF") else point
        for code, _name, path in self.paths():
            if code and path.contains(at):  # type: ignore[arg-type]
                return code
        return None

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self._map_rect(), QColor(WATER))
        painter.setPen(QPen(QColor(WHITE), 0.6))
        painter.setClipRect(self._map_rect())
        for code, name, path in self.paths():
            if name == "Antarctica":  # below LAT_BOTTOM: would only be a stripe at the edge
                continue
            painter.setBrush(self.colour(code) if code else QColor(EMPTY_FILL))
            painter.drawPath(path)
        painter.setClipping(False)
        font = painter.font()
        font.setPixelSize(12)
        painter.setFont(font)
        painter.setPen(QColor(MUTED_TEXT))
        extra = self.not_drawn()
        lines = [_("Darker = higher risk score; grey = no cases or alerts. Hover for details.")]
        if extra:
            lines.insert(
                0,
                _("Not drawn at this scale: {list}").format(
                    list=", ".join(f"{country_name(c)} {self.scores[c]}" for c in extra)
                ),
            )
        for n, text in enumerate(reversed(lines)):
            painter.drawText(
                QRectF(0, self.height() - 20 * (n + 1), self.width(), 20),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                text,
            )
        painter.end()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        code = self.tile_at(event.position())
        if code is None:
            QToolTip.hideText()
            return
        text = _("{country}: score {score}").format(
            country=country_name(code), score=self.scores.get(code, 0)
        )
        QToolTip.showText(event.globalPosition().toPoint(), text, self)
