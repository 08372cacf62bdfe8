"""Exporting a case's evidence as a bundle anyone can verify without FairDesk.

The zip holds ``originals/`` (named by SHA-256, never by the received name), ``documents/``
(generated documents, when the documents feature provides them), ``manifest.json`` (every
item's hash and metadata, the case summary, every file's hash, the custody tree heads),
``custody-log.jsonl`` (this device's chain; entries about other cases are redacted to their
hashes so the chain still checks), ``HOW-TO-VERIFY.txt`` (Chinese and English), ``verify.py``
(standard library only), ``public_key.pem`` and ``manifest.sig`` (Ed25519 over the manifest).

Documents: another feature registers a provider in :data:`DOCUMENT_PROVIDERS` returning
:class:`ExportFile` objects; they are copied into ``documents/`` and listed in the manifest.
The documents feature (``fairdesk.documents.service``) registers itself when imported;
:func:`export_case` imports it lazily (it sits above this module) so that every export, from
the command line or the app, includes the case's generated documents.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import re
import uuid
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, BinaryIO

from fairdesk import __version__, cases
from fairdesk.errors import FairDeskError, ValidationError
from fairdesk.evidence import custody, ondemand, signing, timestamps
from fairdesk.evidence.metadata import extension_for
from fairdesk.evidence.models import EXPORT
from fairdesk.evidence.rows import ItemRow
from fairdesk.evidence.service import ItemFilter, list_items
from fairdesk.evidence.vault import CHUNK, Cancelled, CancelLike, Vault
from fairdesk.evidence.verify import removed_for_travel
from fairdesk.fsutil import fsync_dir
from fairdesk.i18n import _
from fairdesk.model import Case
from fairdesk.protect import blobcrypt
from fairdesk.resources import resource_path
from fairdesk.store import Store
from fairdesk.timeutil import utcnow

FORMAT = "fairdesk-evidence-bundle/1"
# manifest.json "original" of an item whose bytes are not in the bundle (travel mode removed
# the local copy; HQ holds it). The bundled verify.py matches this exact text.
KEPT_AT_HQ = "kept at HQ (removed for travel)"
INCLUDED = "included"


@dataclass(frozen=True)
class ExportFile:
    """A generated document to include: its name in the bundle and how to read its bytes."""

    name: str  # e.g. "response-letter-v2.pdf"; sanitised before use
    open: Callable[[], BinaryIO]
    kind: str = "document"
    sha256: str = ""  # the recorded hash, when known: a file that no longer has it stops export


DocumentProvider = Callable[[Store, str], Iterable[ExportFile]]
DOCUMENT_PROVIDERS: list[DocumentProvider] = []
_OPTIONAL_PROVIDERS = ("fairdesk.documents.service",)  # register themselves on import


def _load_providers() -> None:
    for module in _OPTIONAL_PROVIDERS:
        with contextlib.suppress(ImportError):  # a build without that feature exports without
            importlib.import_module(module)


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


def _safe_member(name: str) -> str:
    keep = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name).strip("._")
    return keep[:120] or "document"


def _item_json(row: ItemRow, file_name: str | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "sha256": row.sha256,
        "file": file_name,
        "original": INCLUDED if file_name is not None else KEPT_AT_HQ,
        "original_name": row.original_name,
        "size": row.size,
        "mime": row.mime,
        "kind": row.kind,
        "capture_time": {
            "local": row.captured_local or None,
            "utc_offset": row.captured_offset or None,
            "utc": row.captured_at.isoformat() if row.captured_at else None,
            "source": "camera clock (a claim, not a proof)" if row.captured_local else None,
        },
        "gps": None if row.gps_lat is None else {"lat": row.gps_lat, "lon": row.gps_lon},
        "camera": {"make": row.make, "model": row.model},
        "orientation": row.orientation,
        "pixels": None if row.width is None else {"width": row.width, "height": row.height},
        "file_modified_at": row.file_modified_at.isoformat() if row.file_modified_at else None,
        "imported_by": row.imported_by,
        "device_id": row.device_id,
        "imported_at": row.imported_at.isoformat(),
        "note": row.import_note,
        "caption": row.caption,
        "shows": row.shows,
        "supports": row.supports,
        "hall": row.hall,
        "booth": row.booth,
        "notary_present": row.notary_present,
        "witness_present": row.witness_present,
        "tags": list(row.tags),
        "derived_from": row.derived_from,
        "derivation": row.derivation,
    }


def _copy_hashed(source: BinaryIO, target: IO[bytes], cancel: CancelLike | None) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := source.read(CHUNK):
        if cancel is not None and cancel.cancelled:
            raise Cancelled(_("Export cancelled; no bundle was written."))
        digest.update(chunk)
        target.write(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _kept_note(count: int) -> str:
    if not count:
        return ""
    return f"""
