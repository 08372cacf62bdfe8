"""Reading what an original says about itself: its type (from the bytes) and its EXIF.

MIME types come from the leading bytes, never from the file name (a ``.jpg`` may be a PDF).
EXIF is read with Pillow (HEIC through pillow-heif): capture time with its UTC offset and
sub-seconds, GPS, camera make and model, orientation, pixel size. Only the header is parsed
here; nothing is decoded, and a header claiming more than :data:`MAX_DECODE_PIXELS` pixels
is never decoded anywhere (pixel-flood guard) — the bytes are still kept as a file item.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, BinaryIO

from PIL import ExifTags, Image

from fairdesk.evidence.vocab import EvidenceKind
from fairdesk.i18n import _

# 89 megapixels (just under Pillow's own warning level): above the phone and camera photos
# expected at a fair, far below the gigabytes a hostile header asks for.
MAX_DECODE_PIXELS = 89_000_000
SNIFF_BYTES = 64

_heif_registered = False


def register_heif() -> None:
    """Teach Pillow to open HEIC/HEIF (iPhone photos) once per process."""
    global _heif_registered
    if not _heif_registered:
        import pillow_heif

        pillow_heif.register_heif_opener()
        _heif_registered = True


_FTYP_IMAGE = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif"}
_FTYP_QT = {b"qt  "}


def sniff_mime(head: bytes) -> str:
    """The MIME type of a file from its first bytes (``application/octet-stream`` if unknown)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video/x-msvideo"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if head[:2] == b"BM":
        return "image/bmp"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:5] == b"%PDF-":
        return "application/pdf"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _FTYP_IMAGE:
            return "image/avif" if brand == b"avif" else "image/heic"
        if brand in _FTYP_QT:
            return "video/quicktime"
        if brand.startswith(b"3g"):
            return "video/3gpp"
        return "video/mp4"
    if head[:4] == b"\x1aE\xdf\xa3":
        return "video/x-matroska"
    if head[:4] == b"PK\x03\x04":
        return "application/zip"
    return "application/octet-stream"


def kind_of(mime: str) -> EvidenceKind:
    if mime == "application/pdf":
        return EvidenceKind.PDF
    if mime.startswith("image/"):
        return EvidenceKind.IMAGE
    if mime.startswith("video/"):
        return EvidenceKind.VIDEO
    return EvidenceKind.FILE


EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/tiff": ".tif",
    "image/bmp": ".bmp",
    "image/heic": ".heic",
    "image/avif": ".avif",
    "application/pdf": ".pdf",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/3gpp": ".3gp",
    "video/x-msvideo": ".avi",
    "video/x-matroska": ".mkv",
    "application/zip": ".zip",
}


def extension_for(mime: str) -> str:
    return EXTENSIONS.get(mime, ".bin")


@dataclass(frozen=True)
class ImageMeta:
    """What an image header says. Times are the camera's claim."""

    width: int | None = None
    height: int | None = None
    orientation: int = 1
    make: str = ""
    model: str = ""
    captured_local: str = ""  # ISO 8601 without offset, as the camera wrote it
    captured_offset: str = ""  # "+08:00" when the camera wrote OffsetTimeOriginal
    captured_at: datetime | None = None  # UTC, only when the offset is known
    gps_lat: float | None = None
    gps_lon: float | None = None
    decodable: bool = True  # False: no decode may be attempted (too large / unreadable)
    note: str = ""  # why not, in words


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).replace("\x00", "").strip() if value is not None else ""


