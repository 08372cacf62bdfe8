"""Exporting a case's evidence as a bundle anyone can verify without FairDesk.

The zip holds ``originals/`` (named by SHA-256, never by the received name), ``documents/``
(the case's generated documents), ``manifest.json`` (every
item's hash and metadata, the case summary, every file's hash, the custody tree heads),
``custody-log.jsonl`` (this device's chain; entries about other cases are redacted to their
hashes so the chain still checks), ``HOW-TO-VERIFY.txt`` (Chinese and English), ``verify.py``
(standard library only), ``public_key.pem`` and ``manifest.sig`` (Ed25519 over the manifest).

Documents: the caller passes ``documents``, a function giving the case's generated documents
as :class:`ExportFile` objects (``fairdesk.documents.service.export_entries``; that package sits
above this one). They are copied into ``documents/`` and listed in the manifest. The argument
is required, so no export can leave the documents out by forgetting to register them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

import bundle as bundle_format
from bundle import writer
from fairdesk import __version__, cases
from fairdesk.crypto import blobcrypt
from fairdesk.errors import FairDeskError, ValidationError
from fairdesk.evidence import custody, ondemand, signing, timestamps
from fairdesk.evidence.metadata import extension_for
from fairdesk.evidence.rows import ItemRow
from fairdesk.evidence.service import ItemFilter, list_items
from fairdesk.evidence.verify import removed_for_travel
from fairdesk.evidence.vocab import CustodyAction
from fairdesk.i18n import _
from fairdesk.model import Case
from fairdesk.store import Store
from fairdesk.timeutil import utcnow
from fairdesk.vault import Cancelled, CancelLike

# The format itself (layout, manifest, verify.py, signing) is the shared ``bundle`` package's.
FORMAT = bundle_format.FORMAT
KEPT_AT_HQ = bundle_format.KEPT_AT_HQ
INCLUDED = bundle_format.INCLUDED


@dataclass(frozen=True)
class ExportFile:
    """A generated document to include: its name in the bundle and how to read its bytes."""

    name: str  # e.g. "response-letter-v2.pdf"; sanitised before use
    open: Callable[[], BinaryIO]
    kind: str = "document"
    sha256: str = ""  # the recorded hash, when known: a file that no longer has it stops export


DocumentSource = Callable[[Store, str], Iterable[ExportFile]]


@dataclass(frozen=True)
class ExportResult:
    path: Path  # the zip, or the password-protected file (.fdenc) holding it
    sha256: str  # of the zip file
    items: int
    documents: int
    key_fingerprint: str
    how_to_open: Path | None = None  # password-protected export: the instructions beside it
    kept_at_hq: int = 0  # items whose original was removed for travel: listed, bytes not included


PROTECTED_SUFFIX = ".fdenc"
HOW_TO_OPEN_SUFFIX = ".HOW-TO-OPEN.txt"
MIN_PASSWORD = 8


_UNSAFE_IN_NAME = re.compile(r'[\\/:*?"<>|\s\x00-\x1f]+')


def default_file_name(store: Store, case_id: str, today: date | None = None) -> str:
    """``<case number>-evidence-<YYYY-MM-DD>.zip``: what a responder recognises in a folder
    (the internal id means nothing to them). Characters no file system takes become "-"."""
    with store.read() as session:
        case = session.get(Case, case_id)
        number = case.number if case is not None else case_id[:8]
    day = (today or datetime.now().astimezone().date()).isoformat()
    safe = _UNSAFE_IN_NAME.sub("-", number).strip("-.") or case_id[:8]
    return f"{safe}-evidence-{day}.zip"


def protected_path(out: Path) -> Path:
    """Where a password-protected export of ``out`` goes: ``F.zip`` → ``F.zip.fdenc``."""
    out = Path(out)
    return (
        out if out.name.endswith(PROTECTED_SUFFIX) else out.with_name(out.name + PROTECTED_SUFFIX)
    )


def check_export_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(
            _("The export password needs at least {count} characters.").format(count=MIN_PASSWORD)
        )


def kept_at_hq_text(count: int) -> str:
    """The summary line for originals an export listed without their bytes (travel mode)."""
    return _(
        "Originals not included (kept at HQ, removed for travel): {count}. The manifest lists "
        "them with their SHA-256 and the bundle's verify.py reports them as not included."
    ).format(count=count)


def _how_to_open(name: str, zip_name: str) -> str:
    return f"""HOW TO OPEN THIS PASSWORD-PROTECTED EVIDENCE BUNDLE