NOT INCLUDED / 未包含: {count} original(s) are listed in manifest.json but are not in this
bundle. They were removed from the exporting computer for travel and are kept at HQ; in
manifest.json each has "original": "{KEPT_AT_HQ}" and its SHA-256. verify.py reports them
as NOT INCLUDED (not as failures). Ask the exporting company's HQ for them and compare their
SHA-256 with the manifest.
有 {count} 个原始文件列在 manifest.json 中，但不在本证据包内：出差期间已从导出电脑上移除，
由总部保存（manifest.json 中标为 "original": "{KEPT_AT_HQ}"，并记录其 SHA-256）。
verify.py 会将其列为“未包含”，而非校验失败。请向导出方总部索取，并核对其 SHA-256。
"""


def _how_to(case_number: str, fingerprint: str, kept_at_hq: int = 0) -> str:
    return f"""HOW TO VERIFY THIS EVIDENCE BUNDLE (case {case_number})
=====================================================

1. Unpack the zip file into a folder.
2. In that folder run:   python3 verify.py
   (Python 3.8 or newer; nothing else needs to be installed.)
3. "ALL CHECKS PASSED" means: every original and document has exactly the SHA-256 recorded
   in manifest.json, and the custody log's hash chain and Merkle tree head are intact.
   Otherwise verify.py names every file or log entry that fails.
4. The signature (manifest.sig, Ed25519, public key in public_key.pem) is checked too when
   the Python package "cryptography" is installed; without it, use OpenSSL 3:
   openssl pkeyutl -verify -pubin -inkey public_key.pem -rawin -in manifest.json -sigfile manifest.sig
   Public key fingerprint (SHA-256 of the raw key): {fingerprint}
   Ask the exporting company to confirm this fingerprint belongs to their device.

