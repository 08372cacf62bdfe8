"""The document font (bundled Noto Sans SC, Regular + Bold) and its character coverage.

Noto Sans SC draws some punctuation full-width, as Chinese text wants it: § “ ” ‘ ’ · • ± ×.
In a German or English document that reads "§ § 936" and „Schuldnerin “, so those few
characters are drawn from the bundled DejaVu Sans there (:data:`LATIN_PUNCT_FAMILY`, see
``pdf._markup``); Chinese documents keep the full-width forms.

Registered once per process with reportlab as a family so that ``<b>`` really is bold. The
coverage check reads the TrueType cmap: a character the font lacks would otherwise come out
as an empty gap in the PDF, so such characters are replaced by a visible □ and reported.
"""

from __future__ import annotations

import threading
import unicodedata

from fairdesk.resources import resource_path

FAMILY = "NotoSansSC"
BOLD = "NotoSansSC-Bold"
REGULAR_FILE = "NotoSansSC_400Regular.ttf"
BOLD_FILE = "NotoSansSC_700Bold.ttf"
REPLACEMENT = "□"  # U+25A1, present in the font
LATIN_PUNCT_FAMILY = "DejaVuSans"
LATIN_PUNCT_BOLD = "DejaVuSans-Bold"
# Full-width in Noto Sans SC, proportional in DejaVu Sans (measured with stringWidth).
LATIN_PUNCT = frozenset("§“”‘’·•±×")

_lock = threading.Lock()
_registered = False
_coverage: frozenset[int] = frozenset()


def register() -> None:
    """Register the family with reportlab (idempotent, thread-safe)."""
    global _registered, _coverage
    with _lock:
        if _registered:
            return
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        regular = TTFont(FAMILY, str(resource_path("fonts", REGULAR_FILE)))
        bold = TTFont(BOLD, str(resource_path("fonts", BOLD_FILE)))
        pdfmetrics.registerFont(regular)
        pdfmetrics.registerFont(bold)
        pdfmetrics.registerFontFamily(
            FAMILY, normal=FAMILY, bold=BOLD, italic=FAMILY, boldItalic=BOLD
        )
        punct = TTFont(LATIN_PUNCT_FAMILY, str(resource_path("fonts", "DejaVuSans.ttf")))
        punct_bold = TTFont(LATIN_PUNCT_BOLD, str(resource_path("fonts", "DejaVuSans-Bold.ttf")))
        pdfmetrics.registerFont(punct)
        pdfmetrics.registerFont(punct_bold)
        pdfmetrics.registerFontFamily(
            LATIN_PUNCT_FAMILY,
            normal=LATIN_PUNCT_FAMILY,
            bold=LATIN_PUNCT_BOLD,
            italic=LATIN_PUNCT_FAMILY,
            boldItalic=LATIN_PUNCT_BOLD,
        )
        _coverage = frozenset(regular.face.charToGlyph) & frozenset(bold.face.charToGlyph)
        _registered = True


def _ignorable(ch: str) -> bool:
    return ch in "\n\t\r" or unicodedata.category(ch) == "Cc"


def missing_characters(text: str) -> list[str]:
    """Characters of ``text`` the font cannot draw, in order of first appearance."""
    register()
    seen: dict[str, None] = {}
    for ch in text:
        if ord(ch) not in _coverage and not _ignorable(ch) and ch not in seen:
            seen[ch] = None
    return list(seen)


def replace_missing(text: str, missing: set[str]) -> str:
    if not missing:
        return text
    return "".join(REPLACEMENT if ch in missing else ch for ch in text)


def describe(chars: list[str]) -> str:
    """'ẞ (U+1E9E), 😀 (U+1F600)' for messages."""
    return ", ".join(f"{ch} (U+{ord(ch):04X})" for ch in chars)
