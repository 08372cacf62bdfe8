"""The evidence functions the UI, the command line and other features call.

Results are frozen dataclasses (:mod:`fairdesk.evidence.rows`), safe to hand between threads.
Other features use this module only, for example the documents feature:

- ``list_items(store, case_id)`` → the case's items (hash, name, metadata, notes);
- ``open_original(store, sha256)`` → a binary stream of the original (prefer this: it will
  keep working when the vault is encrypted); ``original_path`` is for tools that need a path;
- ``thumbnail_bytes(store, sha256, size)`` → an upright JPEG thumbnail's bytes (decrypted
  in an encrypted folder), or None; ``thumbnail`` gives its path (ciphertext when encrypted);
- ``record_custody(store, action=CustodyAction.INCLUDED_IN_DOCUMENT, sha256=..., case_id=...,
  details=...)``
  → appends to the custody log (``record_custody_in(session, ...)`` inside your transaction).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Select, String, case, column, func, select, table
from sqlalchemy.orm import Session

from fairdesk import events, outbox
from fairdesk.crypto import blobcrypt
from fairdesk.errors import NotFoundError, ValidationError
from fairdesk.evidence import custody, thumbs
from fairdesk.evidence.importer import (
    ImportOutcome,
    ImportProgress,
    ImportReport,
    ProgressFn,
    import_paths,
)
from fairdesk.evidence.models import CustodyEvent, EvidenceItem
from fairdesk.evidence.rows import CustodyRow, ItemRow, custody_row, item_row
from fairdesk.evidence.vocab import CustodyAction, EvidenceKind
from fairdesk.i18n import _
from fairdesk.model import Case
from fairdesk.store import Store
from fairdesk.timeutil import utcnow
from fairdesk.validation import LONG_MAX, clean_text
from fairdesk.vault import CancelLike, RecoveryResult

__all__ = [
    "CustodyRow",
    "ImportOutcome",
    "ImportProgress",
    "ImportReport",
    "ItemFilter",
    "ItemRow",
    "ProgressFn",
    "capture_days",
    "count_items",
    "custody_log",
    "edit_item",
    "get_item",
    "hide_item",
    "import_paths",
    "list_items",
    "list_items_page",
    "open_original",
    "original_path",
    "purge_item",
    "record_custody",
    "record_custody_in",
    "recover",
    "restore_item",
    "thumbnail",
    "thumbnail_bytes",
]


@dataclass(frozen=True)
class ItemFilter:
    kind: EvidenceKind | None = None
    tag: str | None = None
    date_from: date | None = None  # capture day (camera clock), falls back to import day
    date_to: date | None = None
    include_hidden: bool = False


# The day an item belongs to in the gallery's date filter: the camera's capture day when it
# recorded one, else the (UTC) import day. Same text form (YYYY-MM-DD) for both, so SQL can
# compare it: captured_local is ISO local time, imported_at is stored as naive UTC text.
_ITEM_DAY = case(
    (EvidenceItem.captured_local != "", func.substr(EvidenceItem.captured_local, 1, 10)),
    else_=func.substr(EvidenceItem.imported_at, 1, 10),
)


def _where(query: Select[Any], case_id: str, flt: ItemFilter) -> Select[Any]:
    """The filter in SQL (all of it but the tag, which is matched case-insensitively in Python)."""
    query = query.where(EvidenceItem.case_id == case_id)
    if not flt.include_hidden:
        query = query.where(EvidenceItem.hidden_at.is_(None))
    if flt.kind:
        query = query.where(EvidenceItem.kind == flt.kind)
    if flt.date_from or flt.date_to:
        low = (flt.date_from or date.min).isoformat()
        high = (flt.date_to or date.max).isoformat()
        query = query.where(_ITEM_DAY.between(low, high))
    return query


def _tag_matches(row: ItemRow, tag: str) -> bool:
    wanted = tag.strip().casefold()
    return any(t.casefold() == wanted for t in row.tags)


def list_items(store: Store, case_id: str, flt: ItemFilter = ItemFilter()) -> list[ItemRow]:
    """The case's evidence, oldest import first (hidden items only if asked)."""
    return list_items_page(store, case_id, flt)


