"""The stored documents as frozen rows: what the service, the templates and the UI list.

Below both :mod:`fairdesk.documents.service` (which renders and stores documents) and
:mod:`fairdesk.documents.context` (whose templates list the case's earlier documents), so
neither has to import the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from fairdesk.documents.model import GeneratedDocument
from fairdesk.errors import NotFoundError
from fairdesk.i18n import _
from fairdesk.store import Store

EXTENSIONS = {"pdf": ".pdf", "docx": ".docx"}


@dataclass(frozen=True)
class DocumentRow:
    id: str
    case_id: str
    kind: str
    title: str
    language: str
    format: str
    paper: str
    version: int
    sha256: str
    size: int
    doc_ref: str
    fields: Mapping[str, Any]
    evidence: tuple[str, ...]
    warnings: tuple[str, ...]
    blanks: tuple[str, ...]
    created_by: str
    created_at: datetime
    device_id: str = ""  # the device that rendered it (another one's file is held at HQ)

    def file_name(self, case_number: str = "") -> str:
        stem = "-".join(p for p in (case_number, self.kind, self.language, f"v{self.version}") if p)
        return stem + EXTENSIONS.get(self.format, "")


def document_row(d: GeneratedDocument) -> DocumentRow:
    return DocumentRow(
        d.id,
        d.case_id,
        d.kind,
        d.title,
        d.language,
        d.format,
        d.paper,
        d.version,
        d.sha256,
        d.size,
        d.doc_ref,
        dict(d.fields or {}),
        tuple(d.evidence or ()),
        tuple(d.warnings or ()),
        tuple(d.blanks or ()),
        d.created_by,
        d.created_at,
        d.device_id,
    )


def list_documents(store: Store, case_id: str) -> list[DocumentRow]:
    """The case's generated documents, newest first."""
    with store.read() as session:
        query = (
            select(GeneratedDocument)
            .where(GeneratedDocument.case_id == case_id)
            .order_by(GeneratedDocument.created_at.desc(), GeneratedDocument.version.desc())
        )
        return [document_row(d) for d in session.scalars(query)]


def get_document(store: Store, document_id: str) -> DocumentRow:
    with store.read() as session:
        doc = session.get(GeneratedDocument, document_id)
        if doc is None:
            raise NotFoundError(_("No document with id {id}.").format(id=document_id))
        return document_row(doc)
