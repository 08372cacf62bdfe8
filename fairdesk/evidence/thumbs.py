"""Thumbnails: orientation-correct JPEGs in ``thumbs/``, derived, cached by hash, disposable.

JPEGs are decoded in Pillow's draft mode (the decoder scales by 1/2, 1/4 or 1/8 while
decoding), which makes a thumbnail of a 12-megapixel photo several times cheaper. Nothing
above :data:`metadata.MAX_DECODE_PIXELS` is ever decoded. Deleting ``thumbs/`` loses nothing.
"""

from __future__ import annotations

import contextlib
import os
import uuid
import warnings
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageOps

from fairdesk.crypto import blobcrypt
from fairdesk.evidence import metadata
from fairdesk.vault import Vault

DEFAULT_SIZE = 256
SIZES = (128, 256, 1024)  # gallery, default, viewer


def thumb_path(data_dir: Path, sha256: str, size: int, encrypted: bool = False) -> Path:
    suffix = ".jpg.enc" if encrypted else ".jpg"  # encrypted folder: AES-GCM, see protect
    return Path(data_dir) / "thumbs" / sha256[:2] / f"{sha256}-{size}{suffix}"


def _context(sha256: str, size: int) -> bytes:
    return f"thumb:{sha256}:{size}".encode("ascii")


def load(data_dir: Path, vault: Vault, sha256: str, size: int = DEFAULT_SIZE) -> bytes:
    """The thumbnail's JPEG bytes (decrypted in an encrypted folder), made now if missing.

    Use this rather than the path of :func:`ensure` when the folder may be encrypted.
    """
    path = ensure(data_dir, vault, sha256, size)
    if vault.key is not None:
        return blobcrypt.read_encrypted_bytes(path, vault.key, _context(sha256, size))
    return path.read_bytes()


class NotDecodable(Exception):
    """The original cannot (or must not) be decoded into a picture."""


def render(image: Image.Image, size: int) -> Image.Image:
    """Decode ``image`` (opened lazily) into an upright RGB thumbnail of at most ``size``."""
    width, height = image.size
    if width * height > metadata.MAX_DECODE_PIXELS:
        raise NotDecodable("too many pixels")
    if image.format == "JPEG":
        image.draft("RGB", (size, size))
    # exif_transpose needs the EXIF orientation, which draft mode keeps.
    upright = ImageOps.exif_transpose(image)
    upright.thumbnail((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    if upright.mode not in ("RGB", "L"):
        background = Image.new("RGB", upright.size, "white")
        rgba = upright.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        upright = background
    return upright


def make_from_stream(vault: Vault, sha256: str, size: int) -> Image.Image:
    metadata.register_heif()
    with vault.open_original_for_read(sha256) as handle:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                image = Image.open(handle)
                with image:
                    return render(image, size)
        except NotDecodable:
            raise
        except Image.DecompressionBombError as exc:
            raise NotDecodable(str(exc)) from exc
        except Exception as exc:  # damaged, truncated, unknown format
            raise NotDecodable(str(exc)) from exc


def ensure(data_dir: Path, vault: Vault, sha256: str, size: int = DEFAULT_SIZE) -> Path:
    """The thumbnail file for ``sha256`` at ``size``, made now if missing.

    Raises NotDecodable for files that cannot be pictured (the UI shows a generic icon).
    """
    path = thumb_path(data_dir, sha256, size, encrypted=vault.key is not None)
    if path.is_file():
        return path
    picture = make_from_stream(vault, sha256, size)
    path.parent.mkdir(parents=True, exist_ok=True)
    if vault.key is not None:  # never a plaintext picture on disk, not even a temp file
        buffer = BytesIO()
        picture.save(buffer, "JPEG", quality=82)
        blobcrypt.write_encrypted_bytes(path, buffer.getvalue(), vault.key, _context(sha256, size))
        return path
    # Write-then-rename so a reader never sees half a thumbnail; no fsync: it is disposable.
    temp = path.with_name(f".{uuid.uuid4().hex}.tmp")
    try:
        picture.save(temp, "JPEG", quality=82)
        os.replace(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    return path
