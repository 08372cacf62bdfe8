"""The photo report's fast paths keep the output right.

Print copies are embedded as the JPEG they are (DCT, no ASCII85 and no decode to pixels just
to name them), reportlab's process-wide setting is restored after our build, and the QR code
drawn from cached path operators still carries the photo's hash module for module (checked
on a raster of the real PDF made by pdftoppm).
"""

from __future__ import annotations

import hashlib
import io
import subprocess
from pathlib import Path

from PIL import Image
from reportlab import rl_config
from reportlab.pdfgen.canvas import Canvas

from fairdesk import cases
from fairdesk.documents import images, service
from fairdesk.documents.evidence_view import EvidenceView
from fairdesk.documents.pdf import QrFlowable
from fairdesk.store import Store


def _photo(path: Path, colour: tuple[int, int, int]) -> Path:
    Image.new("RGB", (1600, 1200), colour).save(path, "JPEG", quality=85)
    return path


def test_photos_are_embedded_as_jpeg_in_binary_streams_and_the_setting_is_restored(
    demo_store: Store, canton_case: str, tmp_path: Path
) -> None:
    photos = [_photo(tmp_path / f"p{i}.jpg", (40 * i, 90, 200)) for i in range(3)]
    views = [
        EvidenceView(
            id=f"e{i}",
            sha256=hashlib.sha256(p.read_bytes()).hexdigest(),
            original_name=p.name,
            caption=f"Photo {i}",
            path=p,
        )
        for i, p in enumerate(photos)
    ]
    before = rl_config.useA85
    result = service.render_document(
        demo_store,
        canton_case,
        "evidence_report",
        "en",
        {"company_name": "Example Ltd", "signatory_name": "A. Example"},
        evidence=views,
        save=False,
    )
    assert rl_config.useA85 == before  # other PDF code in the process keeps the default
    assert result.data.count(b"/DCTDecode") == len(photos)
    assert b"/ASCII85Decode" not in result.data
    path = tmp_path / "report.pdf"
    path.write_bytes(result.data)
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert cases.get_case(demo_store, canton_case)  # nothing about the case changed


def test_the_drawn_qr_code_matches_the_matrix_module_for_module(tmp_path: Path) -> None:
    text = images.evidence_qr_text("ab" * 32)
    matrix = images.qr_matrix(text)
    n, size, dpi = len(matrix), 200.0, 144  # points; raster at 2 px per point
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(size + 20, size + 20))
    QrFlowable(text, size).drawOn(canvas, 10, 10)
    canvas.save()
    pdf = tmp_path / "qr.pdf"
    pdf.write_bytes(buffer.getvalue())
    subprocess.run(
        [
            "pdftoppm",
            "-gray",
            "-r",
            str(dpi),
            "-png",
            "-singlefile",
            str(pdf),
            str(tmp_path / "qr"),
        ],
        check=True,
    )
    raster = Image.open(tmp_path / "qr.png").convert("L")
    scale = dpi / 72
    module = size / n
    for y in range(n):
        for x in range(n):
            px = round((10 + (x + 0.5) * module) * scale)
            py = round((10 + (y + 0.5) * module) * scale)
            value = raster.getpixel((px, py))
            assert isinstance(value, int)
            dark = value < 128
            assert dark == matrix[y][x], (x, y)
