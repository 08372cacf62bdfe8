"""Loading the bundled Noto Sans SC so Chinese renders on machines without CJK fonts.

Qt falls back per glyph along ``QFont.families()``; a real Latin family first keeps Latin
text in the platform's usual face, with Noto Sans SC for everything it lacks (docs/platform-notes.md).
"""

from __future__ import annotations

import logging

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from fairdesk.resources import resource_path

log = logging.getLogger(__name__)
FONT_FILES = ("NotoSansSC_400Regular.ttf", "NotoSansSC_700Bold.ttf")
CJK_FAMILY = "Noto Sans SC"
# Aliases such as "Sans Serif" make Qt skip the fallback list, so name real families only.
LATIN_CANDIDATES = ("Segoe UI", "Helvetica Neue", "DejaVu Sans", "Liberation Sans", "Noto Sans")


def load_fonts() -> str:
    """Register the bundled fonts; returns the family name (or '' if none could be loaded)."""
    family = ""
    for name in FONT_FILES:
        font_id = QFontDatabase.addApplicationFont(str(resource_path("fonts", name)))
        if font_id == -1:
            log.warning("could not load font %s", name)
            continue
        families = QFontDatabase.applicationFontFamilies(font_id)
        family = family or (families[0] if families else "")
    return family


def apply_app_font(app: QApplication, point_size: int = 10) -> None:
    cjk = load_fonts() or CJK_FAMILY
    available = set(QFontDatabase.families())
    latin = next((name for name in LATIN_CANDIDATES if name in available), None)
    font = QFont(app.font())
    font.setFamilies([latin, cjk] if latin else [cjk])
    font.setPointSize(point_size)
    app.setFont(font)
