"""Frozen result rows the evidence services hand out (safe to pass between threads)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fairdesk.evidence.models import CustodyEvent

# Controls, bidi overrides and zero-width characters can disguise a file name on screen.
_UNSAFE_NAME = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def display_name(name: str) -> str:
    """A file name safe to show: invisible and direction-changing characters made visible."""
    return _UNSAFE_NAME.sub("\ufffd", name) or "\u2014"


@dataclass(frozen=True)
class ItemRow:
    id: str
    case_id: str
    sha256: str
    original_name: str
    size: int
    mime: str
    # The stored vocab.EvidenceKind value, kept as stored (a newer device may add a kind).
    kind: str
    captured_at: datetime | None
    captured_local: str
    captured_offset: str
    capture_is_claim: bool
    gps_lat: float | None
    gps_lon: float | None
    make: str
    model: str
    orientation: int
    width: int | None
    height: int | None
    file_modified_at: datetime | None
    imported_by: str
    device_id: str
    imported_at: datetime
    import_note: str
    caption: str
    shows: str
    supports: str
    hall: str
    booth: str
    notary_present: bool
    witness_present: bool
    tags: tuple[str, ...]
    derived_from: str | None
    derivation: dict[str, Any]
    hidden_reason: str
    hidden_at: datetime | None
    purged: bool
    integrity: str  # a vocab.Integrity value

    @property
    def display_name(self) -> str:
        return display_name(self.original_name)

    @property
    def capture_date(self) -> str:
        """The capture day as the camera saw it (YYYY-MM-DD), or '' if unknown."""
        return self.captured_local[:10]


def item_row(item: Any) -> ItemRow:
    """From an EvidenceItem, or from a Core row of the evidence_item table (faster for lists)."""
    return ItemRow(
        id=item.id,
        case_id=item.case_id,
        sha256=item.sha256,
        original_name=item.original_name,
        size=item.size,
        mime=item.mime,
        kind=item.kind,
        captured_at=item.captured_at,
        captured_local=item.captured_local,
        captured_offset=item.captured_offset,
        capture_is_claim=item.capture_is_claim,
        gps_lat=item.gps_lat,
        gps_lon=item.gps_lon,
        make=item.make,
        model=item.model,
        orientation=item.orientation,
        width=item.width,
        height=item.height,
        file_modified_at=item.file_modified_at,
        imported_by=item.imported_by,
        device_id=item.device_id,
        imported_at=item.imported_at,
        import_note=item.import_note,
        caption=item.caption,
        shows=item.shows,
        supports=item.supports,
        hall=item.hall,
        booth=item.booth,
        notary_present=item.notary_present,
        witness_present=item.witness_present,
        tags=tuple(item.tags or ()),
        derived_from=item.derived_from,
        derivation=dict(item.derivation or {}),
        hidden_reason=item.hidden_reason,
        hidden_at=item.hidden_at,
        purged=item.purged_at is not None,
        integrity=item.integrity,
    )


@dataclass(frozen=True)
class CustodyRow:
    seq: int
    device_id: str
    action: str  # the vocab.CustodyAction value exactly as hashed
    item_sha256: str
    item_id: str
    case_id: str
    actor: str
    at: str
    details: str
    entry_hash: str


def custody_row(event: CustodyEvent) -> CustodyRow:
    return CustodyRow(
        event.seq,
        event.device_id,
        event.action,
        event.item_sha256,
        event.item_id,
        event.case_id,
        event.actor,
        event.at,
        event.details,
        event.entry_hash,
    )
