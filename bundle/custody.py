"""The custody log as a bundle carries it: RFC 6962 leaf and tree hashes, tree heads, and the
``custody-log.jsonl`` lines (entries about other cases redacted to what links the chain).

The device's log (``fairdesk.evidence.custody``) hashes with these functions; the bundled
``verify.py`` re-implements them with the standard library (a test runs both on one log).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

GENESIS = "0" * 64
HASHED_FIELDS = (
    "seq",
    "device_id",
    "action",
    "item_sha256",
    "item_id",
    "case_id",
    "actor",
    "at",
    "details",
    "prev_hash",
)


def canonical(fields: dict[str, Any]) -> bytes:
    """The exact bytes that are hashed for one entry (sorted keys, no spaces, UTF-8)."""
    body = {name: fields[name] for name in HASHED_FIELDS}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def leaf_hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(b"\x00" + canonical(fields)).hexdigest()


def merkle_root(leaves: Sequence[str]) -> str:
    """RFC 6962 Merkle Tree Hash over hex leaf hashes (already ``H(0x00 || entry)``)."""
    if not leaves:
        return hashlib.sha256(b"").hexdigest()
    nodes = [bytes.fromhex(leaf) for leaf in leaves]

    def mth(items: list[bytes]) -> bytes:
        if len(items) == 1:
            return items[0]
        split = 1
        while split * 2 < len(items):
            split *= 2
        return hashlib.sha256(b"\x01" + mth(items[:split]) + mth(items[split:])).digest()

    return mth(nodes).hex()


def head(entries: Sequence[dict[str, Any]], device_id: str) -> dict[str, Any]:
    """The tree head of one device's log: size, last hash, Merkle root."""
    chain = sorted((e for e in entries if e["device_id"] == device_id), key=lambda e: e["seq"])
    return {
        "device_id": device_id,
        "tree_size": len(chain),
        "last_entry_hash": chain[-1]["entry_hash"] if chain else GENESIS,
        "merkle_root": merkle_root([e["entry_hash"] for e in chain]),
    }


def log_lines(entries: Sequence[dict[str, Any]], case_id: str) -> list[str]:
    """``custody-log.jsonl``'s lines: this case's entries whole, others reduced to their links."""
    lines = []
    for entry in entries:
        if entry["case_id"] == case_id:
            body = {k: entry[k] for k in (*HASHED_FIELDS, "entry_hash")}
        else:  # another case: keep the link, hide the content
            body = {
                "seq": entry["seq"],
                "device_id": entry["device_id"],
                "redacted": True,
                "prev_hash": entry["prev_hash"],
                "entry_hash": entry["entry_hash"],
            }
        lines.append(json.dumps(body, sort_keys=True, ensure_ascii=False))
    return lines
