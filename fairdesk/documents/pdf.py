"""PDF output with reportlab Platypus: embedded, subset Noto Sans SC, A4 or US Letter.

Every page carries a footer with the case number, the generation time, the document's own
reference (content hash) and "n / N". The canvas starts in the document font
(``initialFontName``) and every table sets ``FONTNAME``, so no unembedded Helvetica sneaks in
(docs/platform-notes.md). Photos are print copies (see :mod:`images`); a photo that cannot
be decoded becomes a framed placeholder and a warning.
"""

from __future__ import annotations

import contextlib
import functools
import io
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    ListFlowable,
    ListItem,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.doctemplate import LayoutError

from fairdesk.documents import blocks as blk
from fairdesk.documents import cjkbreak, fonts, images
from fairdesk.documents.bilingual import BilingualSpec
from fairdesk.documents.render import (
    DocumentSpec,
    EvidenceEntry,
    Rendered,
    custody_table,
    evidence_heading,
    evidence_rows,
)
from fairdesk.errors import FairDeskError
from fairdesk.evidence.vocab import EvidenceKind
from fairdesk.i18n import _

PAGE_SIZES = {"a4": A4, "letter": LETTER}
MARGIN_X = 2.0 * cm
MARGIN_TOP = 2.0 * cm
MARGIN_BOTTOM = 2.2 * cm
INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#666666")
RULE = colors.HexColor("#9a9a9a")
HEAD_BG = colors.HexColor("#e8ecf1")
BLANK_COLOUR = "#b00020"


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle(
        "body", fontName=fonts.FAMILY, fontSize=10.5, leading=15.5, textColor=INK, spaceAfter=6
    )
    return {
        "body": base,
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontName=fonts.BOLD,
            fontSize=17,
            leading=23,
            spaceAfter=10,
            alignment=TA_CENTER,
        ),
        "title_narrow": ParagraphStyle(
            "title_narrow",
            parent=base,
            fontName=fonts.BOLD,
            fontSize=14,
            leading=19,
            spaceAfter=8,
            alignment=TA_CENTER,
        ),
        "h1": ParagraphStyle(
            "h1",
            parent=base,
            fontName=fonts.BOLD,
            fontSize=13,
            leading=18,
            spaceBefore=10,
            spaceAfter=5,
            keepWithNext=1,
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=fonts.BOLD,
            fontSize=11.5,
            leading=16,
            spaceBefore=8,
            spaceAfter=4,
            keepWithNext=1,
        ),
        "h3": ParagraphStyle(
            "h3",
            parent=base,
            fontName=fonts.BOLD,
            fontSize=10.5,
            leading=15,
            spaceBefore=6,
            spaceAfter=3,
            keepWithNext=1,
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9.5, leading=13, spaceAfter=0),
        "cellhead": ParagraphStyle(
            "cellhead", parent=base, fontName=fonts.BOLD, fontSize=9.5, leading=13, spaceAfter=0
        ),
        "caption": ParagraphStyle(
            "caption",
            parent=base,
            fontName=fonts.BOLD,
            fontSize=9.5,
            leading=13,
            spaceAfter=2,
            keepWithNext=1,
        ),
        "small": ParagraphStyle(
            "small", parent=base, fontSize=7.5, leading=10, spaceAfter=0, textColor=MUTED
        ),
        "note": ParagraphStyle("note", parent=base, fontSize=9.5, leading=14, spaceAfter=0),
        "bullet": ParagraphStyle("bullet", parent=base, spaceAfter=2),
    }


def _latin_punctuation(piece: str) -> str:
    """Draw the few characters Noto Sans SC makes full-width from the Latin font."""
    return "".join(
        f'<font name="{fonts.LATIN_PUNCT_FAMILY}">{ch}</font>' if ch in fonts.LATIN_PUNCT else ch
        for ch in piece
    )


def _markup(text: str, missing: set[str], latin: bool = False) -> str:
    """Inline text → reportlab paragraph markup (escaped, bold, line breaks, blank markers).

    ``latin``: a German or English document, whose § and quotes must not be full-width.
    """
    out = []
    for run, bold in blk.runs(text):
        parts = []
        for i, part in enumerate(blk.split_blanks(run)):
            piece = escape(fonts.replace_missing(part, missing)).replace("\n", "<br/>")
            if latin:
                piece = _latin_punctuation(piece)
            parts.append(f'<font color="{BLANK_COLOUR}"><b>{piece}</b></font>' if i % 2 else piece)
        joined = "".join(parts)
        out.append(f"<b>{joined}</b>" if bold else joined)
    return "".join(out)