===================================================

{name} is a FairDesk evidence bundle (a zip file), encrypted with a password
(AES-256-GCM; the key is derived from the password with Argon2id). The password is not
in this file: get it from the sender another way (a phone call, not the same e-mail).

1. Put the password alone in a text file, e.g. password.txt.
2. With FairDesk installed, run:
   fairdesk protect open-export "{name}" --password-file password.txt
   This writes {zip_name}. A wrong password, or a file that was changed or damaged,
   is refused and nothing is written.
3. Unpack {zip_name} and follow HOW-TO-VERIFY.txt inside it ("python3 verify.py").

如何打开本密码保护的证据包
==========================

{name} 是用密码加密的 FairDesk 证据包（zip 文件；AES-256-GCM，密钥由密码经 Argon2id
派生）。密码不在本文件中：请通过其他途径向发送方索取（例如电话，而不是同一封邮件）。

1. 将密码单独写入一个文本文件，例如 password.txt。
2. 在装有 FairDesk 的电脑上运行：
   fairdesk protect open-export "{name}" --password-file password.txt
   将生成 {zip_name}。密码错误或文件被改动、损坏时会被拒绝，不会写出任何内容。
3. 解压 {zip_name}，按其中 HOW-TO-VERIFY.txt 的说明校验（“python3 verify.py”）。
"""


_safe_member = writer.safe_member


def _item_json(row: ItemRow, file_name: str | None) -> dict[str, Any]:
    return writer.item_entry(asdict(row), file_name)


def export_case(
    store: Store,
    case_id: str,
    out: Path | str,
    *,
    documents: DocumentSource,
    cancel: CancelLike | None = None,
    progress: Callable[[int, int], None] | None = None,
    password: str | None = None,
    fetch_progress: Callable[[ondemand.Progress], None] | None = None,
) -> ExportResult:
    """Write the bundle to ``out`` (atomically: a temp file renamed at the end).

    On a device whose role reads the case (HQ legal, admin, guidance), the originals and
    documents only HQ holds are downloaded first (``fetch_progress`` reports it); if some
    cannot be, :class:`ondemand.NotDownloaded` says which, and nothing is written.

    With ``password`` the finished zip is encrypted into ``F.zip.fdenc`` (see
    :func:`protected_path`) with ``F.zip.fdenc.HOW-TO-OPEN.txt`` beside it; the plain zip
    exists only as a temp file in the same folder while it is encrypted.
    """
    out = final = Path(out)
    if password is not None:
        check_export_password(password)
        final = protected_path(out)
        out = final.with_name(f".{final.name}.{uuid.uuid4().hex}.plain.zip")
    detail = cases.get_case(store, case_id)
    case_id = detail.case.id
    ondemand.ensure_case(store, case_id, fetch_progress, cancel)
    items = list_items(store, case_id, ItemFilter())
    vault = store.vault
    key = signing.load_or_create(store.data_dir)
    fingerprint = signing.fingerprint(key)
    with store.read() as session:
        entries = custody.all_entries(session)
        travelled = removed_for_travel(session)
    # Removed for travel and not back yet: listed in the manifest, bytes not in the bundle.
    at_hq = {r.sha256 for r in items if r.sha256 in travelled and not vault.exists(r.sha256)}
    kept = sum(1 for r in items if r.sha256 in at_hq)
    manifest_items: list[dict[str, Any]] = []
    listed_documents: list[dict[str, Any]] = []

    def check() -> None:
        if cancel is not None and cancel.cancelled:
            raise Cancelled(_("Export cancelled; no bundle was written."))

    try:
        with writer.BundleWriter(out, check) as bundle:
            for index, row in enumerate(items):
                if progress is not None:
                    progress(index, len(items))
                if row.sha256 in at_hq:
                    manifest_items.append(_item_json(row, None))
                    continue
                name = f"originals/{row.sha256}{extension_for(row.mime)}"
                if name not in bundle.files:
                    try:
                        source = vault.open_original_for_read(row.sha256)
                    except FileNotFoundError:
                        raise FairDeskError(
                            _(
                                "Export stopped: the original of “{name}” is missing from the "
                                "evidence folder. Run Verify to see all problems; no bundle was "
                                "written."
                            ).format(name=row.display_name)
                        ) from None
                    with source:
                        sha, _size = bundle.add_stream(name, source)
                    if sha != row.sha256:
                        raise FairDeskError(
                            _(
                                "Export stopped: the original of “{name}” is damaged (its SHA-256 "
                                "no longer matches). Run Verify to see all problems; no bundle was "
                                "written."
                            ).format(name=row.display_name)
                        )
                manifest_items.append(_item_json(row, name))
            for doc in documents(store, case_id):
                name = f"documents/{_safe_member(doc.name)}"
                if name in bundle.files:  # two documents with one name: keep both
                    stem, dot, ext = name.rpartition(".")
                    name = f"{stem}-{doc.sha256[:8] or len(bundle.files)}{dot}{ext}"
                with doc.open() as source:
                    sha, _size = bundle.add_stream(name, source)
                if doc.sha256 and sha != doc.sha256:
                    raise FairDeskError(
                        _(
                            "Export stopped: the document “{name}” is damaged (its SHA-256 "
                            "no longer matches). No bundle was written."
                        ).format(name=doc.name)
                    )
                listed_documents.append({"file": name, "sha256": sha, "kind": doc.kind})
            heads = bundle.add_custody(entries, case_id)
            with store.read() as session:  # RFC 3161 tokens covering the items, and their heads
                stamps = timestamps.for_bundle(session, [row.id for row in items])
            for name, data in stamps.files.items():
                bundle.add_bytes(name, data)
            for entry in manifest_items:
                entry["timestamp"] = stamps.items.get(entry["id"])
            case = detail.case
            manifest = {
                "format": FORMAT,
                "exported_at": utcnow().isoformat(),
                "exported_by": {
                    "device_id": store.device.id,
                    "user": store.device.user_name,
                    "app": f"FairDesk {__version__}",
                    "public_key_sha256": fingerprint,
                },
                "case": {
                    "id": case.id,
                    "number": case.number,
                    "title": case.title,
                    "direction": case.direction.value,
                    "trigger": case.trigger.value,
                    "status": case.status.value,
                    "level": case.level.value,
                    "fair": case.fair_name or None,
                    "hall": detail.hall,
                    "booth": detail.booth,
                    "products": detail.products,
                    "summary": detail.summary,
                },
                "items": manifest_items,
                "documents": listed_documents,
                "custody": {"file": "custody-log.jsonl", "heads": heads},
                "timestamps": stamps.records,
            }
            how_to_verify = writer.how_to_verify(case.number, fingerprint, kept)
            digest = bundle.finish(manifest, key, how_to_verify)
    except OSError as exc:
        raise ValidationError(
            _("The bundle could not be written to {path} ({error}); nothing was exported.").format(
                path=final, error=exc.strerror or exc
            )
        ) from exc
    how_to: Path | None = None
    if password is not None:
        try:
            blobcrypt.encrypt_file_with_password(out, final, password)
            how_to = final.with_name(final.name + HOW_TO_OPEN_SUFFIX)
            how_to.write_text(
                _how_to_open(final.name, final.name[: -len(PROTECTED_SUFFIX)]), "utf-8"
            )
        except OSError as exc:
            raise ValidationError(
                _(
                    "The bundle could not be written to {path} ({error}); nothing was exported."
                ).format(path=final, error=exc.strerror or exc)
            ) from exc
        finally:
            out.unlink(missing_ok=True)  # never leave the unprotected zip behind
    details: dict[str, Any] = {"bundle_sha256": digest, "bundle": final.name}
    if password is not None:
        details["password_protected"] = True
    with store.write() as session:
        for row in items:
            custody.append(
                session,
                action=CustodyAction.EXPORT,
                item_sha256=row.sha256,
                item_id=row.id,
                case_id=case_id,
                details=details | {"original": KEPT_AT_HQ} if row.sha256 in at_hq else details,
            )
    return ExportResult(final, digest, len(items), len(listed_documents), fingerprint, how_to, kept)
