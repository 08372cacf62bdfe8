"""The ``documents`` table: one row per generated file (PDF or DOCX), never updated.

Regenerating a document adds a row with the next version number for the same case, kind,
language and format; earlier versions stay, with their files, exactly as they were handed out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fairdesk.model import Base


class GeneratedDocument(Base):
    __tablename__ = "documents"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("case_file.id"))
    kind: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(300), default="")
    language: Mapped[str] = mapped_column(String(10))
    format: Mapped[str] = mapped_column(String(8))  # pdf | docx
    paper: Mapped[str] = mapped_column(String(10), default="a4")
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # of the file; names it in vault/
    size: Mapped[int] = mapped_column(BigInteger)
    doc_ref: Mapped[str] = mapped_column(String(64))  # content hash printed in the footer
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # what the user typed
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)  # SHA-256 of items included
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    blanks: Mapped[list[str]] = mapped_column(JSON, default=list)  # fields left as marked blanks
    created_by: Mapped[str] = mapped_column(String(200), default="")
    device_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint(
            "case_id", "kind", "language", "format", "version", name="uq_documents_version"
        ),
        Index("ix_documents_case", "case_id", "created_at"),
    )