# Characters a line may break between (CJK ideographs, kana, hangul, fullwidth forms).
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
CELL_PADDING = 10.0  # LEFTPADDING + RIGHTPADDING of _grid
MAX_SHARE = 0.62  # no column takes more than this share while others need room


def _unbreakable(text: str) -> list[str]:
    """Pieces a cell line must never be split inside: Latin words, numbers, hashes.

    Reportlab breaks lines at spaces; a CJK run without spaces may break between any two
    ideographs, so only its Latin and digit pieces count.
    """
    pieces: list[str] = []
    for word in blk.plain(text).split():
        if _CJK.search(word):
            pieces.extend(p for p in _CJK.split(word) if p)
            pieces.append("字字")  # at least two ideographs per line
        else:
            pieces.append(word)
    return pieces


def _measure(
    rows: Sequence[Sequence[str]], ncols: int, font: str, size: float
) -> tuple[list[float], list[float]]:
    """Per column: the width of its longest unbreakable piece and of its widest line."""
    bold_first = len(rows) > 0
    minimum: list[float] = []
    natural: list[float] = []
    for col in range(ncols):
        cells = [(r[col] if col < len(r) else "") for r in rows]
        face = fonts.BOLD if bold_first else font
        longest_piece = max(
            (stringWidth(p, face, size) for c in cells for p in _unbreakable(c)), default=0.0
        )
        widest_line = max(
            (stringWidth(line, face, size) for c in cells for line in blk.plain(c).split("\n")),
            default=0.0,
        )
        minimum.append(max(longest_piece, size * 2) + CELL_PADDING)
        natural.append(max(widest_line, size * 2) + CELL_PADDING)
    return minimum, natural


def table_fits(
    rows: Sequence[Sequence[str]], width: float, font: str = fonts.FAMILY, size: float = 9.5
) -> bool:
    """Can the table be ``width`` wide without splitting a word or number?"""
    ncols = max((len(r) for r in rows), default=0)
    return sum(_measure(rows, ncols, font, size)[0]) < width


def column_widths(
    rows: Sequence[Sequence[str]],
    ncols: int,
    frame_w: float,
    font: str = fonts.FAMILY,
    size: float = 9.5,
) -> list[float]:
    """Widths that never split a word or number: each column gets at least its longest
    unbreakable piece; the rest is shared by how much text each column holds.

    If even the minimums do not fit (a table with very many columns), they are scaled down
    proportionally — the only case in which a word may still be split.
    """
    minimum, natural = _measure(rows, ncols, font, size)
    if sum(minimum) >= frame_w:
        return [frame_w * m / sum(minimum) for m in minimum]
    if sum(natural) <= frame_w:
        # Everything fits on one line: give the spare room to the widest columns.
        spare = frame_w - sum(natural)
        return [n + spare * n / sum(natural) for n in natural]
    widths = list(minimum)
    spare = frame_w - sum(widths)
    wants = [max(n - m, 0.0) for n, m in zip(natural, minimum, strict=True)]
    cap = frame_w * MAX_SHARE
    while spare > 0.5 and any(w > 0.5 for w in wants):
        total = sum(wants)
        given = 0.0
        for i, want in enumerate(wants):
            if want <= 0:
                continue
            share = min(want, spare * want / total, max(cap - widths[i], 0.0))
            widths[i] += share
            wants[i] -= share
            given += share
            if widths[i] >= cap:
                wants[i] = 0.0
        spare -= given
        if given < 0.5:
            break
    if spare > 0.5:  # every column is as wide as it wants: share the rest
        widths = [w + spare * w / sum(widths) for w in widths]
    return widths


