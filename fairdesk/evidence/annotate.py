"""Annotated copies: crop, arrows, side-by-side comparison — always NEW items.

The original is never touched. The copy is rendered from the upright original, saved as PNG
(lossless), stored in the vault like any import, linked to its original(s) through
``derived_from`` and ``derivation``, and logged in custody as an annotation.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw, ImageOps

from fairdesk import events
from fairdesk.errors import NotFoundError, ValidationError
from fairdesk.evidence import metadata
from fairdesk.evidence.importer import Described, add_item
from fairdesk.evidence.models import EvidenceItem
from fairdesk.evidence.rows import ItemRow, item_row
from fairdesk.evidence.vocab import CustodyAction, EvidenceKind
from fairdesk.i18n import _
from fairdesk.store import Store

ARROW_COLOR = (230, 30, 30)


@dataclass(frozen=True)
class Arrow:
    """From (x1, y1) to (x2, y2), in pixels of the upright picture; the head is at (x2, y2)."""

    x1: float
    y1: float
    x2: float
    y2: float


def _source(store: Store, item_id: str) -> tuple[ItemRow, Image.Image]:
    with store.read() as session:
        item = session.get(EvidenceItem, item_id)
        if item is None:
            raise NotFoundError(_("No evidence item with id {id}.").format(id=item_id))
        row = item_row(item)
    if row.kind != EvidenceKind.IMAGE:
        raise ValidationError(
            _("Only photos can be annotated; “{name}” is not a picture FairDesk can show.").format(
                name=row.display_name
            )
        )
    metadata.register_heif()
    with store.vault.open_original_for_read(row.sha256) as handle:
        image = Image.open(handle)
        if image.size[0] * image.size[1] > metadata.MAX_DECODE_PIXELS:
            raise ValidationError(_("This picture is too large to annotate safely."))
        upright = ImageOps.exif_transpose(image).convert("RGB")
    return row, upright


def _save(
    store: Store, picture: Image.Image, source: ItemRow, name: str, derivation: dict[str, Any]
) -> ItemRow:
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", optimize=False)
    vault = store.vault
    with vault.writer_lock():
        blob = vault.write_bytes(buffer.getvalue())
        described = Described(
            "image/png",
            EvidenceKind.IMAGE,
            metadata.ImageMeta(width=picture.width, height=picture.height),
            "",
        )
        with store.write() as session:
            item = add_item(
                session,
                case_id=source.case_id,
                blob=blob,
                name=name,
                described=described,
                action=CustodyAction.ANNOTATION,
                derived_from=source.id,
                derivation=derivation,
                details={"derivation": derivation, "from_sha256": source.sha256},
                extra={},
            )
            item.hall, item.booth = source.hall, source.booth
            row = item_row(item)
    events.emit(events.Change.EVIDENCE, source.case_id)
    return row


def _stem(row: ItemRow) -> str:
    return row.original_name.rsplit(".", 1)[0][:80] or "item"


def crop(store: Store, item_id: str, box: tuple[int, int, int, int]) -> ItemRow:
    """A cropped copy; ``box`` = (left, top, right, bottom) in upright pixels."""
    row, picture = _source(store, item_id)
    left, top, right, bottom = (int(v) for v in box)
    left, right = max(0, min(left, right)), min(picture.width, max(left, right))
    top, bottom = max(0, min(top, bottom)), min(picture.height, max(top, bottom))
    if right - left < 8 or bottom - top < 8:
        raise ValidationError(_("The crop area is too small; drag a larger rectangle."))
    out = picture.crop((left, top, right, bottom))
    return _save(
        store,
        out,
        row,
        f"{_stem(row)}-crop.png",
        {"op": "crop", "sources": [row.id], "box": [left, top, right, bottom]},
    )


def _draw_arrow(draw: ImageDraw.ImageDraw, arrow: Arrow, width: int) -> None:
    draw.line((arrow.x1, arrow.y1, arrow.x2, arrow.y2), fill=ARROW_COLOR, width=width)
    angle = math.atan2(arrow.y2 - arrow.y1, arrow.x2 - arrow.x1)
    head = width * 5
    points = [(arrow.x2, arrow.y2)]
    for delta in (2.6, -2.6):
        points.append(
            (arrow.x2 + head * math.cos(angle + delta), arrow.y2 + head * math.sin(angle + delta))
        )
    draw.polygon(points, fill=ARROW_COLOR)


def arrows(store: Store, item_id: str, marks: Sequence[Arrow]) -> ItemRow:
    """A copy with red arrows pointing at what matters."""
    if not marks:
        raise ValidationError(_("Draw at least one arrow first."))
    row, picture = _source(store, item_id)
    draw = ImageDraw.Draw(picture)
    width = max(3, min(picture.size) // 120)
    for mark in marks:
        _draw_arrow(draw, mark, width)
    return _save(
        store,
        picture,
        row,
        f"{_stem(row)}-arrows.png",
        {"op": "arrows", "sources": [row.id], "arrows": [[m.x1, m.y1, m.x2, m.y2] for m in marks]},
    )


def side_by_side(store: Store, left_id: str, right_id: str, *, height: int = 1200) -> ItemRow:
    """Our product (left) and the copy (right) scaled to one height, side by side."""
    if left_id == right_id:
        raise ValidationError(_("Choose two different photos to compare."))
    left_row, left = _source(store, left_id)
    right_row, right = _source(store, right_id)
    if left_row.case_id != right_row.case_id:
        raise ValidationError(_("Both photos must belong to the same case."))
    height = min(height, max(left.height, right.height))
    scaled = [
        im.resize((max(1, round(im.width * height / im.height)), height), Image.Resampling.LANCZOS)
        for im in (left, right)
    ]
    gap = max(8, height // 60)
    out = Image.new("RGB", (scaled[0].width + gap + scaled[1].width, height), "white")
    out.paste(scaled[0], (0, 0))
    out.paste(scaled[1], (scaled[0].width + gap, 0))
    return _save(
        store,
        out,
        left_row,
        f"{_stem(left_row)}-vs-{_stem(right_row)}.png",
        {"op": "side_by_side", "sources": [left_row.id, right_row.id]},
    )
