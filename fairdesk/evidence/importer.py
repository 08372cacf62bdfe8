"""Importing files and folders into a case, one clear outcome per file.

Per file: check it is a regular, non-empty file → copy it into the vault (hash while copying,
crash-safe order, see vault.py) → read its type from the bytes and its EXIF → make the
thumbnail (which also proves it decodes) → commit the row, its custody entry and outbox entry
in one transaction. Any failure touches only that file: the batch goes on.

Decisions on awkward input (each has a test):
- empty file → rejected (nothing to keep);
- damaged or truncated image, or an image header claiming more than 89 megapixels → kept
  byte-exact as a *file* item with a note (the damaged bytes may be the only copy; we never
  attempt the decode beyond the pixel limit);
- ``.jpg`` that is really a PDF → kept as a PDF (type from the bytes) with a note;
- file names are stored for display only and never used to build a path;
- disk full → "not saved" for that file, earlier items untouched, the rest continue.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from fairdesk import events, outbox
from fairdesk.errors import FairDeskError, NotFoundError
from fairdesk.evidence import custody, metadata, thumbs
from fairdesk.evidence.models import EvidenceItem
from fairdesk.evidence.vocab import CustodyAction, EvidenceKind, ImportStatus, Integrity
from fairdesk.i18n import _
from fairdesk.ids import new_id
from fairdesk.model import Case, Device
from fairdesk.store import Store
from fairdesk.timeutil import utcnow
from fairdesk.vault import (
    BlobWrite,
    Cancelled,
    CancelLike,
    SourceReadError,
    Vault,
    VaultWriteError,
)

SYSTEM_FILES = {".ds_store", "thumbs.db", "desktop.ini", ".localized"}
PROGRESS_BYTES = 64 << 20

ITEM_SYNC_FIELDS = (
    "case_id",
    "sha256",
    "original_name",
    "size",
    "mime",
    "kind",
    "captured_at",
    "captured_local",
    "captured_offset",
    "capture_is_claim",
    "gps_lat",
    "gps_lon",
    "make",
    "model",
    "orientation",
    "width",
    "height",
    "file_modified_at",
    "imported_by",
    "device_id",
    "imported_at",
    "import_note",
    "caption",
    "shows",
    "supports",
    "hall",
    "booth",
    "notary_present",
    "witness_present",
    "tags",
    "derived_from",
    "derivation",
)


@dataclass(frozen=True)
class ImportOutcome:
    path: str  # as given, for the report
    name: str  # original file name (display with rows.display_name)
    status: ImportStatus  # never REFUSED (that is the phone intake's)
    sha256: str = ""
    reason: str = ""  # why rejected, or a note on an imported file, in words
    item_id: str = ""


@dataclass(frozen=True)
class ImportProgress:
    done: int  # files finished
    total: int
    name: str  # the file being worked on
    bytes_done: int = 0  # within the current file


@dataclass(frozen=True)
class ImportReport:
    outcomes: tuple[ImportOutcome, ...]
    cancelled: bool = False
    not_started: int = 0  # files left when cancelled

    def count(self, status: ImportStatus) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def imported(self) -> int:
        return self.count(ImportStatus.IMPORTED)

    @property
    def duplicates(self) -> int:
        return self.count(ImportStatus.DUPLICATE)

    @property
    def rejected(self) -> int:
        return self.count(ImportStatus.REJECTED)


ProgressFn = Callable[[ImportProgress], None]


def safe_name(raw: str | os.PathLike[str]) -> str:
    """The file name for display and records (undecodable bytes become U+FFFD)."""
    name = os.path.basename(os.fspath(raw).rstrip("/\\")) or os.fspath(raw)
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _utc(timestamp: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(timestamp, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _inside(path: Path, folder: Path | None) -> bool:
    if folder is None:
        return False
    try:
        return path.resolve().is_relative_to(folder)
    except OSError:
        return False


def collect(
    paths: Iterable[str | os.PathLike[str]], exclude: Path | None = None
) -> tuple[list[Path], list[ImportOutcome]]:
    """Expand folders (recursively, not following folder links) into files, in a stable order.

    Anything inside ``exclude`` (FairDesk's own data folder: the database, the vault, the
    signing key) is refused, so a careless "import this whole disk" cannot swallow it.
    """
    files: list[Path] = []
    problems: list[ImportOutcome] = []
    for raw in paths:
        path = Path(raw)
        if _inside(path, exclude):
            problems.append(
                _reject(path, _("This is inside FairDesk's own data folder and was not imported."))
            )
            continue
        shown = os.fspath(raw).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        if path.is_dir() and not path.is_symlink():

            def on_error(exc: OSError, shown: str = shown) -> None:
                problems.append(
                    ImportOutcome(
                        shown,
                        safe_name(exc.filename or shown),
                        ImportStatus.REJECTED,
                        reason=_("This folder could not be read ({error}).").format(
                            error=exc.strerror or exc
                        ),
                    )
                )

            for folder, dirnames, filenames in os.walk(path, onerror=on_error):
                dirnames[:] = sorted(d for d in dirnames if not _inside(Path(folder) / d, exclude))
                files.extend(
                    Path(folder) / name
                    for name in sorted(filenames)
                    if name.lower() not in SYSTEM_FILES and not name.startswith("._")
                )
        else:
            files.append(path)
    return files, problems


def _reject(path: Path, reason: str, sha256: str = "") -> ImportOutcome:
    shown = os.fspath(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return ImportOutcome(
        shown, safe_name(path), ImportStatus.REJECTED, sha256=sha256, reason=reason
    )


def _name_note(name: str, mime: str) -> str:
    suffix = os.path.splitext(name)[1].lower()
    expected = {ext: m for m, ext in metadata.EXTENSIONS.items()}
    expected.update(
        {".jpeg": "image/jpeg", ".tiff": "image/tiff", ".heif": "image/heic", ".m4v": "video/mp4"}
    )
    claimed = expected.get(suffix)
    if claimed and mime == "application/octet-stream":
        # Said out loud: otherwise "notes.jpg" (really text) silently becomes a plain file.
        unrecognised = {
            EvidenceKind.IMAGE: _(
                "The name ends in {suffix} but the content is not an image FairDesk "
                "recognises; it is kept byte-exact as a file."
            ),
            EvidenceKind.PDF: _(
                "The name ends in {suffix} but the content is not a PDF; it is kept "
                "byte-exact as a file."
            ),
            EvidenceKind.VIDEO: _(
                "The name ends in {suffix} but the content is not a video FairDesk "
                "recognises; it is kept byte-exact as a file."
            ),
        }.get(metadata.kind_of(claimed), "")
        return unrecognised.format(suffix=suffix)
    if claimed and mime != "application/octet-stream" and claimed != mime:
        return _(
            "The name ends in {suffix} but the content is {mime}; it is kept as it is "
            "and treated as {mime}."
        ).format(suffix=suffix, mime=mime)
    return ""


@dataclass(frozen=True)
class Described:
    """What FairDesk read from a stored original."""

    mime: str
    kind: EvidenceKind
    meta: metadata.ImageMeta
    note: str


def describe(store: Store, vault: Vault, sha256: str, name: str) -> Described:
    """Type from the bytes, EXIF, and a thumbnail made now (which also proves it decodes)."""
    with vault.open_original_for_read(sha256) as handle:
        head = handle.read(metadata.SNIFF_BYTES)
        mime = metadata.sniff_mime(head)
        kind = metadata.kind_of(mime)
        meta = metadata.ImageMeta()
        if kind == EvidenceKind.IMAGE:
            handle.seek(0)
            meta = metadata.read_image_meta(handle)
    notes = [_name_note(name, mime)]
    if kind == EvidenceKind.IMAGE:
        if not meta.decodable:
            kind = EvidenceKind.FILE
            notes.append(meta.note)
        else:
            try:
                thumbs.ensure(store.data_dir, vault, sha256, thumbs.DEFAULT_SIZE)
            except thumbs.NotDecodable:
                kind = EvidenceKind.FILE
                notes.append(
                    _(
                        "The picture is damaged or incomplete and cannot be shown; the "
                        "file is kept byte-exact as it was received."
                    )
                )
    return Described(mime, kind, meta, " ".join(n for n in notes if n))


def _device(session: Session) -> Device:
    return session.scalars(select(Device)).one()


def add_item(
    session: Session,
    *,
    case_id: str,
    blob: BlobWrite,
    name: str,
    described: Described,
    action: CustodyAction = CustodyAction.IMPORT,
    details: dict[str, Any] | None = None,
    file_modified_at: datetime | None = None,
    derived_from: str | None = None,
    derivation: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> EvidenceItem:
    """Insert an item row with its custody entry and outbox entry (caller commits)."""
    device = _device(session)
    now = utcnow()
    meta = described.meta
    item = EvidenceItem(
        id=new_id(),
        case_id=case_id,
        sha256=blob.sha256,
        original_name=name,
        size=blob.size,
        mime=described.mime,
        kind=described.kind,
        captured_at=meta.captured_at,
        captured_local=meta.captured_local,
        captured_offset=meta.captured_offset,
        capture_is_claim=True,
        gps_lat=meta.gps_lat,
        gps_lon=meta.gps_lon,
        make=meta.make,
        model=meta.model,
        orientation=meta.orientation,
        width=meta.width,
        height=meta.height,
        file_modified_at=file_modified_at,
        file_created_at=None,
        imported_by=device.user_name,
        device_id=device.id,
        imported_at=now,
        import_note=described.note,
        caption="",
        shows="",
        supports="",
        hall="",
        booth="",
        notary_present=False,
        witness_present=False,
        tags=[],
        derived_from=derived_from,
        derivation=derivation or {},
        hidden_reason="",
        integrity=Integrity.OK,
        integrity_checked_at=now,
        version=0,
        updated_at=now,
        **(extra or {}),
    )
    session.add(item)
    session.flush()
    custody.append(
        session,
        action=action,
        item_sha256=blob.sha256,
        item_id=item.id,
        case_id=case_id,
        details={"name": name, "size": blob.size, **(details or {})},
        at=now,
    )
    outbox.insert_row(
        session,
        item,
        entity="evidence_item",
        case_id=case_id,
        fields=ITEM_SYNC_FIELDS,
        blob_refs=[blob.sha256],
    )
    return item


def existing_in_case(session: Session, case_id: str, sha256: str) -> EvidenceItem | None:
    return session.scalars(
        select(EvidenceItem)
        .where(
            EvidenceItem.case_id == case_id,
            EvidenceItem.sha256 == sha256,
            EvidenceItem.purged_at.is_(None),
        )
        .order_by(EvidenceItem.imported_at)
        .limit(1)
    ).first()


def _duplicate(shown: str, name: str, sha256: str, known: EvidenceItem) -> ImportOutcome:
    return ImportOutcome(
        shown,
        name,
        ImportStatus.DUPLICATE,
        sha256,
        _("Already present in this case as “{name}”; stored once.").format(
            name=known.original_name
        ),
        known.id,
    )


def import_file(
    store: Store,
    vault: Vault,
    case_id: str,
    path: Path,
    *,
    cancel: CancelLike | None = None,
    on_bytes: Callable[[int], None] | None = None,
    name: str | None = None,
    details: dict[str, Any] | None = None,
    opener: Callable[[Path], BinaryIO] | None = None,
) -> ImportOutcome:
    """Import one file; every failure becomes a rejected outcome (Cancelled propagates).

    ``name`` replaces the file's own name (a received file sits under a staging name),
    ``details`` are added to the custody entry (e.g. which phone sent it) and ``opener``
    reads a file kept encrypted while staged (same length as its plaintext).
    """
    name = safe_name(path) if name is None else safe_name(name)
    shown = os.fspath(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return _reject(
            path,
            _(
                "The file is no longer there (moved, deleted, or the card was "
                "removed) and was not imported."
            ),
        )
    except OSError as exc:
        return _reject(
            path, _("The file could not be opened ({error}).").format(error=exc.strerror or exc)
        )
    if not stat.S_ISREG(info.st_mode):
        return _reject(
            path, _("This is not an ordinary file (a device or pipe) and was not imported.")
        )
    if info.st_size == 0:
        return _reject(path, _("The file is empty (0 bytes): there is nothing to keep."))
    try:
        handle = opener(path) if opener else open(path, "rb")  # noqa: SIM115 - closed in finally
    except FileNotFoundError:
        return _reject(
            path,
            _(
                "The file is no longer there (moved, deleted, or the card was "
                "removed) and was not imported."
            ),
        )
    except OSError as exc:
        return _reject(
            path, _("The file could not be opened ({error}).").format(error=exc.strerror or exc)
        )
    try:
        with vault.writer_lock():
            try:
                blob = vault.write_stream(handle, cancel=cancel, on_bytes=on_bytes)
            except (SourceReadError, VaultWriteError) as exc:
                return _reject(path, str(exc))
            if blob.size != info.st_size:
                return _reject(
                    path,
                    _(
                        "The file changed while it was being read (is it still "
                        "being copied?). Import it again once the copy has "
                        "finished."
                    ),
                    blob.sha256,
                )
            with store.read() as session:
                known = existing_in_case(session, case_id, blob.sha256)
                if known is not None:
                    return _duplicate(shown, name, blob.sha256, known)
                if session.get(Case, case_id) is None:
                    raise NotFoundError(_("No case with id {id}.").format(id=case_id))
            described = describe(store, vault, blob.sha256, name)
            try:
                with store.write() as session:
                    known = existing_in_case(session, case_id, blob.sha256)
                    if known is not None:
                        return _duplicate(shown, name, blob.sha256, known)
                    item = add_item(
                        session,
                        case_id=case_id,
                        blob=blob,
                        name=name,
                        described=described,
                        details=details,
                        file_modified_at=_utc(info.st_mtime),
                    )
                    item_id = item.id
            except FairDeskError as exc:
                return _reject(path, str(exc), blob.sha256)
    finally:
        handle.close()
    events.emit(events.Change.EVIDENCE, case_id)
    return ImportOutcome(shown, name, ImportStatus.IMPORTED, blob.sha256, described.note, item_id)


def import_paths(
    store: Store,
    case_id: str,
    paths: Sequence[str | os.PathLike[str]],
    *,
    cancel: CancelLike | None = None,
    progress: ProgressFn | None = None,
) -> ImportReport:
    """Import files and folders; the batch always runs to the end (or to Cancel)."""
    with store.read() as session:
        case = session.get(Case, case_id)
        if case is None or case.deleted_at is not None:
            raise NotFoundError(_("No case with id {id}.").format(id=case_id))
    vault = store.vault
    files, outcomes = collect(paths, exclude=store.data_dir.resolve())
    total = len(files)
    for index, path in enumerate(files):
        if cancel is not None and cancel.cancelled:
            return ImportReport(tuple(outcomes), cancelled=True, not_started=total - index)
        name = safe_name(path)
        if progress is not None:
            progress(ImportProgress(index, total, name))
        seen = [0, 0]

        def on_bytes(
            count: int, index: int = index, name: str = name, seen: list[int] = seen
        ) -> None:
            seen[0] += count
            if progress is not None and seen[0] - seen[1] >= PROGRESS_BYTES:
                seen[1] = seen[0]
                progress(ImportProgress(index, total, name, seen[0]))

        try:
            outcomes.append(
                import_file(store, vault, case_id, path, cancel=cancel, on_bytes=on_bytes)
            )
        except Cancelled:
            return ImportReport(tuple(outcomes), cancelled=True, not_started=total - index)
    if progress is not None:
        progress(ImportProgress(total, total, ""))
    return ImportReport(tuple(outcomes))
