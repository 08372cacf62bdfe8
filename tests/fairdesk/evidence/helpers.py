"""Real test files for the evidence tests: camera-like JPEGs with EXIF, HEIC, PNG, PDF."""

from __future__ import annotations

import random
from pathlib import Path

from PIL import ExifTags, Image


def exif_for(
    *,
    make: str = "Canon",
    model: str = "EOS R6",
    orientation: int = 1,
    taken: str | None = "2026:03:05 14:03:22",
    offset: str | None = "+08:00",
    subsec: str | None = "123",
    gps: tuple[float, float] | None = (48.1416667, 11.5),
) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = make
    exif[ExifTags.Base.Model] = model
    exif[ExifTags.Base.Orientation] = orientation
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    if taken:
        sub[ExifTags.Base.DateTimeOriginal] = taken
    if offset:
        sub[ExifTags.Base.OffsetTimeOriginal] = offset
    if subsec:
        sub[ExifTags.Base.SubsecTimeOriginal] = subsec
    if gps:
        lat, lon = gps
        info = exif.get_ifd(ExifTags.IFD.GPSInfo)
        info[ExifTags.GPS.GPSLatitudeRef] = "N" if lat >= 0 else "S"
        info[ExifTags.GPS.GPSLongitudeRef] = "E" if lon >= 0 else "W"
        for tag, value in (
            (ExifTags.GPS.GPSLatitude, abs(lat)),
            (ExifTags.GPS.GPSLongitude, abs(lon)),
        ):
            deg = int(value)
            minutes = int((value - deg) * 60)
            seconds = round((value - deg - minutes / 60) * 3600, 4)
            info[tag] = (float(deg), float(minutes), seconds)
    return exif


def photo(
    path: Path,
    size: tuple[int, int] = (640, 480),
    *,
    seed: int = 0,
    color: tuple[int, int, int] | None = None,
    **exif_kwargs: object,
) -> Path:
    """A JPEG with a two-tone pattern (top half distinct, so orientation can be checked)."""
    rng = random.Random(seed)
    base = color or (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    image = Image.new("RGB", size, base)
    image.paste((255, 255, 255), (0, 0, size[0], size[1] // 4))  # white band on top
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "JPEG", quality=85, exif=exif_for(**exif_kwargs))  # type: ignore[arg-type]
    return path


def minimal_pdf(path: Path, text: str = "Scan") -> Path:
    body = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(body)).encode() + b" >>\nstream\n" + body + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    path.write_bytes(bytes(out))
    return path


def png_flood_header(path: Path, width: int = 50_000, height: int = 50_000) -> Path:
    """A PNG whose IHDR claims width × height pixels (with a tiny, bogus IDAT)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )
    path.write_bytes(data)
    return path