def list_items_page(
    store: Store, case_id: str, flt: ItemFilter = ItemFilter(), offset: int = 0, limit: int = -1
) -> list[ItemRow]:
    """Rows ``offset`` to ``offset + limit`` of :func:`list_items` (all from ``offset`` if -1).

    The gallery reads its first screenful this way and the rest page by page in the
    background, so a 5,000-item case opens as fast as a small one.
    """
    with store.read() as session:
        # Core rows, not ORM objects: a 5,000-item gallery lists several times faster.
        query = _where(select(EvidenceItem.__table__), case_id, flt).order_by(
            EvidenceItem.imported_at, EvidenceItem.id
        )
        if flt.tag:  # matched after reading: page the matching rows
            rows = [item_row(i) for i in session.execute(query)]
            rows = [r for r in rows if _tag_matches(r, flt.tag)]
            return rows[offset:] if limit < 0 else rows[offset : offset + limit]
        if offset or limit >= 0:
            query = query.limit(limit).offset(offset)
        return [item_row(i) for i in session.execute(query)]


def count_items(store: Store, case_id: str, flt: ItemFilter = ItemFilter()) -> int:
    """How many items :func:`list_items` would return (a COUNT query unless a tag is given)."""
    if flt.tag:
        return len(list_items(store, case_id, flt))
    with store.read() as session:
        counted = session.scalar(_where(select(func.count(EvidenceItem.id)), case_id, flt))
    return int(counted or 0)


def capture_days(store: Store, case_id: str) -> list[str]:
    """The distinct capture days (camera clock, YYYY-MM-DD) of the case's shown items, newest first."""
    day = func.substr(EvidenceItem.captured_local, 1, 10, type_=String)
    with store.read() as session:
        query = (
            select(day)
            .where(
                EvidenceItem.case_id == case_id,
                EvidenceItem.hidden_at.is_(None),
                EvidenceItem.captured_local != "",
            )
            .distinct()
            .order_by(day.desc())
        )
        days = [str(d) for d in session.scalars(query) if d]
    return days


def _get(session: Session, item_id: str) -> EvidenceItem:
    item = session.get(EvidenceItem, item_id)
    if item is None:
        raise NotFoundError(_("No evidence item with id {id}.").format(id=item_id))
    return item


def get_item(store: Store, item_id: str) -> ItemRow:
    with store.read() as session:
        return item_row(_get(session, item_id))


def original_path(store: Store, sha256: str) -> Path:
    """Where the original bytes are (read-only!). Prefer :func:`open_original`."""
    path = store.vault.blob_path(sha256)
    if not path.is_file():
        raise NotFoundError(
            _("The original file {sha} is missing from the evidence folder.").format(
                sha=sha256[:12]
            )
        )
    return path


def open_original(store: Store, sha256: str) -> BinaryIO:
    try:
        return store.vault.open_original_for_read(sha256)
    except FileNotFoundError as exc:
        raise NotFoundError(
            _("The original file {sha} is missing from the evidence folder.").format(
                sha=sha256[:12]
            )
        ) from exc


def thumbnail(store: Store, sha256: str, size: int = thumbs.DEFAULT_SIZE) -> Path | None:
    """An upright JPEG thumbnail (made and cached on first use); None if not a picture."""
    try:
        return thumbs.ensure(store.data_dir, store.vault, sha256, size)
    except (thumbs.NotDecodable, FileNotFoundError):
        return None


