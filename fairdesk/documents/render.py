"""From prepared values to a writer-independent document: template text → blocks → checks.

Both writers (PDF, DOCX) take the same :class:`DocumentSpec`, so headings, tables, photos
and the document reference are identical in both. Font coverage is checked here, once:
characters the font lacks are replaced by a visible □ in the PDF and reported as a warning.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fairdesk.documents import blocks as blk
from fairdesk.documents import fonts, templates
from fairdesk.documents.context import Prepared, ui_language
from fairdesk.documents.evidence_view import EvidenceView
from fairdesk.i18n import _

PAPERS = ("a4", "letter")
COVER_SUFFIX = ".cover"  # the kind of a cover sheet: "<kind>.cover"
FORMATS = ("pdf", "docx")


@dataclass(frozen=True)
class EvidenceEntry:
    view: EvidenceView
    values: Mapping[str, Any]  # formatted in the document language (see context)


@dataclass(frozen=True)
class DocumentSpec:
    title: str
    kind: str
    language: str
    case_number: str
    generated_at: str
    blocks: Sequence[blk.Block]
    doc_ref: str  # SHA-256 of the content (see blocks.content_hash)
    words: Mapping[str, str]
    evidence: Mapping[str, EvidenceEntry]  # by SHA-256
    missing_chars: tuple[str, ...] = ()
    paper: str = "a4"
    cache_dir: Path | None = None
    cache_key: bytes | None = None  # the data key of an encrypted folder: cache encrypted
    warnings: tuple[str, ...] = ()
    cover: tuple[blk.Block, ...] = ()  # our internal notes: printed only on the cover sheet


@dataclass(frozen=True)
class Rendered:
    data: bytes
    format: str
    doc_ref: str
    warnings: tuple[str, ...] = field(default=())
    pages: int = 0


def build_spec(
    prepared: Prepared,
    *,
    paper: str = "a4",
    cache_dir: Path | None = None,
    cache_key: bytes | None = None,
) -> DocumentSpec:
    """Render the template and parse it; raises TemplateError for template faults."""
    text = templates.render_text(prepared.info, prepared.values)
    everything = blk.parse(text)
    parsed = blk.outgoing(everything)
    notes = blk.internal(everything)
    words = {str(k): str(v) for k, v in dict(prepared.labels.get("words", {})).items()}
    entries: dict[str, EvidenceEntry] = {}
    by_sha = {str(v["sha256"]): v for v in prepared.values.get("evidence", [])}
    for view in prepared.evidence:
        entries[view.sha256] = EvidenceEntry(view, by_sha.get(view.sha256, {}))
    warnings: list[str] = []
    unknown = [b.text for b in parsed if b.kind == "evidence" and b.text not in entries]
    if unknown:
        warnings.append(
            _(
                "The template refers to evidence that is not selected: {items}; "
                "those places show a note instead of a photo."
            ).format(items=", ".join(u[:16] for u in unknown))
        )
    footer_text = f"{prepared.case_number} {words.get('generated', '')} {words.get('doc_ref', '')}"
    missing = fonts.missing_characters(
        blk.all_text(parsed) + "\n" + footer_text + "\n" + prepared.info.title
    )
    if missing:
        warnings.append(
            _(
                "{count} character(s) are not in the document font and are shown as □ "
                "in the PDF: {chars}. Check these places before handing the document "
                "over."
            ).format(count=len(missing), chars=fonts.describe(missing))
        )
    if prepared.blanks_used:
        ui = ui_language()
        warnings.append(
            _("The document has blanks marked “{mark}” for: {fields}.").format(
                mark=blk.blank_mark(prepared.info.language),
                fields=("、" if ui == "zh" else ", ").join(blank_labels(prepared, ui)),
            )
        )
    return DocumentSpec(
        title=prepared.info.title,
        kind=prepared.info.kind,
        language=prepared.info.language,
        case_number=prepared.case_number,
        generated_at=str(prepared.values.get("generated_at", "")),
        blocks=tuple(parsed),
        doc_ref=blk.content_hash(parsed, kind=prepared.info.kind, language=prepared.info.language),
        words=words,
        evidence=entries,
        missing_chars=tuple(missing),
        paper=paper,
        cache_dir=cache_dir,
        cache_key=cache_key,
        warnings=tuple(warnings),
        # A cover sheet only where the template holds notes for our side.
        cover=tuple(_cover_blocks(prepared, notes, words)) if notes else (),
    )


def blank_labels(prepared: Prepared, language: str) -> tuple[str, ...]:
    """The blank fields as a reader of ``language`` knows them, not by their internal names."""
    return tuple(prepared.info.fields[name].label(language) for name in prepared.blanks_used)


def _cover_blocks(
    prepared: Prepared, notes: Sequence[blk.Block], words: Mapping[str, str]
) -> list[blk.Block]:
    """The cover sheet: what the document is, who signs it, our notes, the open blanks.

    It is for our side only, so strategy, validity and "do not sign" advice live here and
    never in the document that is filed or sent.
    """
    info = prepared.info
    out = [
        blk.Block("title", text=words.get("cover_title", "Internal cover sheet")),
        blk.Block("note", text=words.get("cover_warning", "For our side only.")),
        blk.Block(
            "table",
            rows=(
                (words.get("cover_document", "Document"), info.title),
                (words.get("case_number", "Case"), prepared.case_number),
                (
                    words.get("cover_signs", "Signed by"),
                    words.get(f"signer_{info.signer}", info.signer),
                ),
            ),
        ),
    ]
    if notes:
        out.append(blk.Block("heading", text=words.get("cover_notes", "Notes"), level=1))
        out.extend(notes)
    if info.jurisdiction_notes:
        out.append(blk.Block("heading", text=words.get("cover_law", "Background"), level=1))
        out.extend(
            blk.Block("paragraph", text=p)
            for p in templates.unwrap(info.jurisdiction_notes).split("\n\n")
        )
    if info.declaration.sources:
        out.append(blk.Block("heading", text=words.get("cover_sources", "Sources"), level=1))
        out.append(blk.Block("bullets", items=info.declaration.sources))
    if prepared.blanks_used:
        out.append(blk.Block("heading", text=words.get("cover_blanks", "Still blank"), level=1))
        out.append(blk.Block("bullets", items=blank_labels(prepared, info.language)))
    return out


def cover_spec(spec: DocumentSpec) -> DocumentSpec:
    """The cover sheet as a document of its own (same case, language, paper and footer)."""
    title = spec.words.get("cover_title", "Internal cover sheet")
    return replace(
        spec,
        title=title,
        kind=f"{spec.kind}{COVER_SUFFIX}",
        blocks=spec.cover,
        doc_ref=blk.content_hash(
            list(spec.cover), kind=spec.kind + COVER_SUFFIX, language=spec.language
        ),
        evidence={},
        warnings=(),
        cover=(),
    )


def evidence_rows(entry: EvidenceEntry, words: Mapping[str, str]) -> list[tuple[str, str]]:
    """Label/value rows printed under each evidence photo (both writers)."""
    v = entry.values
    rows = [
        (words.get("sha256", "SHA-256"), entry.view.sha256),
        (words.get("original_name", "File"), str(v.get("original_name", ""))),
        (words.get("captured", "Captured"), str(v.get("captured", "")) or "—"),
        (words.get("clock", "Time source"), str(v.get("clock", ""))),
        (words.get("timestamp", "Independent time"), str(v.get("timestamp", "")) or "—"),
        (words.get("gps", "GPS"), str(v.get("gps", "")) or "—"),
        (words.get("camera", "Camera"), str(v.get("camera", "")) or "—"),
        (words.get("place", "Place"), str(v.get("place", "")) or "—"),
        (words.get("caption", "Caption"), str(v.get("caption", "")) or "—"),
        (words.get("shows", "Shows"), str(v.get("shows", "")) or "—"),
        (words.get("supports", "Supports"), str(v.get("supports", "")) or "—"),
        (words.get("photographer", "Photographer"), str(v.get("photographer", "")) or "—"),
        (words.get("witness", "Witness present"), str(v.get("witness", "")) or "—"),
        (words.get("notary", "Notary present"), str(v.get("notary", "")) or "—"),
    ]
    return rows


def custody_table(entry: EvidenceEntry, words: Mapping[str, str]) -> list[tuple[str, ...]]:
    """The item's custody log as a table: a header row, then one row per entry, oldest first.

    It is a table of its own (not one cell of the item's table) so that a log of any length
    flows over pages with its header repeated.
    """
    rows = [tuple(str(c) for c in r) for r in entry.values.get("custody_rows", [])]
    if not rows:
        return []
    header = (
        words.get("custody_time", "Time"),
        words.get("custody_action_head", "Action"),
        words.get("custody_actor", "By"),
    )
    return [header, *rows]


def evidence_heading(entry: EvidenceEntry, words: Mapping[str, str]) -> str:
    v = entry.values
    label = str(v.get("caption") or v.get("original_name") or entry.view.sha256[:16])
    return f"{words.get('evidence_item', 'Evidence')} E{v.get('n', '?')} · {label}"