class _JpegReader(ImageReader):  # type: ignore[misc]
    """A print copy embedded as the JPEG it is (DCT passthrough), named by its digest.

    reportlab names an ``ImageReader`` image by the MD5 of its decoded pixels, so it decoded
    every photo in full only to name it (the JPEG bytes themselves are embedded unchanged);
    a photo's SHA-256 and size name it as well and cost nothing.
    """

    def __init__(self, data: bytes, identity: str) -> None:
        super().__init__(io.BytesIO(data))
        self._identity = identity.encode("ascii")

    def getRGBData(self) -> bytes:  # reportlab's name
        if getattr(self._image, "format", None) != "JPEG":
            return bytes(super().getRGBData())  # not passed through: reportlab needs pixels
        self._dataA = None  # no alpha channel: drawImage reads it beside the name
        return self._identity


@functools.lru_cache(maxsize=4096)
def _qr_path(text: str, size: float) -> str:
    """The PDF path operators of a QR code: one rectangle per run of dark modules, filled.

    Formatted once per code (reportlab's own ``rect`` formats each number in pure Python:
    thousands of calls per page of photos).
    """
    matrix = images.qr_matrix(text)
    n = len(matrix)
    module = size / n
    ops: list[str] = []
    for y, row in enumerate(matrix):
        x = 0
        while x < n:
            if row[x]:
                start = x
                while x < n and row[x]:
                    x += 1
                ops.append(
                    f"{start * module:.3f} {size - (y + 1) * module:.3f} "
                    f"{(x - start) * module:.3f} {module:.3f} re"
                )
            else:
                x += 1
    return "\n".join(ops) + "\nf"


class QrFlowable(Flowable):  # type: ignore[misc]
    """A QR code drawn as vector squares: sharp at any zoom and a few hundred bytes."""

    def __init__(self, text: str, size: float) -> None:
        super().__init__()
        self.text = text
        self.size = size
        self.width = self.height = size

    def draw(self) -> None:
        c = self.canv
        c.saveState()
        c.setFillColor(colors.black)
        c.addLiteral(_qr_path(self.text, self.size))
        c.restoreState()


