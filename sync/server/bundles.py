"""Verifiable export of a case from HQ: the app's evidence bundle, signed by HQ's own key.

The layout, manifest, bundled ``verify.py`` and signing are the shared format's
(:mod:`bundle.writer`); this module fills it from what HQ holds: the case's synced records,
the originals and documents in the blob store (each re-hashed while it is copied; a file whose
bytes are not what the record says stops the export), and every device's custody chain as the
devices pushed it (entries about other cases redacted to their links, as on a device).

HQ's Ed25519 key lives in ``<data dir>/keys/hq-evidence-signing-ed25519.pem`` (0600, made on
first use); the console shows its fingerprint so a lawyer can compare it with the bundle's.
Scope is the console's (:mod:`sync.server.queries`): a company exports its own cases, a guidance
centre only those escalated to it; anything else is "not found".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

import bundle
from bundle import signing, writer
from sync.server import __version__, queries, summary
from sync.server.blobstore import BlobStore
from sync.server.models import Record, Tenant

KEY_NAME = "hq-evidence-signing-ed25519.pem"
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/heic": ".heic",
    "image/heif": ".heif",
    "image/webp": ".webp",
    "image/tiff": ".tiff",
    "image/gif": ".gif",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "application/pdf": ".pdf",
}
DOCUMENT_EXTENSIONS = {"pdf": ".pdf", "docx": ".docx"}


class ExportRefused(Exception):
    """The bundle cannot be complete and true; ``message`` says why in one sentence."""

    def __init__(self, message: str, missing: bool) -> None:
        super().__init__(message)
        self.message = message
        self.missing = missing  # not at HQ yet (else: HQ's copy does not match its hash)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    sha256: str  # of the zip file
    items: int
    documents: int
    key_fingerprint: str
    case_number: str


def key_path(data_dir: Path) -> Path:
    return Path(data_dir) / "keys" / KEY_NAME


def hq_key(data_dir: Path) -> Ed25519PrivateKey:
    """HQ's bundle signing key (created on first use, owner-only)."""
    return signing.load_or_create(key_path(data_dir))


def hq_fingerprint(data_dir: Path) -> str:
    return signing.fingerprint(hq_key(data_dir))


def _extension(mime: Any) -> str:
    return EXTENSIONS.get(str(mime or "").lower(), ".bin")


def _custody_entries(session: Session, owner: str) -> list[dict[str, Any]]:
    """Every device's chain as HQ received it, each cut at its first gap.

    A device pushes its log in order, so what HQ holds is normally every chain from entry 1;
    an entry still on its way would leave a gap, and a chain is only verifiable up to it.
    """
    rows = session.execute(
        select(Record.case_id, Record.fields).where(
            Record.tenant_id == owner,
            Record.entity == "custody_event",
            Record.deleted.is_(False),
        )
    )
    chains: dict[str, list[dict[str, Any]]] = {}
    for case_id, fields in rows:
        if not isinstance(fields, dict):
            continue
        # The record's case column is authoritative: the wire form keeps it out of fields.
        entry: dict[str, Any] = {**fields, "case_id": case_id or fields.get("case_id") or ""}
        if isinstance(entry.get("device_id"), str) and isinstance(entry.get("seq"), int):
            chains.setdefault(entry["device_id"], []).append(entry)
    entries: list[dict[str, Any]] = []
    for device in sorted(chains):
        expected = 1
        for entry in sorted(chains[device], key=lambda e: e["seq"]):
            if entry["seq"] != expected:
                break
            entries.append(entry)
            expected += 1
    return entries


def _visible_items(case: dict[str, Any]) -> list[dict[str, Any]]:
    """The case's evidence as a device lists it: not hidden, not purged, oldest import first."""
    items = [
        e
        for e in case["evidence"]
        if not e.get("hidden_at") and not e.get("purged_at") and e.get("sha256")
    ]
    items.sort(key=lambda e: (str(e.get("imported_at") or ""), str(e["id"])))
    return items


def _document_name(number: str, doc: dict[str, Any]) -> str:
    stem = "-".join(
        str(p)
        for p in (number, doc.get("kind"), doc.get("language"), f"v{doc.get('version')}")
        if p
    )
    return writer.safe_member(stem + DOCUMENT_EXTENSIONS.get(str(doc.get("format") or ""), ""))


