"""The look of the app: level colours with their icons, spacing and one stylesheet.

Level colours (red #C62828, amber #F9A825 with dark text, blue #1565C0) are never the only
cue: every level is also drawn with its own shape (octagon, triangle, circle) and its name.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

from fairdesk.enums import Level

LEVEL_BACKGROUND = {Level.RED: "#C62828", Level.YELLOW: "#F9A825", Level.BLUE: "#1565C0"}
LEVEL_FOREGROUND = {Level.RED: "#FFFFFF", Level.YELLOW: "#212121", Level.BLUE: "#FFFFFF"}
OVERDUE_TEXT = "#C62828"
MUTED_TEXT = "#5F6368"
SPACING = 12

STYLESHEET = """
QMainWindow, QDialog { background: #F7F8FA; }
QListWidget#navigation { background: #1F2933; color: #E4E7EB; border: none; font-size: 11pt;
    padding-top: 8px; outline: 0; }
QListWidget#navigation::item { padding: 10px 14px; border-radius: 6px; margin: 2px 8px; }
QListWidget#navigation::item:selected { background: #3E4C59; color: #FFFFFF; }
QListWidget#navigation::item:hover:!selected { background: #323F4B; }
QLabel#pageTitle { font-size: 17pt; font-weight: bold; color: #1F2933; }
QLabel#subtitle { color: #5F6368; }
QLabel#fieldError { color: #C62828; }
QLabel#formError { color: #C62828; font-weight: bold; }
QLabel#sectionTitle { font-weight: bold; color: #1F2933; font-size: 11pt; }
QTableView { background: #FFFFFF; alternate-background-color: #F5F7FA; gridline-color: #E4E7EB;
    selection-background-color: #D0E2FF; selection-color: #1F2933; border: 1px solid #D9DDE3; }
QHeaderView::section { background: #EEF1F4; padding: 5px 6px; border: none;
    border-right: 1px solid #D9DDE3; border-bottom: 1px solid #D9DDE3; font-weight: bold; }
QLineEdit, QPlainTextEdit {
    background: #FFFFFF; border: 1px solid #C4CAD2; border-radius: 4px; padding: 4px 6px; }
QLineEdit:focus, QPlainTextEdit:focus { border: 1px solid #1565C0; }
QLineEdit[invalid="true"], QComboBox[invalid="true"], QPlainTextEdit[invalid="true"] {
    border: 1px solid #C62828; }
QPushButton { background: #FFFFFF; border: 1px solid #C4CAD2; border-radius: 4px;
    padding: 5px 14px; }
QPushButton:hover { background: #EEF1F4; }
QPushButton:default, QPushButton#primary { background: #1565C0; color: #FFFFFF;
    border: 1px solid #0D47A1; }
QPushButton:default:hover, QPushButton#primary:hover { background: #0D47A1; }
QTabWidget::pane { border: 1px solid #D9DDE3; background: #FFFFFF; top: -1px; }
QTabBar::tab { padding: 6px 14px; border: 1px solid #D9DDE3; border-bottom: none;
    background: #EEF1F4; margin-right: 2px; }
QTabBar::tab:selected { background: #FFFFFF; }
QFrame#card { background: #FFFFFF; border: 1px solid #D9DDE3; border-radius: 6px; }
QStatusBar { background: #EEF1F4; color: #3E4C59; }
"""


def _shape(level: Level, rect: QRectF) -> QPainterPath:
    path = QPainterPath()
    if level is Level.RED:  # octagon: the "stop" shape
        cx, cy, r = rect.center().x(), rect.center().y(), rect.width() / 2
        k = r * 0.4142
        points = [(-k, -r), (k, -r), (r, -k), (r, k), (k, r), (-k, r), (-r, k), (-r, -k)]
        path.addPolygon(QPolygonF([QPointF(cx + x, cy + y) for x, y in points]))
        path.closeSubpath()
    elif level is Level.YELLOW:  # triangle: "caution"
        path.addPolygon(
            QPolygonF(
                [
                    QPointF(rect.center().x(), rect.top()),
                    QPointF(rect.right(), rect.bottom()),
                    QPointF(rect.left(), rect.bottom()),
                ]
            )
        )
        path.closeSubpath()
    else:  # circle: "information"
        path.addEllipse(rect)
    return path


@cache
def level_pixmap(level: Level, size: int = 16) -> QPixmap:
    """The level's shape in its colour with a glyph inside (``!`` or ``i``)."""
    scale = 2  # drawn at twice the size so it stays sharp on high-DPI screens
    pixmap = QPixmap(size * scale, size * scale)
    pixmap.setDevicePixelRatio(scale)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    rect = QRectF(0.5, 0.5, size - 1, size - 1)
    painter.setPen(QPen(QColor("#FFFFFF") if level is not Level.YELLOW else QColor("#7A5C00"), 0.8))
    painter.setBrush(QColor(LEVEL_BACKGROUND[level]))
    painter.drawPath(_shape(level, rect))
    font = QFont()
    font.setBold(True)
    font.setPixelSize(int(size * 0.62))
    painter.setFont(font)
    painter.setPen(QColor(LEVEL_FOREGROUND[level]))
    text_rect = rect.adjusted(0, size * 0.12, 0, 0) if level is Level.YELLOW else rect
    painter.drawText(text_rect, Qt.AlignmentFlag.AlignCenter, "i" if level is Level.BLUE else "!")
    painter.end()
    return pixmap


def level_icon(level: Level) -> QIcon:
    return QIcon(level_pixmap(level))