def _footer_canvas(spec: DocumentSpec, missing: set[str]) -> Callable[..., Canvas]:
    words = spec.words
    left = fonts.replace_missing(
        f"{words.get('case_number', 'Case')} {spec.case_number} · "
        f"{words.get('generated', 'Generated')} {spec.generated_at}",
        missing,
    )
    ref = f"{words.get('doc_ref', 'Ref.')} {spec.doc_ref[:16]}"
    header = fonts.replace_missing(spec.title, missing)

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        """Holds pages until the end so each footer can say 'n / N'."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, 1):
                self.__dict__.update(state)
                self._decorate(number, total)
                Canvas.showPage(self)
            Canvas.save(self)

        def _decorate(self, number: int, total: int) -> None:
            width, _height = self._pagesize
            self.saveState()
            self.setFont(fonts.FAMILY, 7.5)
            self.setFillColor(MUTED)
            self.setStrokeColor(RULE)
            self.setLineWidth(0.4)
            y = MARGIN_BOTTOM - 0.8 * cm
            self.line(MARGIN_X, y + 10, width - MARGIN_X, y + 10)
            self.drawString(MARGIN_X, y, left)
            self.drawString(MARGIN_X, y - 9.5, ref)
            self.setFont(fonts.FAMILY, 8.5)
            self.drawRightString(width - MARGIN_X, y, f"{number} / {total}")
            if number > 1:
                top = self._pagesize[1] - MARGIN_TOP + 0.6 * cm
                self.drawString(MARGIN_X, top, header)
                self.drawRightString(width - MARGIN_X, top, spec.case_number)
                self.line(MARGIN_X, top - 4, width - MARGIN_X, top - 4)
            self.restoreState()

    return NumberedCanvas


class _Writer:
    def __init__(self, spec: DocumentSpec, *, tables_as_text: bool = False) -> None:
        self.spec = spec
        self.missing = set(spec.missing_chars)
        self.st = _styles()
        self.page_w, self.page_h = PAGE_SIZES.get(spec.paper, A4)
        self.frame_w = self.page_w - 2 * MARGIN_X
        self.tables_as_text = tables_as_text
        self.latin = spec.language != "zh"
        self.warnings: list[str] = []

    def p(self, text: str, style: str = "body") -> Paragraph:
        return Paragraph(_markup(text, self.missing, self.latin), self.st[style])

    def _grid(self, data: list[list[Any]], widths: Sequence[float] | None, header: bool) -> Table:
        table = Table(data, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
        style: list[tuple[Any, ...]] = [
            ("FONTNAME", (0, 0), (-1, -1), fonts.FAMILY),
            ("FONTSIZE", (0, 0), (-1, -1), 9.5),
            ("GRID", (0, 0), (-1, -1), 0.5, RULE),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 5),
            ("RIGHTPADDING", (0, 0), (-1, -1), 5),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ]
        if header:
            style += [("BACKGROUND", (0, 0), (-1, 0), HEAD_BG)]
        table.setStyle(TableStyle(style))
        return table

    def table(self, b: blk.Block) -> list[Flowable]:
        rows = [list(r) for r in b.rows]
        ncols = max(len(r) for r in rows)
        if self.tables_as_text:
            # Fallback when a single cell is taller than a page: the same content, stacked.
            out: list[Flowable] = []
            head = rows[0] if b.header else [""] * ncols
            for row in rows[1:] if b.header else rows:
                for col, cell in enumerate(row):
                    label = head[col] if col < len(head) else ""
                    out.append(self.p(f"**{label}**\n{cell}" if label else cell))
                out.append(Spacer(1, 4))
            return out
        widths = self._widths(rows, ncols)
        data = []
        label_table = not b.header and ncols == 2  # label/value tables: labels in bold
        for i, row in enumerate(rows):
            data.append(
                [
                    self.p(
                        cell,
                        "cellhead"
                        if (b.header and i == 0) or (label_table and col == 0)
                        else "cell",
                    )
                    for col, cell in enumerate(row)
                ]
            )
        return [self._grid(data, widths, b.header), Spacer(1, 8)]

    def _widths(self, rows: list[list[str]], ncols: int) -> list[float]:
        """Column widths from the content (see :func:`column_widths`)."""
        return column_widths(rows, ncols, self.frame_w)

    def evidence(self, sha: str) -> list[Flowable]:
        entry = self.spec.evidence.get(sha)
        words = self.spec.words
        if entry is None:
            return [
                self.p(
                    words.get("evidence_not_selected", "Evidence {sha} not selected.").format(
                        sha=sha[:16]
                    ),
                    "note",
                )
            ]
        photo_w = self.frame_w * 0.68 - 10
        photo_h = 8.5 * cm
        photo = self._photo(entry, photo_w, photo_h)
        qr_size = 3.2 * cm
        right = [
            QrFlowable(images.evidence_qr_text(entry.view.sha256), qr_size),
            Paragraph(
                "SHA-256<br/>" + entry.view.sha256[:32] + "<br/>" + entry.view.sha256[32:],
                self.st["small"],
            ),
        ]
        top = Table(
            [[photo, right]], colWidths=[self.frame_w * 0.68, self.frame_w * 0.32], hAlign="LEFT"
        )
        top.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), fonts.FAMILY),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("BOX", (0, 0), (0, 0), 0.5, RULE),
                ]
            )
        )
        meta = [
            [self.p(label, "cellhead"), self.p(value, "cell")]
            for label, value in evidence_rows(entry, words)
        ]
        heading = self.p(evidence_heading(entry, words), "h3")
        grid = self._grid(meta, [self.frame_w * 0.24, self.frame_w * 0.76], False)
        out: list[Flowable] = [KeepTogether([heading, top, Spacer(1, 4), grid])]
        log = custody_table(entry, words)
        if log:
            # Its own table, split by rows with the header repeated: a log of any length fits.
            caption = self.p(words.get("custody", "Custody"), "caption")
            data = [
                [self.p(cell, "cellhead" if i == 0 else "cell") for cell in row]
                for i, row in enumerate(log)
            ]
            table = self._grid(data, self._widths([list(r) for r in log], 3), True)
            out += [Spacer(1, 4), caption, table]
        return [*out, Spacer(1, 10)]

    def _photo(self, entry: EvidenceEntry, box_w: float, box_h: float) -> Flowable:
        view = entry.view
        words = self.spec.words
        if view.path is None or view.kind != EvidenceKind.IMAGE:
            reason = (
                words.get("no_picture_kind", "No picture ({kind}).").format(
                    kind=entry.values.get("kind", view.kind)
                )
                if view.path is not None
                else words.get("original_missing", "The original is not on this device.")
            )
            return self._placeholder(reason, box_w)
        result = images.print_photo(
            view.opener or view.path,
            images.max_pixels(box_w, box_h),
            sha256=view.sha256,
            cache_dir=self.spec.cache_dir,
            cache_key=self.spec.cache_key,
        )
        if result.data is None:
            self.warnings.append(
                _(
                    "Photo E{n} ({name}) cannot be decoded; the document shows a placeholder "
                    "instead. The original in the vault is unchanged."
                ).format(n=entry.values.get("n", "?"), name=view.original_name or view.sha256[:16])
            )
            return self._placeholder(
                words.get("photo_unreadable", "Photo cannot be displayed."), box_w
            )
        scale = min(box_w / result.width, box_h / result.height)
        img = Image(
            io.BytesIO(result.data), width=result.width * scale, height=result.height * scale
        )
        img._img = _JpegReader(result.data, f"{view.sha256}:{result.width}x{result.height}")
        img.hAlign = "CENTER"
        return img

    def _placeholder(self, reason: str, width: float) -> Flowable:
        box = Table(
            [[self.p(f"□ {reason}\n{self.spec.words.get('original_in_vault', '')}", "note")]],
            colWidths=[width],
            rowHeights=[3.5 * cm],
        )
        box.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), fonts.FAMILY),
                    ("BOX", (0, 0), (-1, -1), 0.8, colors.HexColor(BLANK_COLOUR)),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        return box

    def signature(self, b: blk.Block) -> list[Flowable]:
        """Place and date, room to sign, the line, and under the line the name and role."""
        name, role, place = ([*list(b.items), "", "", ""])[:3]
        rows: list[list[Any]] = []
        if place:
            rows.append([self.p(place)])
        rows.append([""])  # room for the handwritten signature
        rows.append([self.p(f"**{name}**", "body")])
        if role:
            rows.append([self.p(role, "small")])
        space = len(rows) - (3 if role else 2)
        heights: list[float | None] = [None] * len(rows)
        heights[space] = 1.5 * cm
        width = min(8.5 * cm, self.frame_w)  # a column of a side-by-side document is narrower
        block = Table(rows, colWidths=[width], rowHeights=heights, hAlign="LEFT")
        block.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), fonts.FAMILY),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                    # The line is ABOVE the name: one signs on it, the name is printed below.
                    ("LINEABOVE", (0, space + 1), (0, space + 1), 0.8, INK),
                ]
            )
        )
        return [Spacer(1, 14), KeepTogether([block])]

    def note(self, b: blk.Block) -> list[Flowable]:
        box = Table([[self.p(b.text, "note")]], colWidths=[self.frame_w])
        box.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), fonts.FAMILY),
                    ("BOX", (0, 0), (-1, -1), 0.8, colors.HexColor("#8a6d00")),
                    ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#fff8e1")),
                    ("LEFTPADDING", (0, 0), (-1, -1), 8),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                    ("TOPPADDING", (0, 0), (-1, -1), 6),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
                ]
            )
        )
        return [box, Spacer(1, 8)]

    def flow(self, b: blk.Block) -> list[Flowable]:
        """The flowables of one block."""
        if b.kind == "title":
            # In a column of a side-by-side document the title is smaller (half the width).
            narrow = self.frame_w < self.page_w / 2
            return [self.p(b.text, "title_narrow" if narrow else "title")]
        if b.kind == "heading":
            return [self.p(b.text, f"h{b.level}")]
        if b.kind == "paragraph":
            return [self.p(b.text)]
        if b.kind in ("bullets", "numbered"):
            items = [ListItem(self.p(item, "bullet"), leftIndent=14) for item in b.items]
            kwargs: dict[str, Any] = (
                {"bulletType": "1", "bulletFormat": "%s."}
                if b.kind == "numbered"
                else {"bulletType": "bullet", "start": "•"}
            )
            return [
                ListFlowable(
                    items, leftIndent=16, bulletFontName=fonts.FAMILY, bulletFontSize=10, **kwargs
                ),
                Spacer(1, 4),
            ]
        if b.kind == "table":
            return self.table(b)
        if b.kind == "note":
            return self.note(b)
        if b.kind == "pagebreak":
            return [PageBreak()]
        if b.kind == "evidence":
            return self.evidence(b.text)
        if b.kind == "signature":
            return self.signature(b)
        if b.kind == "qr":
            return [QrFlowable(b.text, 3 * cm)]
        return []

    def story(self) -> list[Flowable]:
        out: list[Flowable] = []
        for b in self.spec.blocks:
            out += self.flow(b)
        return out


def _build(spec: DocumentSpec, *, tables_as_text: bool) -> tuple[bytes, int, list[str]]:
    writer = _Writer(spec, tables_as_text=tables_as_text)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=PAGE_SIZES.get(spec.paper, A4),
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=fonts.replace_missing(f"{spec.title} – {spec.case_number}", writer.missing),
        author="FairDesk",
        subject=spec.doc_ref,
        creator="FairDesk",
        initialFontName=fonts.FAMILY,
        lang=_pdf_lang(spec.language),
    )
    doc.build(writer.story(), canvasmaker=_footer_canvas(spec, writer.missing))
    return buffer.getvalue(), doc.page, writer.warnings


def _pdf_lang(language: str) -> str:
    return {"zh": "zh-CN", "de": "de-DE"}.get(language, "en")


_STREAMS_LOCK = threading.Lock()


@contextlib.contextmanager
def _binary_streams() -> Iterator[None]:
    """While building: streams binary (Flate / DCT only), not ASCII85 as reportlab's default.

    ASCII85 makes every photo and font 25 % larger for 7-bit mail transports no PDF reader
    needs, and reportlab encodes it in pure Python: in a 100-photo evidence report it was
    about half of the time. ``rl_config`` is process-wide, so it is set for our build only
    and restored (other PDF code in the process keeps reportlab's defaults).
    """
    with _STREAMS_LOCK:
        before = rl_config.useA85
        rl_config.useA85 = 0
        try:
            yield
        finally:
            rl_config.useA85 = before


def write(spec: DocumentSpec) -> Rendered:
    """Render ``spec`` as PDF bytes (font registered on first use)."""
    fonts.register()
    with _binary_streams():
        return _write(spec)


def _write(spec: DocumentSpec) -> Rendered:
    cjkbreak.install()  # no line starts with closing punctuation
    try:
        data, pages, warnings = _build(spec, tables_as_text=False)
    except LayoutError:
        # A table cell taller than a page cannot be split by reportlab: print the tables as
        # stacked text instead of failing, and say so.
        try:
            data, pages, warnings = _build(spec, tables_as_text=True)
        except LayoutError as exc:
            raise FairDeskError(
                _(
                    "The PDF cannot be laid out: one piece of text is taller than a page. "
                    "Shorten the longest field or use DOCX; nothing was saved."
                )
            ) from exc
        warnings.append(
            _(
                "A table cell was longer than a page, so tables are printed as "
                "lists in this PDF. The DOCX keeps the tables."
            )
        )
    return Rendered(
        data=data,
        format="pdf",
        doc_ref=spec.doc_ref,
        warnings=tuple(spec.warnings) + tuple(warnings),
        pages=pages,
    )


# --------------------------------------------------------------------------------------------
# Two languages in one PDF (see :mod:`fairdesk.documents.bilingual`)

GUTTER = 16.0  # between the two columns, with a thin rule in the middle


def _unwrap(flowables: Sequence[Flowable]) -> list[Flowable]:
    """KeepTogether cannot sit in a table cell (the cell keeps its content together anyway)."""
    out: list[Flowable] = []
    for f in flowables:
        if isinstance(f, KeepTogether):
            out += _unwrap(f._content)
        else:
            out.append(f)
    return out


def _bilingual_story(
    spec: BilingualSpec, left: _Writer, right: _Writer, *, side_by_side: bool
) -> list[Flowable]:
    frame_w = left.frame_w
    notes = [blk.Block("note", text=spec.notes[0]), blk.Block("note", text=spec.notes[1])]
    if not side_by_side:
        # The whole document in each language, one after the other, each from a new page.
        return [
            *left.note(notes[0]),
            *right.note(notes[1]),
            *left.story(),
            PageBreak(),
            *right.story(),
        ]
    col = (frame_w - GUTTER) / 2

    def pair(a: list[Flowable], b: list[Flowable]) -> Table:
        table = Table([[a, b]], colWidths=[col + GUTTER / 2] * 2, hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), fonts.FAMILY),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (0, 0), 0),
                    ("RIGHTPADDING", (0, 0), (0, 0), GUTTER / 2),
                    ("LEFTPADDING", (1, 0), (1, 0), GUTTER / 2),
                    ("RIGHTPADDING", (1, 0), (1, 0), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 0),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                    ("LINEAFTER", (0, 0), (0, 0), 0.4, RULE),
                ]
            )
        )
        return table

    def column(writer: _Writer, block: blk.Block) -> list[Flowable]:
        writer.frame_w = col
        try:
            return _unwrap(writer.flow(block))
        finally:
            writer.frame_w = frame_w

    story: list[Flowable] = [pair(column(left, notes[0]), column(right, notes[1])), Spacer(1, 6)]
    for a, b in spec.pairs:
        if a.kind == "pagebreak":
            story.append(PageBreak())
        elif a.kind == "evidence":
            # One photo, full width (the same item in both), described in the language of
            # the version that governs.
            story += (left if spec.governing == spec.left.language else right).flow(
                a if spec.governing == spec.left.language else b
            )
        elif a.kind == "table" and not (
            table_fits(a.rows, col - CELL_PADDING) and table_fits(b.rows, col - CELL_PADDING)
        ):
            # Too many columns for half a page (words would split): one above the other.
            story += [*left.flow(a), *right.flow(b)]
        else:
            row = pair(column(left, a), column(right, b))
            # A heading stays with what follows it, as in a one-language document.
            row.keepWithNext = a.kind in ("title", "heading")
            story.append(row)
    return story


def _build_bilingual(
    spec: BilingualSpec, *, side_by_side: bool, tables_as_text: bool
) -> tuple[bytes, int, list[str]]:
    left = _Writer(spec.left, tables_as_text=tables_as_text)
    right = _Writer(spec.right, tables_as_text=tables_as_text)
    governing = spec.left if spec.governing == spec.left.language else spec.right
    frame = replace(governing, title=spec.title, doc_ref=spec.doc_ref)
    missing = left.missing | right.missing
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=PAGE_SIZES.get(spec.left.paper, A4),
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=fonts.replace_missing(f"{spec.title} – {spec.left.case_number}", missing),
        author="FairDesk",
        subject=spec.doc_ref,
        creator="FairDesk",
        initialFontName=fonts.FAMILY,
        lang=_pdf_lang(spec.governing),
    )
    story = _bilingual_story(spec, left, right, side_by_side=side_by_side)
    doc.build(story, canvasmaker=_footer_canvas(frame, missing))
    return buffer.getvalue(), doc.page, [*left.warnings, *right.warnings]


def write_bilingual(spec: BilingualSpec) -> Rendered:
    """Both versions in one PDF: in two columns where they align, else one after the other."""
    fonts.register()
    with _binary_streams():
        return _write_bilingual(spec)


def _write_bilingual(spec: BilingualSpec) -> Rendered:
    cjkbreak.install()
    warnings: list[str] = []
    attempts = [(True, False)] if spec.side_by_side else []
    attempts += [(False, False), (False, True)]
    for n, (side_by_side, as_text) in enumerate(attempts):
        try:
            data, pages, found = _build_bilingual(
                spec, side_by_side=side_by_side, tables_as_text=as_text
            )
        except LayoutError as exc:
            if n == len(attempts) - 1:
                raise FairDeskError(
                    _(
                        "The PDF cannot be laid out: one piece of text is taller than a page. "
                        "Shorten the longest field or use DOCX; nothing was saved."
                    )
                ) from exc
            continue
        if not side_by_side:
            warnings.append(
                _(
                    "The two language versions do not match paragraph by paragraph, so the "
                    "document gives the whole text in each language, one after the other."
                )
            )
        if as_text:
            warnings.append(
                _(
                    "A table cell was longer than a page, so tables are printed as "
                    "lists in this PDF. The DOCX keeps the tables."
                )
            )
        return Rendered(
            data=data,
            format="pdf",
            doc_ref=spec.doc_ref,
            warnings=tuple(dict.fromkeys((*spec.warnings, *found, *warnings))),
            pages=pages,
        )
    raise AssertionError("unreachable")  # the loop returns or raises
