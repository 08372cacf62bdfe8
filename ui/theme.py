"""The look of the app: level colours with their icons, spacing and one stylesheet.

Level colours (red #C62828, amber #F9A825 with dark text, blue #1565C0) are never the only
cue: every level is also drawn with its own shape (octagon, triangle, circle) and its name.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

from fairdesk.enums import Level

# The palette: every colour the app draws with has a name here, so "error red" is one red.
RED = "#C62828"  # errors, overdue, the red level
AMBER = "#F9A825"  # the yellow level; too light for text on white
AMBER_TEXT = "#8D6E00"  # warnings written on white
BLUE = "#1565C0"  # the blue level, focus, primary buttons
BLUE_DARK = "#0D47A1"
GREEN = "#2E7D32"  # done, acknowledged, up to date
INK = "#1F2933"  # body text and dark surfaces
INK_SOFT = "#3E4C59"
MUTED_TEXT = "#5F6368"
FAINT_TEXT = "#8A9099"  # closed or disabled rows
WHITE = "#FFFFFF"
LINE = "#D9DDE3"
PANEL = "#EEF1F4"  # header and placeholder backgrounds
EMPTY_FILL = "#E4E7EB"  # map areas with no data
WATER = "#F4F8FB"  # the sea behind a map
ERROR_BACKGROUND = "#FDECEA"
WARNING_BACKGROUND = "#FFF8E1"
HEAT_LOW = "#FFF3E0"  # the light end of a heat scale whose dark end is RED
VIEWER_BACKGROUND = "#1F2328"  # behind photos, so colours are judged on neutral dark
VIEWER_TEXT = "#D0D7DE"

LEVEL_BACKGROUND = {Level.RED: RED, Level.YELLOW: AMBER, Level.BLUE: BLUE}
LEVEL_FOREGROUND = {Level.RED: WHITE, Level.YELLOW: INK, Level.BLUE: WHITE}
OVERDUE_TEXT = RED
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
    painter.setPen(QPen(QColor(WHITE) if level is not Level.YELLOW else QColor(AMBER_TEXT), 0.8))
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