5. Independent time (RFC 3161): timestamps/ holds tokens from time-stamping authorities
   (the company's HQ and any public authority it uses) over heads of the custody log.
   verify.py checks that each token's message imprint is the SHA-256 of the head file it
   claims (timestamps/*.head.json) and that this head is the Merkle tree of the log's first
   entries; it prints, for each token, the exact OpenSSL command that checks the authority's
   signature and certificate, e.g.
   openssl ts -verify -data timestamps/X.head.json -in timestamps/X-hq.tsr -token_in -CAfile timestamps/hq-certificates.pem
   Each item in manifest.json with a "timestamp" was in the log before that token's time.
   Ask the company to confirm the authority's root certificate (the last one in the .pem).

Capture times come from the camera's own clock: they are what the device claimed, not proof.
Originals are stored exactly as received (never converted); files in originals/ are named by
their SHA-256; manifest.json gives each one's original name and metadata.

如何核验本证据包（案件 {case_number}）
=====================================

1. 将 zip 文件解压到一个文件夹。
2. 在该文件夹中运行：   python3 verify.py
   （需要 Python 3.8 或更高版本，无需安装其他软件。）
3. 显示 “ALL CHECKS PASSED / 全部校验通过” 表示：每个原始文件和文书的 SHA-256 与
   manifest.json 中的记录完全一致，保管记录（哈希链和 Merkle 树摘要）完整无缺。
   否则 verify.py 会逐一列出未通过校验的文件或记录。
4. 如已安装 Python 包 “cryptography”，还会校验签名（manifest.sig，Ed25519，公钥见
   public_key.pem）；未安装时可使用 OpenSSL 3（命令见上文第 4 条）。
   公钥指纹（原始公钥的 SHA-256）：{fingerprint}
   请向导出方确认该指纹属于其设备。

5. 独立时间（RFC 3161）：timestamps/ 中是时间戳机构（公司总部及公司采用的公共机构）
   对保管记录摘要签发的时间戳。verify.py 核对每个时间戳的消息摘要是否等于其所对应摘要
   文件（timestamps/*.head.json）的 SHA-256，并核对该摘要是否为保管记录前若干条记录的
   Merkle 树；对每个时间戳，它会打印用于核验机构签名和证书的 OpenSSL 命令（见上文第 5 条）。
   manifest.json 中带 "timestamp" 的证据，在该时间戳时间之前已记入保管记录。
   请向公司确认时间戳机构的根证书（.pem 文件中的最后一个证书）。

拍摄时间来自相机自身的时钟，只是设备的声明，不能作为证明。
原始文件按接收时的原样保存（从未转换），originals/ 中的文件以其 SHA-256 命名；
各文件的原始文件名和元数据见 manifest.json。
{_kept_note(kept_at_hq)}"""


def _custody_lines(entries: list[dict[str, Any]], case_id: str) -> list[str]:
    lines = []
    for entry in entries:
        if entry["case_id"] == case_id:
            body = {k: entry[k] for k in (*custody.HASHED_FIELDS, "entry_hash")}
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


def export_case(
    store: Store,
    case_id: str,
    out: Path | str,
    *,
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
    vault = Vault(store.data_dir)
    key = signing.load_or_create(store.data_dir)
    fingerprint = signing.fingerprint(key)
    with store.read() as session:
        entries = custody.all_entries(session)
        travelled = removed_for_travel(session)
    # Removed for travel and not back yet: listed in the manifest, bytes not in the bundle.
    at_hq = {r.sha256 for r in items if r.sha256 in travelled and not vault.exists(r.sha256)}
    kept = sum(1 for r in items if r.sha256 in at_hq)
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(f".{out.name}.{uuid.uuid4().hex}.part")
    files: dict[str, dict[str, Any]] = {}
    manifest_items: list[dict[str, Any]] = []
    documents: list[dict[str, Any]] = []
    try:
        with zipfile.ZipFile(temp, "w", zipfile.ZIP_STORED, allowZip64=True) as bundle:

            def add_bytes(name: str, data: bytes) -> None:
                bundle.writestr(name, data)
                files[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}

            for index, row in enumerate(items):
                if progress is not None:
                    progress(index, len(items))
                if row.sha256 in at_hq:
                    manifest_items.append(_item_json(row, None))
                    continue
                name = f"originals/{row.sha256}{extension_for(row.mime)}"
                if name not in files:
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
                    with source, bundle.open(name, "w", force_zip64=True) as target:
                        sha, size = _copy_hashed(source, target, cancel)
                    if sha != row.sha256:
                        raise FairDeskError(
                            _(
                                "Export stopped: the original of “{name}” is damaged (its SHA-256 "
                                "no longer matches). Run Verify to see all problems; no bundle was "
                                "written."
                            ).format(name=row.display_name)
                        )
                    files[name] = {"sha256": sha, "size": size}
                manifest_items.append(_item_json(row, name))
            _load_providers()
            for provider in DOCUMENT_PROVIDERS:
                for doc in provider(store, case_id):
                    name = f"documents/{_safe_member(doc.name)}"
                    if name in files:  # two documents with one name: keep both
                        stem, dot, ext = name.rpartition(".")
                        name = f"{stem}-{doc.sha256[:8] or len(files)}{dot}{ext}"
                    with doc.open() as source, bundle.open(name, "w", force_zip64=True) as target:
                        sha, size = _copy_hashed(source, target, cancel)
                    if doc.sha256 and sha != doc.sha256:
                        raise FairDeskError(
                            _(
                                "Export stopped: the document “{name}” is damaged (its SHA-256 "
                                "no longer matches). No bundle was written."
                            ).format(name=doc.name)
                        )
                    files[name] = {"sha256": sha, "size": size}
                    documents.append({"file": name, "sha256": sha, "kind": doc.kind})
            add_bytes(
                "custody-log.jsonl", ("\n".join(_custody_lines(entries, case_id)) + "\n").encode()
            )
            with store.read() as session:  # RFC 3161 tokens covering the items, and their heads
                stamps = timestamps.for_bundle(session, [row.id for row in items])
            for name, data in stamps.files.items():
                add_bytes(name, data)
            for entry in manifest_items:
                entry["timestamp"] = stamps.items.get(entry["id"])
            add_bytes("HOW-TO-VERIFY.txt", _how_to(detail.case.number, fingerprint, kept).encode())
            add_bytes("verify.py", resource_path("evidence", "verify.py").read_bytes())
            add_bytes("public_key.pem", signing.public_pem(key))
            devices = sorted({e["device_id"] for e in entries})
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
                "documents": documents,
                "custody": {
                    "file": "custody-log.jsonl",
                    "heads": [custody.head(entries, d) for d in devices],
                },
                "timestamps": stamps.records,
                "files": files,
            }
            manifest_bytes = json.dumps(
                manifest, ensure_ascii=False, indent=2, sort_keys=True
            ).encode()
            bundle.writestr("manifest.json", manifest_bytes)
            bundle.writestr("manifest.sig", key.sign(manifest_bytes))
        with open(temp, "rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
            os.fsync(handle.fileno())
        os.replace(temp, out)
        fsync_dir(out.parent)
    except OSError as exc:
        raise ValidationError(
            _("The bundle could not be written to {path} ({error}); nothing was exported.").format(
                path=final, error=exc.strerror or exc
            )
        ) from exc
    finally:
        if temp.exists():
            temp.unlink()
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
                action=EXPORT,
                item_sha256=row.sha256,
                item_id=row.id,
                case_id=case_id,
                details=details | {"original": KEPT_AT_HQ} if row.sha256 in at_hq else details,
            )
    return ExportResult(final, digest, len(items), len(documents), fingerprint, how_to, kept)
