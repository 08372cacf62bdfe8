"""The custody log: append-only, hash-chained per device, with an RFC 6962 Merkle tree head.

Each entry's hash is ``SHA-256(0x00 || canonical JSON)`` — the RFC 6962 leaf hash — and the
canonical JSON includes the previous entry's hash, so the entries of one device form a chain:
deleting, editing or reordering an entry breaks it exactly there. The Merkle tree head over
the same leaves (``0x01`` for inner nodes) is what an export signs, so HQ or a court expert
holding an older head can check that the log only grew.

The hashing lives in :mod:`bundle.custody` (shared with HQ). The verifier in exported
bundles re-implements :func:`canonical` and :func:`check_chain`
with the standard library only; keep the two in step (a test runs both on the same log).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

# The hashing is the bundle format's: one definition for the device, HQ and export bundles.
from bundle.custody import GENESIS as GENESIS
from bundle.custody import HASHED_FIELDS as HASHED_FIELDS
from bundle.custody import canonical as canonical
from bundle.custody import head as head
from bundle.custody import leaf_hash as leaf_hash
from bundle.custody import merkle_root as merkle_root
from fairdesk import outbox
from fairdesk.evidence import timestamps
from fairdesk.evidence.models import CustodyEvent
from fairdesk.evidence.vocab import CustodyAction
from fairdesk.i18n import _
from fairdesk.ids import new_id
from fairdesk.model import Device
from fairdesk.timeutil import utcnow


def entry_fields(event: CustodyEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in (*HASHED_FIELDS, "entry_hash", "id")}


def details_json(details: dict[str, Any] | None) -> str:
    return json.dumps(details or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def append(
    session: Session,
    *,
    action: CustodyAction,
    item_sha256: str = "",
    item_id: str = "",
    case_id: str = "",
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> CustodyEvent:
    """Add the next entry of this device's chain inside the caller's transaction."""
    try:
        # The plain value is what is stored and hashed (the enum member only checks it).
        action_value = CustodyAction(action).value
    except ValueError:
        raise ValueError(f"unknown custody action {action!r}") from None
    device = session.scalars(select(Device)).one()
    last = session.scalars(
        select(CustodyEvent)
        .where(CustodyEvent.device_id == device.id)
        .order_by(CustodyEvent.seq.desc())
        .limit(1)
    ).first()
    fields: dict[str, Any] = {
        "seq": (last.seq + 1) if last else 1,
        "device_id": device.id,
        "action": action_value,
        "item_sha256": item_sha256,
        "item_id": item_id,
        "case_id": case_id,
        "actor": device.user_name,
        "at": (at or utcnow()).isoformat(timespec="microseconds"),
        "details": details_json(details),
        "prev_hash": last.entry_hash if last else GENESIS,
    }
    event = CustodyEvent(id=new_id(), entry_hash=leaf_hash(fields), **fields)
    session.add(event)
    session.flush()  # the unique (device, seq) constraint catches a concurrent writer now
    timestamps.queue_head(session, device.id, event.seq)  # the head moved: stamp it when online
    outbox.record(
        session,
        entity="custody_event",
        entity_id=event.id,
        op="insert",
        case_id=case_id or None,
        changes={**fields, "entry_hash": event.entry_hash},
        blob_refs=[],
    )
    return event


@dataclass(frozen=True)
class ChainProblem:
    device_id: str
    seq: int
    what: str  # a sentence for the user


def check_chain(entries: Iterable[dict[str, Any]]) -> list[ChainProblem]:
    """Check every device's chain: numbering, hashes, links. Each problem names the entry."""
    by_device: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        by_device.setdefault(entry["device_id"], []).append(entry)
    problems: list[ChainProblem] = []
    for device_id, chain in by_device.items():
        chain.sort(key=lambda e: e["seq"])
        prev_hash = GENESIS
        expected_seq = 1
        for entry in chain:
            seq = entry["seq"]
            if seq != expected_seq:
                problems.append(
                    ChainProblem(
                        device_id,
                        expected_seq,
                        _(
                            "Custody log entry {seq} of device {device} is missing (the log jumps from "
                            "{before} to {after})."
                        ).format(
                            seq=expected_seq,
                            device=device_id[:8],
                            before=expected_seq - 1,
                            after=seq,
                        ),
                    )
                )
            if leaf_hash(entry) != entry["entry_hash"]:
                problems.append(
                    ChainProblem(
                        device_id,
                        seq,
                        _(
                            "Custody log entry {seq} of device {device} ({action}) was altered: its "
                            "content no longer matches its hash."
                        ).format(seq=seq, device=device_id[:8], action=entry["action"]),
                    )
                )
            elif entry["prev_hash"] != prev_hash and seq == expected_seq:
                problems.append(
                    ChainProblem(
                        device_id,
                        seq,
                        _(
                            "Custody log entry {seq} of device {device} does not follow the entry "
                            "before it (entries removed, replaced or reordered)."
                        ).format(seq=seq, device=device_id[:8]),
                    )
                )
            prev_hash = entry["entry_hash"]
            expected_seq = seq + 1
    return problems


def all_entries(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(select(CustodyEvent).order_by(CustodyEvent.device_id, CustodyEvent.seq))
    return [entry_fields(row) for row in rows]
