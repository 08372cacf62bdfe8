"""Make the platform icon files from resources/icons/fairdesk.svg (run by the build scripts).

Writes into the given folder (default build/icons): ``fairdesk-<n>.png`` for n in 16..1024,
``fairdesk.ico`` (Windows, all common sizes in one file) and ``fairdesk.iconset/`` (the input
macOS's ``iconutil -c icns`` turns into ``fairdesk.icns``; iconutil exists only on macOS).
The SVG is rendered at each size rather than scaling one bitmap, so small sizes stay crisp.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "fairdesk.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(renderer: QSvgRenderer, size: int, path: Path) -> None:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    if not image.save(str(path)):
        raise SystemExit(f"could not write {path}")


def main(out: Path) -> None:
    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {SVG}")
    out.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        render(renderer, size, out / f"fairdesk-{size}.png")
    images = [Image.open(out / f"fairdesk-{size}.png").convert("RGBA") for size in ICO_SIZES]
    images[-1].save(
        out / "fairdesk.ico",
        format="ICO",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=images[:-1],
    )
    # Apple's iconset names: icon_<n>x<n>.png and the double-resolution icon_<n>x<n>@2x.png.
    iconset = out / "fairdesk.iconset"
    iconset.mkdir(exist_ok=True)
    for size in (16, 32, 128, 256, 512):
        (iconset / f"icon_{size}x{size}.png").write_bytes(
            (out / f"fairdesk-{size}.png").read_bytes()
        )
        (iconset / f"icon_{size}x{size}@2x.png").write_bytes(
            (out / f"fairdesk-{size * 2}.png").read_bytes()
        )
    print(f"icons written to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "icons")
