"""Writing a bundle: members in a fixed order, every file hashed as it is written, the
manifest signed last, the zip renamed into place only when complete.

The device (``fairdesk.evidence.export``) and HQ (``sync.server.bundles``) fill it from their
own records; what a bundle contains and how it is laid out is decided here only::

    with BundleWriter(out) as writer:
        writer.add_stream("originals/<sha256>.jpg", source)  # originals, then documents
        heads = writer.add_custody(entries, case_id)
        writer.add_bytes("timestamps/...", token)             # RFC 3161 tokens, if any
        digest = writer.finish(manifest, key, how_to)         # HOW-TO, verify.py, key, manifest

``finish`` adds ``HOW-TO-VERIFY.txt``, ``verify.py``, ``public_key.pem``, then the manifest
(with ``files``: every member's SHA-256 and size) and ``manifest.sig``.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, BinaryIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bundle import INCLUDED, KEPT_AT_HQ, custody, signing

CHUNK = 1024 * 1024
VERIFY_SOURCE = Path(__file__).with_name("verify.py")  # copied byte for byte into each bundle


@dataclass(frozen=True)
class Signer:
    """Whose key signs, as HOW-TO-VERIFY.txt names it to the reader."""

    en: str
    zh: str


DEVICE = Signer("their device", "其设备")
HQ = Signer("their headquarters (HQ server)", "其总部服务器")


def safe_member(name: str) -> str:
    """A document's file name as a zip member name: letters, digits, ``-_.`` only."""
    keep = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name).strip("._")
    return keep[:120] or "document"


def verify_source() -> bytes:
    """The standard-library verifier every bundle carries."""
    return VERIFY_SOURCE.read_bytes()


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value or None


def item_entry(fields: Mapping[str, Any], file_name: str | None) -> dict[str, Any]:
    """One ``items`` entry of the manifest from an evidence item's fields (the device's row or
    the record HQ received: datetimes as objects or ISO 8601 text)."""
    gps_lat = fields.get("gps_lat")
    width = fields.get("width")
    captured_local = fields.get("captured_local")
    return {
        "id": fields["id"],
        "sha256": fields["sha256"],
        "file": file_name,
        "original": INCLUDED if file_name is not None else KEPT_AT_HQ,
        "original_name": fields.get("original_name"),
        "size": fields.get("size"),
        "mime": fields.get("mime"),
        "kind": fields.get("kind"),
        "capture_time": {
            "local": captured_local or None,
            "utc_offset": fields.get("captured_offset") or None,
            "utc": _iso(fields.get("captured_at")),
            "source": "camera clock (a claim, not a proof)" if captured_local else None,
        },
        "gps": None if gps_lat is None else {"lat": gps_lat, "lon": fields.get("gps_lon")},
        "camera": {"make": fields.get("make"), "model": fields.get("model")},
        "orientation": fields.get("orientation"),
        "pixels": None if width is None else {"width": width, "height": fields.get("height")},
        "file_modified_at": _iso(fields.get("file_modified_at")),
        "imported_by": fields.get("imported_by"),
        "device_id": fields.get("device_id"),
        "imported_at": _iso(fields.get("imported_at")),
        "note": fields.get("import_note"),
        "caption": fields.get("caption"),
        "shows": fields.get("shows"),
        "supports": fields.get("supports"),
        "hall": fields.get("hall"),
        "booth": fields.get("booth"),
        "notary_present": fields.get("notary_present"),
        "witness_present": fields.get("witness_present"),
        "tags": list(fields.get("tags") or ()),
        "derived_from": fields.get("derived_from"),
        "derivation": fields.get("derivation"),
    }


def kept_note(count: int) -> str:
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


def how_to_verify(
    case_number: str, fingerprint: str, kept_at_hq: int = 0, signer: Signer = DEVICE
) -> str:
    """HOW-TO-VERIFY.txt in English and Chinese; ``signer`` says whose key signed."""
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
   Ask the exporting company to confirm this fingerprint belongs to {signer.en}.

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
   请向导出方确认该指纹属于{signer.zh}。