def thumbnail_bytes(store: Store, sha256: str, size: int = thumbs.DEFAULT_SIZE) -> bytes | None:
    """The JPEG bytes of an upright thumbnail, decrypted when the folder is encrypted.

    Display code must use this, not the file at :func:`thumbnail` (ciphertext when encrypted).
    None when the item is not a picture, its original is missing (e.g. removed for travel) or
    damaged.
    """
    vault = store.vault
    for _attempt in range(2):
        try:
            return thumbs.load(store.data_dir, vault, sha256, size)
        except (thumbs.NotDecodable, FileNotFoundError):
            return None
        except blobcrypt.DamagedError:
            # A damaged cached thumbnail is made again (thumbnails are disposable); if the
            # original itself is damaged, the second attempt fails too and verify reports it.
            path = thumbs.thumb_path(store.data_dir, sha256, size, encrypted=vault.key is not None)
            path.unlink(missing_ok=True)
    return None


def record_custody_in(
    session: Session,
    *,
    action: CustodyAction,
    sha256: str = "",
    case_id: str = "",
    item_id: str = "",
    details: dict[str, Any] | None = None,
) -> CustodyRow:
    """Append a custody entry inside the caller's transaction (e.g. with a document row)."""
    return custody_row(
        custody.append(
            session,
            action=action,
            item_sha256=sha256,
            item_id=item_id,
            case_id=case_id,
            details=details,
        )
    )


def record_custody(
    store: Store,
    *,
    action: CustodyAction,
    sha256: str = "",
    case_id: str = "",
    item_id: str = "",
    details: dict[str, Any] | None = None,
) -> CustodyRow:
    """Append a custody entry in its own transaction."""
    with store.write() as session:
        row = record_custody_in(
            session, action=action, sha256=sha256, case_id=case_id, item_id=item_id, details=details
        )
    events.emit(events.Change.CUSTODY, case_id)
    return row


def custody_log(store: Store, case_id: str | None = None) -> list[CustodyRow]:
    with store.read() as session:
        query = select(CustodyEvent).order_by(CustodyEvent.device_id, CustodyEvent.seq)
        if case_id:
            query = query.where(CustodyEvent.case_id == case_id)
        return [custody_row(e) for e in session.scalars(query)]


EDITABLE: dict[str, tuple[Callable[[], str], int, bool]] = {
    "caption": (lambda: _("Caption"), 2_000, True),
    "shows": (lambda: _("What it shows"), LONG_MAX, True),
    "supports": (lambda: _("Supports (right or claim feature)"), 2_000, True),
    "hall": (lambda: _("Hall"), 100, False),
    "booth": (lambda: _("Booth"), 100, False),
}


def edit_item(store: Store, item_id: str, changes: dict[str, Any]) -> ItemRow:
    """Change what the responder adds to an item (never its bytes or its read metadata)."""
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key in EDITABLE:
            label, limit, multiline = EDITABLE[key]
            clean[key] = clean_text(label(), value, max_len=limit, multiline=multiline)
        elif key in ("notary_present", "witness_present"):
            clean[key] = bool(value)
        elif key == "tags":
            tags = [clean_text(_("Tag"), str(t), max_len=60) for t in value]
            clean[key] = sorted({t for t in tags if t})
        else:
            raise ValidationError(
                _("The field {field} of an evidence item cannot be changed.").format(field=key)
            )
    with store.write() as session:
        item = _get(session, item_id)
        outbox.update_row(
            session, item, clean, entity="evidence_item", case_id=item.case_id, now=utcnow()
        )
        row = item_row(item)
    events.emit(events.Change.EVIDENCE, row.case_id)
    return row


def hide_item(store: Store, item_id: str, reason: str) -> ItemRow:
    """A delete request: the item is hidden and the reason logged; the bytes stay."""
    why = clean_text(_("Reason"), reason, required=True, max_len=2_000, multiline=True)
    with store.write() as session:
        item = _get(session, item_id)
        now = utcnow()
        outbox.update_row(
            session,
            item,
            {"hidden_at": now, "hidden_reason": why},
            entity="evidence_item",
            case_id=item.case_id,
            now=now,
        )
        custody.append(
            session,
            action=CustodyAction.DELETE_REQUEST,
            item_sha256=item.sha256,
            item_id=item.id,
            case_id=item.case_id,
            details={"reason": why},
        )
        row = item_row(item)
    events.emit(events.Change.EVIDENCE, row.case_id)
    return row


