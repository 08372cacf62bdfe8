"""Document services for the UI and the command line: list, check, render, store, read.

``render_document`` is the one entry point: it prepares the values (listing missing
fields), renders PDF or DOCX, stores the file in the vault, and in ONE transaction adds the
``documents`` row with the next version number, the outbox entry (``entity="document"``,
the file as blob ref) and a custody entry "included in a document" for every evidence item
in it. Results are frozen dataclasses, safe to hand to another thread.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from fairdesk import cases, events, outbox
from fairdesk.documents import applicability, bilingual, context, docx, pdf, templates
from fairdesk.documents import store as blobs
from fairdesk.documents.context import MissingField, Prepared
from fairdesk.documents.evidence_view import EvidenceView
from fairdesk.documents.model import GeneratedDocument
from fairdesk.documents.render import (
    COVER_SUFFIX,
    FORMATS,
    PAPERS,
    Rendered,
    build_spec,
    cover_spec,
)
from fairdesk.documents.rows import DocumentRow, document_row, get_document, list_documents
from fairdesk.errors import StoreError, ValidationError
from fairdesk.evidence import ondemand
from fairdesk.evidence.export import ExportFile
from fairdesk.evidence.service import record_custody_in
from fairdesk.evidence.vocab import CustodyAction
from fairdesk.i18n import _
from fairdesk.ids import new_id
from fairdesk.model import Device
from fairdesk.store import Store
from fairdesk.timeutil import utcnow

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


class MissingFieldsError(ValidationError):
    """Required fields are empty; ``missing`` names them. Nothing was rendered or saved."""

    def __init__(self, missing: Sequence[MissingField]) -> None:
        self.missing = tuple(missing)
        listing = "; ".join(m.describe() for m in self.missing)
        super().__init__(
            _(
                "These fields are still missing: {fields}. Fill them in, or render "
                "with marked blanks."
            ).format(fields=listing)
        )


@dataclass(frozen=True)
class GenerationResult:
    document: DocumentRow | None  # None when not saved (preview only)
    data: bytes
    warnings: tuple[str, ...]
    doc_ref: str
    pages: int
    # Our internal cover sheet (kind "<kind>.cover"), kept apart from what is filed or sent;
    # empty when the template has no notes for our side.
    cover: bytes = b""
    cover_document: DocumentRow | None = None


def kinds(store: Store | None = None) -> dict[str, list[str]]:
    """Document kind → languages with a template (the user's own templates included)."""
    return templates.available(store.data_dir if store else None)


def kind_title(kind: str, language: str, store: Store | None = None) -> str:
    try:
        return templates.load(kind, language, store.data_dir if store else None).title
    except templates.TemplateError:
        return kind


def kind_group(kind: str, store: Store | None = None) -> str:
    """The group a kind belongs to (e.g. ``protective_letter``), or the kind itself."""
    langs = kinds(store).get(kind, [])
    if not langs:
        return kind
    return templates.load(kind, langs[0], store.data_dir if store else None).group


def declaration(kind: str, store: Store | None = None) -> applicability.Declaration:
    """Where ``kind`` applies and who signs it (``<kind>/kind.toml``)."""
    return applicability.declaration(kind, templates.roots(store.data_dir if store else None))


def _title_for_messages(kind: str, langs: Sequence[str], store: Store) -> str:
    lang = context.ui_language()
    return kind_title(kind, lang if lang in langs else langs[0], store) if langs else kind


def why_not(store: Store, case_id: str, kind: str) -> str | None:
    """One sentence saying why ``kind`` does not fit the case, or None when it fits."""
    facts = applicability.facts_of(cases.get_case(store, case_id))
    langs = kinds(store).get(kind, [])
    return applicability.refusal(
        declaration(kind, store), facts, _title_for_messages(kind, langs, store)
    )


def kinds_for_case(store: Store, case_id: str) -> dict[str, list[str]]:
    """The kinds that fit the case (its side, situation, country and rights), with languages."""
    facts = applicability.facts_of(cases.get_case(store, case_id))
    return {
        kind: langs
        for kind, langs in kinds(store).items()
        if applicability.refusal(declaration(kind, store), facts, kind) is None
    }


def _refuse_unless_fits(store: Store, case_id: str, kind: str) -> None:
    if kind not in kinds(store):
        return  # templates.load names the unknown kind and the available ones
    reason = why_not(store, case_id, kind)
    if reason:
        raise applicability.NotApplicableError(reason)


def check(
    store: Store,
    case_id: str,
    kind: str,
    language: str,
    fields: Mapping[str, str] | None = None,
    *,
    evidence_ids: Sequence[str] | None = None,
) -> Prepared:
    """Gather the values and list what is missing, without rendering (for the form)."""
    _refuse_unless_fits(store, case_id, kind)
    return context.prepare(store, case_id, kind, language, fields, evidence_ids=evidence_ids)


def _render(
    prepared: Prepared, fmt: str, paper: str, cache_dir: Path | None, cache_key: bytes | None
) -> tuple[Rendered, Rendered | None]:
    """The outgoing document and, separately, our cover sheet (None when there is none)."""
    spec = build_spec(prepared, paper=paper, cache_dir=cache_dir, cache_key=cache_key)
    writer = pdf.write if fmt == "pdf" else docx.write
    cover = writer(cover_spec(spec)) if spec.cover else None
    return writer(spec), cover


def _render_bilingual(
    versions: Sequence[Prepared],
    fmt: str,
    paper: str,
    cache_dir: Path | None,
    cache_key: bytes | None,
) -> tuple[Rendered, Rendered | None, Prepared]:
    """Both versions in one file; the cover sheet (ours only) in the governing language."""
    specs = [build_spec(p, paper=paper, cache_dir=cache_dir, cache_key=cache_key) for p in versions]
    country = str(versions[0].values.get("fair_country", ""))
    spec = bilingual.combine(specs[0], specs[1], country)
    index = 0 if spec.governing == specs[0].language else 1
    writer = pdf.write if fmt == "pdf" else docx.write
    both = pdf.write_bilingual if fmt == "pdf" else docx.write_bilingual
    cover = writer(cover_spec(specs[index])) if specs[index].cover else None
    return both(spec), cover, versions[index]


def render_document(
    store: Store,
    case_id: str,
    kind: str,
    language: str,
    fields: Mapping[str, str] | None = None,
    *,
    fmt: str = "pdf",
    paper: str = "a4",
    allow_blanks: bool = False,
    evidence_ids: Sequence[str] | None = None,
    evidence: Sequence[EvidenceView] | None = None,
    now: datetime | None = None,
    save: bool = True,
) -> GenerationResult:
    """Render one document and (if ``save``) store it as the next version.

    Raises MissingFieldsError (unless ``allow_blanks``), TemplateError for a broken template,
    ValidationError for bad options; nothing is stored in those cases.
    """
    if fmt not in FORMATS:
        raise ValidationError(_("Unknown format {fmt}; use pdf or docx.").format(fmt=fmt))
    if paper not in PAPERS:
        raise ValidationError(
            _("Unknown paper size {paper}; use a4 or letter.").format(paper=paper)
        )
    _refuse_unless_fits(store, case_id, kind)
    both = bilingual.split(language)  # "zh+de": both versions in one document
    versions = [
        context.prepare(
            store,
            case_id,
            kind,
            lang,
            fields,
            evidence_ids=evidence_ids,
            evidence=evidence,
            allow_blanks=allow_blanks,
            now=now,
        )
        for lang in (both or (language,))
    ]
    prepared = versions[0]
    if not allow_blanks:
        missing = {m.describe(): m for p in versions for m in p.missing}
        if missing:
            raise MissingFieldsError(list(missing.values()))
    # Print copies of photos are cached; encrypted with the data key in an encrypted folder.
    cache = store.data_dir / "thumbs" / "print"
    key = store.data_key
    if both:
        rendered, cover, prepared = _render_bilingual(versions, fmt, paper, cache, key)
    else:
        rendered, cover = _render(prepared, fmt, paper, cache, key)
    cover_data = cover.data if cover else b""
    if not save:
        return GenerationResult(
            None, rendered.data, rendered.warnings, rendered.doc_ref, rendered.pages, cover_data
        )
    # A side-by-side document is stored as language "zh+de", titled in both languages.
    title = " / ".join(p.info.title for p in versions)
    row = _store(store, prepared, rendered, fmt, paper, language=language, title=title)
    cover_row = (
        _store(store, prepared, cover, fmt, paper, cover_of=row) if cover is not None else None
    )
    events.emit(events.Change.DOCUMENT, prepared.case_id)
    return GenerationResult(
        row,
        rendered.data,
        rendered.warnings,
        rendered.doc_ref,
        rendered.pages,
        cover_data,
        cover_row,
    )


# What a new document's outbox entry carries (HQ and the other devices rebuild the row).
_DOCUMENT_FIELDS = (
    "case_id",
    "kind",
    "title",
    "language",
    "format",
    "paper",
    "version",
    "sha256",
    "size",
    "doc_ref",
    "fields",
    "evidence",
    "blanks",
    "created_by",
    "device_id",
    "created_at",
)


def _store(
    store: Store,
    prepared: Prepared,
    rendered: Rendered,
    fmt: str,
    paper: str,
    *,
    cover_of: DocumentRow | None = None,
    language: str | None = None,
    title: str | None = None,
) -> DocumentRow:
    sha = blobs.write_blob(store, rendered.data)  # durable before the row exists
    info = prepared.info
    kind = info.kind + COVER_SUFFIX if cover_of else info.kind
    language = info.language if cover_of or not language else language
    title = (
        str(prepared.labels.get("words", {}).get("cover_title", "Cover sheet")) + f" – {info.title}"
        if cover_of
        else title or info.title
    )
    # The cover sheet shows no evidence, so it adds no custody entries.
    evidence_shas = [] if cover_of else [e.sha256 for e in prepared.evidence]
    with store.write() as session:
        device = session.scalars(select(Device)).one()
        last = session.scalar(
            select(func.max(GeneratedDocument.version)).where(
                GeneratedDocument.case_id == prepared.case_id,
                GeneratedDocument.kind == kind,
                GeneratedDocument.language == language,
                GeneratedDocument.format == fmt,
            )
        )
        doc = GeneratedDocument(
            id=new_id(),
            case_id=prepared.case_id,
            kind=kind,
            title=title,
            language=language,
            format=fmt,
            paper=paper,
            version=(last or 0) + 1,
            sha256=sha,
            size=len(rendered.data),
            doc_ref=rendered.doc_ref,
            fields=dict(prepared.user_fields),
            evidence=evidence_shas,
            warnings=list(rendered.warnings),
            blanks=[] if cover_of else list(prepared.blanks_used),
            created_by=device.user_name,
            device_id=device.id,
            created_at=utcnow(),
        )
        outbox.insert_row(
            session,
            doc,
            entity="document",
            case_id=prepared.case_id,
            fields=_DOCUMENT_FIELDS,
            blob_refs=[sha],
        )
        session.flush()
        if cover_of is None:
            _custody(session, prepared, doc)
        row = document_row(doc)
    return row


def _custody(session: Any, prepared: Prepared, doc: GeneratedDocument) -> None:
    """One custody entry per evidence item included, in the same transaction as the row."""
    if not prepared.evidence:
        return
    for item in prepared.evidence:
        record_custody_in(
            session,
            action=CustodyAction.INCLUDED_IN_DOCUMENT,
            sha256=item.sha256,
            case_id=prepared.case_id,
            item_id=item.id,
            details={
                "document_id": doc.id,
                "kind": doc.kind,
                "language": doc.language,
                "format": doc.format,
                "version": doc.version,
                "document_sha256": doc.sha256,
            },
        )


def document_path(store: Store, document: DocumentRow) -> Path:
    """Where the stored file is (read-only; encrypted in an encrypted folder — read it with
    :func:`read_document`). Raises StoreError if it is missing."""
    path = blobs.blob_path(store, document.sha256)
    if not path.is_file() and held_at_hq(store, document):
        raise StoreError(
            _(
                "{title} version {version} was made on another device and is held at HQ; it "
                "is not downloaded to this computer yet."
            ).format(title=document.title, version=document.version)
        )
    if not path.is_file():
        raise StoreError(
            _(
                "The file of {title} version {version} is missing from the vault "
                "folder; restore the data folder from a backup."
            ).format(title=document.title, version=document.version)
        )
    return path


def held_at_hq(store: Store, document: DocumentRow) -> bool:
    """Made on another device and not in this vault: HQ holds it (never "restore a backup")."""
    made_elsewhere = bool(document.device_id) and document.device_id != store.device.id
    return made_elsewhere and not blobs.blob_path(store, document.sha256).is_file()


def fetch_document(
    store: Store,
    document: DocumentRow,
    progress: Callable[[ondemand.Progress], None] | None = None,
) -> bool:
    """Download a document HQ holds (devices whose role reads the case); True when it is here.

    Raises :class:`ondemand.NotDownloaded` with the sentence to show when it could not be.
    """
    name = _("{title} version {version}").format(title=document.title, version=document.version)
    return ondemand.ensure_one(store, document.sha256, name, document.size, progress)


def read_document(store: Store, document: DocumentRow) -> bytes:
    """The document's bytes (decrypted when the folder is encrypted)."""
    document_path(store, document)
    return blobs.read_blob(store, document.sha256)


def save_copy(store: Store, document: DocumentRow, target: Path) -> Path:
    """Copy the stored file to ``target`` (the stored original stays untouched)."""
    document_path(store, document)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.part")
    with tmp.open("wb") as handle:
        blobs.copy_blob(store, document.sha256, handle)
    tmp.replace(target)
    return target


def last_fields(store: Store, case_id: str) -> dict[str, str]:
    """What the user typed for this case's earlier documents, newest value per field.

    Used to pre-fill the form: a responder should not type the company name seven times.
    """
    merged: dict[str, str] = {}
    for doc in reversed(list_documents(store, case_id)):  # oldest first; newer overwrite
        for key, value in doc.fields.items():
            if isinstance(value, str) and value.strip():
                merged[key] = value
    return merged


def documents_json(store: Store, case_id: str) -> list[dict[str, Any]]:
    """The ``documents`` key of ``fairdesk case show --json``."""
    return [
        {
            "id": d.id,
            "kind": d.kind,
            "title": d.title,
            "language": d.language,
            "format": d.format,
            "paper": d.paper,
            "version": d.version,
            "sha256": d.sha256,
            "size": d.size,
            "doc_ref": d.doc_ref,
            "created_at": d.created_at.isoformat(),
            "blanks": list(d.blanks),
            "warnings": list(d.warnings),
        }
        for d in list_documents(store, case_id)
    ]


def export_entries(store: Store, case_id: str) -> list[ExportFile]:
    """Every document of a case for an export bundle: file name, a decrypting opener, hash.

    Passed as ``documents=`` to :func:`fairdesk.evidence.export.export_case` by
    ``fairdesk export CASE`` and the app's Export, which bundle them under ``documents/``.
    """
    number = cases.get_case(store, case_id).case.number
    vault = store.vault
    return [
        ExportFile(
            name=doc.file_name(number),
            open=functools.partial(vault.open_original_for_read, doc.sha256),
            kind=doc.kind,
            sha256=doc.sha256,
        )
        for doc in reversed(list_documents(store, case_id))  # oldest first, as versions grew
    ]


__all__ = [
    "FORMATS",
    "PAPERS",
    "DocumentRow",
    "GenerationResult",
    "MissingFieldsError",
    "check",
    "declaration",
    "document_path",
    "documents_json",
    "export_entries",
    "fetch_document",
    "get_document",
    "held_at_hq",
    "kind_group",
    "kind_title",
    "kinds",
    "kinds_for_case",
    "last_fields",
    "list_documents",
    "read_document",
    "render_document",
    "save_copy",
    "why_not",
]
