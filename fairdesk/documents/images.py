"""Photos and QR codes for documents: originals downscaled for the page, never modified.

A print copy is made at about 200 dpi for the size it is shown at; an original that is
already small enough (and upright) is used as it is. Print copies are cached by SHA-256 and
size (originals are immutable, so a cached copy never goes stale), which makes a second
version of a document with many photos fast. In an encrypted data folder the cache files are
AES-GCM encrypted with the folder's data key (``cache_key``): never a plaintext picture. A photo that cannot be decoded yields an
error text for a placeholder; the document goes on.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import qrcode
from PIL import Image, ImageOps, UnidentifiedImageError

from fairdesk.crypto import blobcrypt
from fairdesk.errors import FairDeskError

PRINT_DPI = 200
JPEG_QUALITY = 82


@dataclass(frozen=True)
class PrintPhoto:
    data: bytes | None  # JPEG bytes ready to embed; None when the photo cannot be shown
    width: int = 0
    height: int = 0
    error: str = ""  # why not (technical detail, for the warning)


_heif_ready = False


def _enable_heif() -> None:
    global _heif_ready
    if not _heif_ready:
        with contextlib.suppress(Exception):  # HEIC support is optional
            import pillow_heif

            pillow_heif.register_heif_opener()
        _heif_ready = True


def max_pixels(width_pt: float, height_pt: float) -> tuple[int, int]:
    return (max(1, round(width_pt / 72 * PRINT_DPI)), max(1, round(height_pt / 72 * PRINT_DPI)))


def _cache_file(
    cache_dir: Path | None, sha256: str, box: tuple[int, int], encrypted: bool = False
) -> Path | None:
    if cache_dir is None or not sha256:
        return None
    return cache_dir / f"{sha256}-{box[0]}x{box[1]}.jpg{'.enc' if encrypted else ''}"


def _cache_context(sha256: str, box: tuple[int, int]) -> bytes:
    # Binds an encrypted cache file to its photo and size: a swapped file fails to open.
    return f"print:{sha256}:{box[0]}x{box[1]}".encode("ascii")


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def print_photo(
    source: Path | Callable[[], BinaryIO],
    box: tuple[int, int],
    *,
    sha256: str = "",
    cache_dir: Path | None = None,
    cache_key: bytes | None = None,
) -> PrintPhoto:
    """A JPEG of the photo fitting ``box`` pixels (aspect kept, EXIF orientation applied).

    ``source`` is a path or a function opening a binary stream: vault originals are read
    through the evidence service, which decrypts them when the data folder is encrypted.
    In an encrypted folder pass its data key as ``cache_key``: the cached print copies are
    then encrypted (without it, they would be plaintext pictures on disk).
    """
    cached = _cache_file(cache_dir, sha256, box, encrypted=cache_key is not None)
    if cached is not None and cached.is_file():
        try:
            if cache_key is not None:
                data = blobcrypt.read_encrypted_bytes(
                    cached, cache_key, _cache_context(sha256, box)
                )
            else:
                data = cached.read_bytes()
            with Image.open(io.BytesIO(data)) as probe:
                return PrintPhoto(data, probe.width, probe.height)
        except (OSError, UnidentifiedImageError, blobcrypt.DamagedError):
            pass  # a damaged cache file is simply made again
    _enable_heif()
    try:
        raw = source.read_bytes() if isinstance(source, Path) else _read_all(source)
        with Image.open(io.BytesIO(raw)) as img:
            orientation = img.getexif().get(0x0112, 1)
            fits = img.width <= box[0] * 1.25 and img.height <= box[1] * 1.25
            if img.format == "JPEG" and orientation in (0, 1) and fits and img.mode in ("RGB", "L"):
                # Already print-sized: embed the original bytes unchanged (no quality loss).
                return PrintPhoto(raw, img.width, img.height)
            if img.format == "JPEG":
                img.draft("RGB", box)  # decode at 1/2, 1/4 or 1/8 scale: much faster
            work = ImageOps.exif_transpose(img)
            if work.mode not in ("RGB", "L"):
                rgba = work.convert("RGBA")
                work = Image.new("RGB", rgba.size, "white")
                work.paste(rgba, mask=rgba.getchannel("A"))
            work.thumbnail(box, Image.Resampling.LANCZOS)
            out = io.BytesIO()
            work.save(out, "JPEG", quality=JPEG_QUALITY, optimize=False)
            data = out.getvalue()
            size = work.size
    except (
        OSError,
        UnidentifiedImageError,
        ValueError,
        Image.DecompressionBombError,
        FairDeskError,
    ) as exc:
        return PrintPhoto(None, error=str(exc) or type(exc).__name__)
    if cached is not None and cache_key is not None:
        with contextlib.suppress(OSError):  # the cache is an optimisation only
            blobcrypt.write_encrypted_bytes(cached, data, cache_key, _cache_context(sha256, box))
    elif cached is not None:
        _write_atomic(cached, data)
    return PrintPhoto(data, size[0], size[1])


def _read_all(opener: Callable[[], BinaryIO]) -> bytes:
    with opener() as handle:
        return handle.read()


@functools.lru_cache(maxsize=4096)
def qr_matrix(text: str) -> tuple[tuple[bool, ...], ...]:
    """The QR code modules for ``text`` (with the quiet zone), medium error correction.

    Cached by text (an evidence item's code is its SHA-256): choosing the best mask pattern
    took about a third of a 100-photo report's own time, again for every new version.
    """
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    qr.add_data(text)
    qr.make(fit=True)
    return tuple(tuple(map(bool, row)) for row in qr.get_matrix())


def qr_png(text: str, module_px: int = 8) -> bytes:
    """The QR code as a PNG (for DOCX, which has no vector drawing)."""
    matrix = qr_matrix(text)
    n = len(matrix)
    img = Image.new("1", (n, n), 1)
    img.putdata([0 if cell else 1 for row in matrix for cell in row])
    img = img.resize((n * module_px, n * module_px), Image.Resampling.NEAREST)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def evidence_qr_text(sha256: str) -> str:
    return f"SHA-256:{sha256}"