def _parse_offset(text: str) -> timezone | None:
    text = text.strip()
    if len(text) != 6 or text[0] not in "+-" or text[3] != ":":
        return None
    try:
        hours, minutes = int(text[1:3]), int(text[4:6])
    except ValueError:
        return None
    if hours > 14 or minutes > 59:
        return None
    sign = 1 if text[0] == "+" else -1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_exif_time(
    stamp: str, subsec: str = "", offset: str = ""
) -> tuple[str, str, datetime | None]:
    """EXIF ``YYYY:MM:DD HH:MM:SS`` (+ sub-seconds, + offset) → (local ISO, offset, UTC or None)."""
    stamp = stamp.strip()
    try:
        local = datetime.strptime(stamp[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return "", "", None
    digits = "".join(ch for ch in subsec if ch.isdigit())[:6]
    if digits:
        local = local.replace(microsecond=int(digits.ljust(6, "0")))
    tz = _parse_offset(offset)
    local_text = local.isoformat(timespec="milliseconds" if digits else "seconds")
    if tz is None:
        return local_text, "", None
    return local_text, offset.strip(), local.replace(tzinfo=tz).astimezone(UTC)


def _rational(value: Any) -> float:
    return float(value)


def _gps(gps: dict[int, Any]) -> tuple[float | None, float | None]:
    try:
        lat_dms, lon_dms = gps[ExifTags.GPS.GPSLatitude], gps[ExifTags.GPS.GPSLongitude]
        lat = sum(_rational(v) / d for v, d in zip(lat_dms, (1, 60, 3600), strict=True))
        lon = sum(_rational(v) / d for v, d in zip(lon_dms, (1, 60, 3600), strict=True))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None, None
    if _text(gps.get(ExifTags.GPS.GPSLatitudeRef, "N")).upper().startswith("S"):
        lat = -lat
    if _text(gps.get(ExifTags.GPS.GPSLongitudeRef, "E")).upper().startswith("W"):
        lon = -lon
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or lat != lat or lon != lon:
        return None, None
    return round(lat, 7), round(lon, 7)


def _too_large(width: int, height: int) -> str:
    return _(
        "The image claims {w} × {h} pixels, too large to show safely; it is kept "
        "byte-exact as a file."
    ).format(w=width, h=height)


def _declared_size(head: bytes) -> tuple[int, int]:
    """Width and height from a PNG, GIF or BMP header without Pillow (0, 0 if unknown)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
        return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return int.from_bytes(head[6:8], "little"), int.from_bytes(head[8:10], "little")
    if head[:2] == b"BM" and len(head) >= 26:
        return (
            int.from_bytes(head[18:22], "little", signed=True),
            abs(int.from_bytes(head[22:26], "little", signed=True)),
        )
    return 0, 0


def _open_header(stream: BinaryIO) -> Image.Image:
    """Open lazily (header only) with Pillow's own bomb check turned into our rule."""
    register_heif()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return Image.open(stream)


def read_image_meta(stream: BinaryIO) -> ImageMeta:
    """Parse the header and EXIF of an image stream; never decodes pixel data."""
    try:
        image = _open_header(stream)
    except Image.DecompressionBombError:
        stream.seek(0)
        width, height = _declared_size(stream.read(SNIFF_BYTES))
        if width > 0 and height > 0:
            return ImageMeta(
                width=width, height=height, decodable=False, note=_too_large(width, height)
            )
        return ImageMeta(
            decodable=False,
            note=_("The image claims to be far too large to show safely; it is kept as a file."),
        )
    except Exception:  # Pillow raises many kinds on damaged headers
        return ImageMeta(
            decodable=False,
            note=_(
                "The image cannot be read (damaged or of a "
                "kind FairDesk cannot show); it is kept "
                "byte-exact as a file."
            ),
        )
    with image:
        width, height = image.size
        if width * height > MAX_DECODE_PIXELS:
            return ImageMeta(
                width=width, height=height, decodable=False, note=_too_large(width, height)
            )
        try:
            exif = image.getexif()
            sub = exif.get_ifd(ExifTags.IFD.Exif)
            gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        except Exception:  # damaged EXIF must not stop the import
            return ImageMeta(width=width, height=height)
    orientation = exif.get(ExifTags.Base.Orientation, 1)
    if not isinstance(orientation, int) or not 1 <= orientation <= 8:
        orientation = 1
    stamp = _text(sub.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime))
    subsec = _text(sub.get(ExifTags.Base.SubsecTimeOriginal, ""))
    offset = _text(
        sub.get(ExifTags.Base.OffsetTimeOriginal) or sub.get(ExifTags.Base.OffsetTime) or ""
    )
    local, off, utc = parse_exif_time(stamp, subsec, offset) if stamp else ("", "", None)
    lat, lon = _gps(gps) if gps else (None, None)
    return ImageMeta(
        width=width,
        height=height,
        orientation=orientation,
        make=_text(exif.get(ExifTags.Base.Make))[:200],
        model=_text(exif.get(ExifTags.Base.Model))[:200],
        captured_local=local,
        captured_offset=off,
        captured_at=utc,
        gps_lat=lat,
        gps_lon=lon,
    )