5. 独立时间（RFC 3161）：timestamps/ 中是时间戳机构（公司总部及公司采用的公共机构）
   对保管记录摘要签发的时间戳。verify.py 核对每个时间戳的消息摘要是否等于其所对应摘要
   文件（timestamps/*.head.json）的 SHA-256，并核对该摘要是否为保管记录前若干条记录的
   Merkle 树；对每个时间戳，它会打印用于核验机构签名和证书的 OpenSSL 命令（见上文第 5 条）。
   manifest.json 中带 "timestamp" 的证据，在该时间戳时间之前已记入保管记录。
   请向公司确认时间戳机构的根证书（.pem 文件中的最后一个证书）。

拍摄时间来自相机自身的时钟，只是设备的声明，不能作为证明。
原始文件按接收时的原样保存（从未转换），originals/ 中的文件以其 SHA-256 命名；
各文件的原始文件名和元数据见 manifest.json。
{kept_note(kept_at_hq)}"""


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse; the rename itself still happened
        pass
    finally:
        os.close(fd)


class BundleWriter:
    """A bundle being written to a temporary file beside ``out``; see the module docstring.

    ``check`` is called before every block copied (raise from it to cancel); leaving the
    ``with`` block without :meth:`finish` removes the temporary file and writes nothing.
    """

    def __init__(self, out: Path | str, check: Callable[[], None] | None = None) -> None:
        self.out = Path(out)
        self.check = check
        self.files: dict[str, dict[str, Any]] = {}
        self._temp = self.out.with_name(f".{self.out.name}.{uuid.uuid4().hex}.part")
        self._zip: zipfile.ZipFile | None = None

    def __enter__(self) -> BundleWriter:
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self._zip = zipfile.ZipFile(self._temp, "w", zipfile.ZIP_STORED, allowZip64=True)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None
        self._temp.unlink(missing_ok=True)

    @property
    def zip(self) -> zipfile.ZipFile:
        if self._zip is None:
            raise RuntimeError("the bundle is not open")
        return self._zip

    def add_bytes(self, name: str, data: bytes) -> None:
        self.zip.writestr(name, data)
        self.files[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}

    def add_stream(self, name: str, source: BinaryIO) -> tuple[str, int]:
        """Copy ``source`` into member ``name``; its (SHA-256, size) as actually written.

        The caller compares the digest with the one it recorded: a file that changed since is
        refused there, with the caller's words for it.
        """
        with self.zip.open(name, "w", force_zip64=True) as target:
            sha, size = self._copy(source, target)
        self.files[name] = {"sha256": sha, "size": size}
        return sha, size

    def _copy(self, source: BinaryIO, target: IO[bytes]) -> tuple[str, int]:
        digest = hashlib.sha256()
        size = 0
        while True:
            if self.check is not None:
                self.check()
            chunk = source.read(CHUNK)
            if not chunk:
                break
            digest.update(chunk)
            target.write(chunk)
            size += len(chunk)
        return digest.hexdigest(), size

    def add_custody(self, entries: Sequence[dict[str, Any]], case_id: str) -> list[dict[str, Any]]:
        """``custody-log.jsonl`` from every device's whole chain; the tree heads to sign."""
        lines = custody.log_lines(entries, case_id)
        self.add_bytes("custody-log.jsonl", ("\n".join(lines) + "\n").encode())
        devices = sorted({e["device_id"] for e in entries})
        return [custody.head(entries, d) for d in devices]

    def finish(self, manifest: dict[str, Any], key: Ed25519PrivateKey, how_to: str) -> str:
        """Add the verifier, the key and the signed manifest; move the zip into place.

        ``manifest`` gets ``files`` here. Returns the finished zip's SHA-256.
        """
        self.add_bytes("HOW-TO-VERIFY.txt", how_to.encode())
        self.add_bytes("verify.py", verify_source())
        self.add_bytes("public_key.pem", signing.public_pem(key))
        manifest["files"] = self.files
        manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
        self.zip.writestr("manifest.json", manifest_bytes)
        self.zip.writestr("manifest.sig", key.sign(manifest_bytes))
        self.zip.close()
        self._zip = None
        with open(self._temp, "rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
            os.fsync(handle.fileno())
        os.replace(self._temp, self.out)
        _fsync_dir(self.out.parent)
        return digest
