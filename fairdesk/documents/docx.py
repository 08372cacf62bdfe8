"""DOCX output with python-docx: the same blocks as the PDF, as an editable Word document.

Han characters need ``w:eastAsia`` font attributes, and the theme font attributes of the
default Heading/Title styles must be removed or they override the font
(docs/platform-notes.md, fonts). The DOCX does not embed the font; characters are kept as typed
(a lawyer editing it should see the real text), while the PDF replaces what the font lacks.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Inches, Pt, RGBColor

from fairdesk.documents import blocks as blk
from fairdesk.documents import images
from fairdesk.documents.bilingual import BilingualSpec
from fairdesk.documents.fonts import LATIN_PUNCT
from fairdesk.documents.render import (
    DocumentSpec,
    EvidenceEntry,
    Rendered,
    custody_table,
    evidence_heading,
    evidence_rows,
)
from fairdesk.evidence.vocab import EvidenceKind
from fairdesk.i18n import _

FONT_NAME = "Noto Sans SC"
PUNCT_FONT_NAME = "DejaVu Sans"  # the family of the bundled DejaVuSans.ttf (PDF does the same)
_PUNCT_SPLIT = re.compile("([" + re.escape("".join(sorted(LATIN_PUNCT))) + "]+)")
LANG_TAGS = {"zh": "zh-CN", "de": "de-DE", "en": "en-GB"}
PAGE = {"a4": (Cm(21.0), Cm(29.7)), "letter": (Inches(8.5), Inches(11))}
BLANK_RGB = RGBColor(0xB0, 0x00, 0x20)


def set_cjk_font(style: Any, language: str, name: str = FONT_NAME) -> None:
    """Give a style the font for Latin AND East Asian text, dropping theme overrides."""
    style.font.name = name
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)
    fonts.set(qn("w:cs"), name)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = rpr.makeelement(qn("w:lang"), {})
        rpr.insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    lang.set(qn("w:eastAsia"), "zh-CN")
    lang.set(qn("w:val"), LANG_TAGS.get(language, "en-GB"))


def _punct_font(run: Any) -> None:
    """Draw this run from DejaVu Sans in every font slot (Word takes “ ” and § from the East
    Asian slot when the East Asian language is Chinese, and Noto Sans SC draws them
    full-width: "§ § 936", „Schuldnerin “)."""
    fonts = run._r.get_or_add_rPr().get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), PUNCT_FONT_NAME)


def _add_line(paragraph: Any, line: str, *, bold: bool, size: float | None, latin: bool) -> Any:
    pieces = _PUNCT_SPLIT.split(line) if latin else [line]
    run = None
    for k, piece in enumerate(pieces):
        if not piece and (k or len(pieces) > 1):
            continue
        run = paragraph.add_run(piece)
        run.bold = bold
        if size:
            run.font.size = Pt(size)
        if latin and piece and piece[0] in LATIN_PUNCT:
            _punct_font(run)
    return run


def _add_runs(
    paragraph: Any,
    text: str,
    *,
    bold: bool = False,
    size: float | None = None,
    latin: bool = False,
) -> None:
    """Add ``text`` (bold markup, blank markers, line breaks) to ``paragraph``.

    ``latin``: a German or English text, whose § and quotes come from DejaVu Sans.
    """
    for run_text, run_bold in blk.runs(text):
        for i, piece in enumerate(blk.split_blanks(run_text)):
            if i % 2:
                mark = paragraph.add_run(piece)
                mark.bold = True
                mark.font.color.rgb = BLANK_RGB
                continue
            lines = piece.split("\n")
            for j, line in enumerate(lines):
                run = _add_line(paragraph, line, bold=bold or run_bold, size=size, latin=latin)
                if run is not None and j < len(lines) - 1:
                    run.add_break()


def _shade(cell: Any, fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.append(shd)


def _field(paragraph: Any, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word and LibreOffice update when showing the page."""
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = instruction
    sep = OxmlElement("w:fldChar")
    sep.set(qn("w:fldCharType"), "separate")
    text = OxmlElement("w:t")
    text.text = "1"
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for el in (begin, instr, sep, text, end):
        run._r.append(el)