def _copy_blob(out: writer.BundleWriter, store: BlobStore, name: str, sha: str, what: str) -> None:
    try:
        source = store.open_object(sha)
    except (OSError, ValueError):
        raise ExportRefused(
            f"The {what} has not reached HQ yet, so the bundle would be incomplete; export "
            "again after the device has synced it. No bundle was written.",
            missing=True,
        ) from None
    with source:
        actual, _size = out.add_stream(name, source)
    if actual != sha:
        raise ExportRefused(
            f"The {what} held by HQ does not match its recorded SHA-256; no bundle was written.",
            missing=False,
        )


def export_case(
    session: summary.SummarySession,
    store: BlobStore,
    scope: queries.Scope,
    case_id: str,
    out: Path,
    *,
    data_dir: Path,
    exported_by: str,
) -> ExportResult:
    """Write the case's bundle to ``out`` (atomically). Raises CaseNotFound outside the scope
    and ExportRefused when an original or document is not at HQ or not intact."""
    case = queries.show_case(session, scope, case_id)
    owner = case["tenant_id"]
    fields = case["fields"]
    number = str(case.get("number") or case_id[:8])
    key = hq_key(data_dir)
    fingerprint = signing.fingerprint(key)
    tenant = session.get(Tenant, owner)
    items = _visible_items(case)
    docs = sorted(
        (d for d in case["documents"] if d.get("sha256")),
        key=lambda d: (str(d.get("created_at") or ""), d.get("version") or 0),
    )
    entries = _custody_entries(session, owner)
    manifest_items: list[dict[str, Any]] = []
    documents: list[dict[str, Any]] = []
    with writer.BundleWriter(out) as bundle_out:
        for item in items:
            sha = str(item["sha256"])
            name = f"originals/{sha}{_extension(item.get('mime'))}"
            if name not in bundle_out.files:
                label = f"original of “{item.get('original_name') or sha[:16]}”"
                if not queries.tenant_holds(session, owner, sha):
                    raise ExportRefused(
                        f"The {label} has not reached HQ yet, so the bundle would be "
                        "incomplete; export again after the device has synced it. No bundle "
                        "was written.",
                        missing=True,
                    )
                _copy_blob(bundle_out, store, name, sha, label)
            entry = writer.item_entry(item, name)
            entry["timestamp"] = None  # HQ does not hold the devices' RFC 3161 tokens
            manifest_items.append(entry)
        for doc in docs:
            sha = str(doc["sha256"])
            name = f"documents/{_document_name(number, doc)}"
            if name in bundle_out.files:  # two documents with one name: keep both
                stem, dot, ext = name.rpartition(".")
                name = f"{stem}-{sha[:8]}{dot}{ext}"
            label = f"document “{doc.get('title') or doc.get('kind') or sha[:16]}”"
            if not queries.tenant_holds(session, owner, sha):
                raise ExportRefused(
                    f"The {label} has not reached HQ yet, so the bundle would be incomplete; "
                    "export again after the device has synced it. No bundle was written.",
                    missing=True,
                )
            _copy_blob(bundle_out, store, name, sha, label)
            documents.append({"file": name, "sha256": sha, "kind": doc.get("kind")})
        heads = bundle_out.add_custody(entries, case_id)
        manifest: dict[str, Any] = {
            "format": bundle.FORMAT,
            "exported_at": datetime.now(UTC).isoformat(),
            "exported_by": {
                "hq": True,
                "tenant": tenant.name if tenant else owner,
                "user": exported_by,
                "app": f"fairdesk-hq {__version__}",
                "public_key_sha256": fingerprint,
            },
            "case": {
                "id": case_id,
                "number": number,
                "title": case.get("title"),
                "direction": fields.get("direction"),
                "trigger": fields.get("trigger"),
                "status": case.get("status"),
                "level": case.get("level"),
                "fair": case.get("fair_name"),
                "hall": fields.get("hall"),
                "booth": fields.get("booth"),
                "products": fields.get("products"),
                "summary": fields.get("summary"),
            },
            "items": manifest_items,
            "documents": documents,
            "custody": {"file": "custody-log.jsonl", "heads": heads},
            "timestamps": [],
        }
        how_to = writer.how_to_verify(number, fingerprint, 0, writer.HQ)
        digest = bundle_out.finish(manifest, key, how_to)
    return ExportResult(out, digest, len(manifest_items), len(documents), fingerprint, number)


def summary_json(result: ExportResult) -> str:
    return json.dumps(
        {
            "bundle": str(result.path),
            "sha256": result.sha256,
            "items": result.items,
            "documents": result.documents,
            "public_key_sha256": result.key_fingerprint,
        },
        ensure_ascii=False,
    )