def restore_item(store: Store, item_id: str) -> ItemRow:
    with store.write() as session:
        item = _get(session, item_id)
        if item.purged_at is not None:
            raise ValidationError(_("This item's bytes were purged; it cannot be shown again."))
        outbox.update_row(
            session,
            item,
            {"hidden_at": None, "hidden_reason": ""},
            entity="evidence_item",
            case_id=item.case_id,
            now=utcnow(),
        )
        custody.append(
            session,
            action=CustodyAction.RESTORE,
            item_sha256=item.sha256,
            item_id=item.id,
            case_id=item.case_id,
        )
        row = item_row(item)
    events.emit(events.Change.EVIDENCE, row.case_id)
    return row


def purge_item(store: Store, item_id: str, reason: str) -> ItemRow:
    """Erase the bytes of a hidden item (logged). Bytes shared with another item stay."""
    why = clean_text(_("Reason"), reason, required=True, max_len=2_000, multiline=True)
    vault = store.vault
    with store.write() as session:
        item = _get(session, item_id)
        if item.hidden_at is None:
            raise ValidationError(
                _("Hide the item first (with a reason); only hidden items can be purged.")
            )
        now = utcnow()
        custody.append(
            session,
            action=CustodyAction.PURGE,
            item_sha256=item.sha256,
            item_id=item.id,
            case_id=item.case_id,
            details={"reason": why},
        )
        outbox.update_row(
            session, item, {"purged_at": now}, entity="evidence_item", case_id=item.case_id, now=now
        )
        others = session.scalars(
            select(EvidenceItem.id).where(
                EvidenceItem.sha256 == item.sha256,
                EvidenceItem.id != item.id,
                EvidenceItem.purged_at.is_(None),
            )
        ).first()
        if others is None:  # the same bytes may also be a generated document (a re-import)
            others = session.scalars(
                select(_DOCUMENTS.c.sha256).where(_DOCUMENTS.c.sha256 == item.sha256)
            ).first()
        row = item_row(item)
        sha = item.sha256
    if others is None:  # after the commit: a crash in between leaves bytes, never a lie
        vault.purge(sha)
    events.emit(events.Change.EVIDENCE, row.case_id)
    return row


def case_exists(store: Store, case_id: str) -> bool:
    with store.read() as session:
        case = session.get(Case, case_id)
        return case is not None and case.deleted_at is None


# Generated documents (fairdesk.documents, migration 0003) are vault blobs too. Named as a
# bare table so that the evidence core does not import the documents feature above it.
_DOCUMENTS = table("documents", column("sha256"))


def referenced_hashes(session: Session) -> set[str]:
    """Every SHA-256 a row needs in the vault: live evidence items and generated documents."""
    referenced = set(
        session.scalars(select(EvidenceItem.sha256).where(EvidenceItem.purged_at.is_(None)))
    )
    referenced.update(session.scalars(select(_DOCUMENTS.c.sha256)))
    return referenced


def recover(store: Store) -> RecoveryResult:
    """Quarantine vault files no row references (leftovers of a crash). Never deletes."""
    with store.read() as session:
        referenced = referenced_hashes(session)
    return store.vault.recover(referenced)


def import_files(
    store: Store,
    case_id: str,
    paths: Sequence[str | os.PathLike[str]],
    *,
    cancel: CancelLike | None = None,
    progress: ProgressFn | None = None,
) -> ImportReport:
    """Alias of :func:`import_paths` with the name the UI uses."""
    return import_paths(store, case_id, paths, cancel=cancel, progress=progress)
