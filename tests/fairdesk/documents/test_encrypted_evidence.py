"""Documents with evidence in an ENCRYPTED data folder: photos printed, nothing plaintext on disk.

The originals are read through the evidence service (decrypting stream); print copies are
cached encrypted, so no JPEG (and no text from a photo's EXIF) is readable in the folder.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image

from fairdesk.crypto import blobcrypt
from fairdesk.documents import service
from fairdesk.evidence import service as evidence
from fairdesk.store import Store
from tests.fairdesk.evidence.conftest import new_case
from tests.fairdesk.evidence.helpers import exif_for

CANARY = b"CANARY-9f1c2b7e-plaintext-must-not-leak"
FIELDS = {"company_name": "Example Machinery Ltd", "signatory_name": "Zhang Example"}
JPEG_MARKERS = (b"\xff\xd8\xff\xe0\x00\x10JFIF", b"\xff\xd8\xff\xe1", b"Exif\x00\x00")


def _photo(path: Path, size: tuple[int, int], colour: tuple[int, int, int]) -> Path:
    exif = exif_for(make=CANARY.decode(), model="X-T5")
    Image.new("RGB", size, colour).save(path, "JPEG", quality=80, exif=exif)
    return path


def _image_count(pdf: Path) -> int:
    listing = subprocess.run(
        ["pdfimages", "-list", str(pdf)], check=True, capture_output=True, text=True
    ).stdout
    return sum(1 for line in listing.splitlines()[2:] if line.split()[2:3] == ["image"])


def _plaintext_files(folder: Path) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if CANARY in data or any(marker in data for marker in JPEG_MARKERS):
                found.append(str(path.relative_to(folder)))
    return found


def test_evidence_report_prints_encrypted_photos_without_plaintext_copies(
    encrypted_store: Store, tmp_path: Path
) -> None:
    case_id = new_case(encrypted_store)
    big = _photo(tmp_path / "big.jpg", (2400, 1800), (200, 30, 40))  # re-encoded for print
    small = _photo(tmp_path / "small.jpg", (300, 200), (20, 160, 60))  # embedded as it is
    evidence.import_paths(encrypted_store, case_id, [big, small])
    assert len(evidence.list_items(encrypted_store, case_id)) == 2

    first = service.render_document(
        encrypted_store, case_id, "evidence_report", "en", FIELDS, allow_blanks=True
    )
    second = service.render_document(  # served from the (encrypted) print cache
        encrypted_store, case_id, "evidence_report", "en", FIELDS, allow_blanks=True
    )
    for number, result in enumerate((first, second)):
        assert not [w for w in result.warnings if "photo" in w.lower()], result.warnings
        pdf = tmp_path / f"report{number}.pdf"
        pdf.write_bytes(result.data)
        assert _image_count(pdf) == 2

    data_dir = encrypted_store.data_dir
    cached = [p for p in (data_dir / "thumbs" / "print").rglob("*") if p.is_file()]
    assert cached and all(blobcrypt.has_magic(p) for p in cached)
    assert _plaintext_files(data_dir) == []