class _DocxWriter:
    """Writes one language's blocks into ``box``: the document, or a cell of a side-by-side
    table (``doc`` given: a second writer on the same document)."""

    def __init__(self, spec: DocumentSpec, doc: Any = None) -> None:
        self.spec = spec
        self.latin = spec.language != "zh"
        self.warnings: list[str] = []
        if doc is not None:
            self.doc = doc
            self.box: Any = doc
            return
        self.doc = Document()
        self.box = self.doc
        section = self.doc.sections[0]
        width, height = PAGE.get(spec.paper, PAGE["a4"])
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = width, height
        for side in ("left_margin", "right_margin"):
            setattr(section, side, Cm(2.0))
        section.top_margin = Cm(2.0)
        section.bottom_margin = Cm(2.2)
        self.text_width = width - Cm(4.0)
        for name in (
            "Normal",
            "Title",
            "Heading 1",
            "Heading 2",
            "Heading 3",
            "List Bullet",
            "List Number",
            "Table Grid",
        ):
            try:
                set_cjk_font(self.doc.styles[name], spec.language)
            except KeyError:
                continue
        self.doc.styles["Normal"].font.size = Pt(10.5)
        for name in ("Title", "Heading 1", "Heading 2", "Heading 3"):
            self.doc.styles[name].font.color.rgb = RGBColor(0x1A, 0x1A, 0x1A)
        props = self.doc.core_properties
        props.title = f"{spec.title} – {spec.case_number}"
        props.subject = spec.doc_ref
        props.author = "FairDesk"
        props.language = LANG_TAGS.get(spec.language, "en")
        self._footer()

    def runs(
        self, paragraph: Any, text: str, *, bold: bool = False, size: float | None = None
    ) -> None:
        _add_runs(paragraph, text, bold=bold, size=size, latin=self.latin)

    def para(self, style: str | None = None) -> Any:
        return self.box.add_paragraph(style=style)

    def heading(self, level: int) -> Any:
        # Document.add_heading works on the body only; a cell takes the same styles.
        return self.para("Title" if level == 0 else f"Heading {level}")

    def add_table(self, rows: int, cols: int) -> Any:
        if self.box is self.doc:
            return self.doc.add_table(rows=rows, cols=cols)
        return self.box.add_table(rows, cols)

    def _footer(self) -> None:
        words = self.spec.words
        footer = self.doc.sections[0].footer
        para = footer.paragraphs[0]
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        text = (
            f"{words.get('case_number', 'Case')} {self.spec.case_number} · "
            f"{words.get('generated', 'generated')} {self.spec.generated_at} · "
            f"{words.get('doc_ref', 'Ref.')} {self.spec.doc_ref[:16]} · "
        )
        run = para.add_run(text)
        run.font.size = Pt(7.5)
        _field(para, "PAGE")
        para.add_run(" / ").font.size = Pt(7.5)
        _field(para, "NUMPAGES")

    def table(self, b: blk.Block) -> None:
        rows = b.rows
        ncols = max(len(r) for r in rows)
        table = self.add_table(len(rows), ncols)
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.LEFT
        # Row by row: ``table.cell(i, j)`` rebuilds the cell grid each call, which made a
        # 500-row custody log take over a minute.
        for i, (row, table_row) in enumerate(zip(rows, table.rows, strict=True)):
            cells = table_row.cells
            for j in range(ncols):
                cell = cells[j]
                header = b.header and i == 0
                label = not b.header and ncols == 2 and j == 0
                self.runs(
                    cell.paragraphs[0],
                    row[j] if j < len(row) else "",
                    bold=header or label,
                    size=9.5,
                )
                if header:
                    _shade(cell, "E8ECF1")
        if b.header:
            tr_pr = table.rows[0]._tr.get_or_add_trPr()
            repeat = OxmlElement("w:tblHeader")
            repeat.set(qn("w:val"), "true")
            tr_pr.append(repeat)
        self.para()

    def evidence(self, sha: str) -> None:
        entry = self.spec.evidence.get(sha)
        words = self.spec.words
        if entry is None:
            self.runs(
                self.para(),
                words.get("evidence_not_selected", "Evidence {sha}").format(sha=sha[:16]),
            )
            return
        self.runs(self.heading(3), evidence_heading(entry, words))
        top = self.add_table(1, 2)
        top.style = self.doc.styles["Table Grid"]
        self._photo(top.cell(0, 0), entry)
        qr_cell = top.cell(0, 1)
        qr_cell.paragraphs[0].add_run().add_picture(
            io.BytesIO(images.qr_png(images.evidence_qr_text(entry.view.sha256))), width=Cm(3.2)
        )
        self.runs(
            qr_cell.add_paragraph(),
            f"SHA-256\n{entry.view.sha256[:32]}\n{entry.view.sha256[32:]}",
            size=7,
        )
        meta = self.add_table(0, 2)
        meta.style = self.doc.styles["Table Grid"]
        for label, value in evidence_rows(entry, words):
            cells = meta.add_row().cells
            self.runs(cells[0].paragraphs[0], label, bold=True, size=9)
            self.runs(cells[1].paragraphs[0], value, size=9)
        log = custody_table(entry, words)
        if log:
            self.runs(self.para(), words.get("custody", "Custody"), bold=True, size=9)
            self.table(blk.Block("table", rows=tuple(log), header=True))
            return
        self.para()

    def _photo(self, cell: Any, entry: EvidenceEntry) -> None:
        view = entry.view
        words = self.spec.words
        box_w_pt, box_h_pt = 11.0 / 2.54 * 72, 8.5 / 2.54 * 72
        if view.path is None or view.kind != EvidenceKind.IMAGE:
            reason = (
                words.get("no_picture_kind", "No picture ({kind}).").format(
                    kind=entry.values.get("kind", view.kind)
                )
                if view.path is not None
                else words.get("original_missing", "")
            )
            self.runs(cell.paragraphs[0], f"□ {reason}\n{words.get('original_in_vault', '')}")
            return
        result = images.print_photo(
            view.opener or view.path,
            images.max_pixels(box_w_pt, box_h_pt),
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
            self.runs(
                cell.paragraphs[0],
                f"□ {words.get('photo_unreadable', '')}\n{words.get('original_in_vault', '')}",
            )
            return
        scale = min(box_w_pt / result.width, box_h_pt / result.height)
        cell.paragraphs[0].add_run().add_picture(
            io.BytesIO(result.data), width=Pt(result.width * scale)
        )

    def signature(self, b: blk.Block) -> None:
        name, role, place = ([*list(b.items), "", "", ""])[:3]
        if place:
            self.runs(self.para(), place)
        self.para()
        self.runs(self.para(), "_" * 40)
        self.runs(self.para(), name, bold=True)
        if role:
            self.runs(self.para(), role, size=8.5)

    def note(self, b: blk.Block) -> None:
        box = self.add_table(1, 1)
        box.style = self.doc.styles["Table Grid"]
        self.runs(box.cell(0, 0).paragraphs[0], b.text, size=9.5)
        _shade(box.cell(0, 0), "FFF8E1")
        self.para()

    def block(self, b: blk.Block) -> None:
        if b.kind == "title":
            heading = self.heading(0)
            heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
            self.runs(heading, b.text)
        elif b.kind == "heading":
            self.runs(self.heading(b.level), b.text)
        elif b.kind == "paragraph":
            self.runs(self.para(), b.text)
        elif b.kind in ("bullets", "numbered"):
            style = "List Number" if b.kind == "numbered" else "List Bullet"
            for item in b.items:
                self.runs(self.para(style=style), item)
        elif b.kind == "table":
            self.table(b)
        elif b.kind == "note":
            self.note(b)
        elif b.kind == "pagebreak":
            self.doc.add_page_break()
        elif b.kind == "evidence":
            self.evidence(b.text)
        elif b.kind == "signature":
            self.signature(b)
        elif b.kind == "qr":
            self.para().add_run().add_picture(io.BytesIO(images.qr_png(b.text)), width=Cm(3))

    def blocks(self, blocks: Sequence[blk.Block]) -> None:
        for b in blocks:
            self.block(b)

    def save(self) -> bytes:
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()

    def build(self) -> bytes:
        self.blocks(self.spec.blocks)
        return self.save()


def write(spec: DocumentSpec) -> Rendered:
    writer = _DocxWriter(spec)
    data = writer.build()
    return Rendered(
        data=data,
        format="docx",
        doc_ref=spec.doc_ref,
        warnings=tuple(spec.warnings) + tuple(writer.warnings),
    )


def _drop_leading_empty(cell: Any) -> None:
    """A new cell starts with an empty paragraph; drop it once the cell has content."""
    paragraphs = cell.paragraphs
    if len(paragraphs) > 1 and not paragraphs[0].text and not paragraphs[0].runs:
        cell._tc.remove(paragraphs[0]._p)


def write_bilingual(spec: BilingualSpec) -> Rendered:
    """Both versions in one DOCX: a two-column table, one row per pair of blocks, where the
    versions align; otherwise each version in full, one after the other."""
    governing = spec.left if spec.governing == spec.left.language else spec.right
    frame = _DocxWriter(replace(governing, title=spec.title, doc_ref=spec.doc_ref))
    doc = frame.doc
    left, right = _DocxWriter(spec.left, doc), _DocxWriter(spec.right, doc)
    notes = [blk.Block("note", text=spec.notes[0]), blk.Block("note", text=spec.notes[1])]
    if not spec.side_by_side:
        left.note(notes[0])
        right.note(notes[1])
        left.blocks(spec.left.blocks)
        doc.add_page_break()
        right.blocks(spec.right.blocks)
    else:
        half = frame.text_width // 2
        table: Any = None
        for a, b in [(notes[0], notes[1]), *spec.pairs]:
            if a.kind == "pagebreak":
                doc.add_page_break()
                table = None
            elif a.kind == "evidence":  # one photo, full width, in the governing language
                writer, block = (left, a) if spec.governing == spec.left.language else (right, b)
                writer.box = doc
                writer.block(block)
                table = None
            else:
                if table is None:
                    table = doc.add_table(rows=0, cols=2)
                    table.alignment = WD_TABLE_ALIGNMENT.LEFT
                cells = table.add_row().cells
                for writer, block, cell in ((left, a, cells[0]), (right, b, cells[1])):
                    cell.width = half
                    writer.box = cell
                    writer.block(block)
                    _drop_leading_empty(cell)
    return Rendered(
        data=frame.save(),
        format="docx",
        doc_ref=spec.doc_ref,
        warnings=tuple(dict.fromkeys((*spec.warnings, *left.warnings, *right.warnings))),
    )
