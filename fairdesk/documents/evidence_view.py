"""What a document needs to know about one evidence item, read from the evidence vault.

The evidence engine (``fairdesk.evidence``) owns items, originals and the custody log; this
module adapts its records to a small frozen view so that the document code does not depend
on every column of theirs. The engine always ships: it is imported plainly (a broken install
fails loudly instead of rendering documents that silently leave the evidence out).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from fairdesk.evidence import service, timestamps
from fairdesk.evidence.vocab import EvidenceKind
from fairdesk.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvidenceView:
    id: str
    sha256: str
    kind: str = EvidenceKind.IMAGE  # the stored EvidenceKind value
    original_name: str = ""
    caption: str = ""
    shows: str = ""
    supports: str = ""  # which right or claim feature it supports
    captured_at: datetime | None = None  # UTC when the offset was known
    captured_local: str = ""  # as the camera wrote it
    captured_offset: str = ""  # "+08:00" when the camera recorded its zone offset, else ""
    capture_is_claim: bool = True  # time comes from the device clock, not a trusted source
    gps_lat: float | None = None
    gps_lon: float | None = None
    camera: str = ""
    hall: str = ""
    booth: str = ""
    notary_present: bool = False
    witness_present: bool = False
    custody: tuple[tuple[str, str, str], ...] = ()  # (ISO time, action, actor), oldest first
    # The earliest RFC 3161 token covering the item's import: (token time, TSA name).
    timestamp: tuple[datetime, str] | None = None
    imported_by: str = ""  # the user who imported it (not necessarily who took the photo)
    path: Path | None = None  # the original in the vault (None if not available here)
    # Opens the original's plaintext (decrypting an encrypted vault); None → read ``path``.
    opener: Callable[[], BinaryIO] | None = field(default=None, compare=False)


def _view(
    store: Store,
    item: Any,
    custody: dict[str, list[tuple[str, str, str]]],
    stamps: dict[str, tuple[datetime, str]],
) -> EvidenceView:
    sha = str(getattr(item, "sha256", ""))
    path: Path | None = None
    try:
        found = service.original_path(store, sha)
        path = Path(found) if found else None
    except Exception:  # a missing original must not stop the document; the view says so
        log.warning("original for %s not available", sha, exc_info=True)
    make = str(getattr(item, "make", "") or "")
    model = str(getattr(item, "model", "") or "")
    camera = model if make and model.startswith(make) else " ".join(p for p in (make, model) if p)
    item_id = str(getattr(item, "id", sha))
    return EvidenceView(
        id=item_id,
        sha256=sha,
        kind=str(getattr(item, "kind", EvidenceKind.FILE)),
        original_name=str(getattr(item, "original_name", "") or ""),
        caption=str(getattr(item, "caption", "") or ""),
        shows=str(getattr(item, "shows", "") or ""),
        supports=str(getattr(item, "supports", "") or ""),
        captured_at=getattr(item, "captured_at", None),
        captured_local=str(getattr(item, "captured_local", "") or ""),
        captured_offset=str(getattr(item, "captured_offset", "") or ""),
        capture_is_claim=bool(getattr(item, "capture_is_claim", True)),
        gps_lat=getattr(item, "gps_lat", None),
        gps_lon=getattr(item, "gps_lon", None),
        camera=camera,
        hall=str(getattr(item, "hall", "") or ""),
        booth=str(getattr(item, "booth", "") or ""),
        notary_present=bool(getattr(item, "notary_present", False)),
        witness_present=bool(getattr(item, "witness_present", False)),
        custody=tuple(custody.get(item_id, []) or custody.get(sha, [])),
        timestamp=stamps.get(item_id),
        imported_by=str(getattr(item, "imported_by", "") or ""),
        path=path,
        opener=(lambda: service.open_original(store, sha)) if path is not None else None,
    )


def _custody_by_item(store: Store, case_id: str) -> dict[str, list[tuple[str, str, str]]]:
    """Custody entries of the case grouped by item id and by SHA-256: (time, action, actor)."""
    out: dict[str, list[tuple[str, str, str]]] = {}
    try:
        rows = service.custody_log(store, case_id)
    except Exception:  # the log is shown where readable; the document does not depend on it
        log.warning("custody log of case %s not readable", case_id, exc_info=True)
        return out
    for row in sorted(rows, key=lambda r: str(getattr(r, "at", ""))):
        entry = (
            str(getattr(row, "at", "")),
            str(getattr(row, "action", "")),
            str(getattr(row, "actor", "")),
        )
        for key in {str(getattr(row, "item_id", "")), str(getattr(row, "item_sha256", ""))}:
            if key:
                out.setdefault(key, []).append(entry)
    return out


def list_evidence(
    store: Store, case_id: str, ids: Sequence[str] | None = None
) -> list[EvidenceView]:
    """The case's visible evidence items (optionally only ``ids``, in that order)."""
    if ids is not None:
        items = list(service.list_items(store, case_id, service.ItemFilter(include_hidden=True)))
        by_id = {str(getattr(i, "id", "")): i for i in items}
        items = [by_id[i] for i in ids if i in by_id]
    else:
        items = list(service.list_items(store, case_id))
    custody = _custody_by_item(store, case_id)
    stamps = _timestamps(store, [str(getattr(i, "id", "")) for i in items])
    return [_view(store, item, custody, stamps) for item in items]


def _timestamps(store: Store, item_ids: list[str]) -> dict[str, tuple[datetime, str]]:
    """Each item's earliest covering RFC 3161 token (time, TSA), where one exists."""
    try:
        with store.read() as session:
            covers = timestamps.coverage(session, item_ids)
    except Exception:  # the line is left out where unreadable; the document does not depend on it
        log.warning("timestamps not readable", exc_info=True)
        return {}
    return {item_id: (c.at, c.tsa_name) for item_id, c in covers.items() if c is not None}
