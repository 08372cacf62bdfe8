"""Evidence benchmarks → build/bench/evidence.json (ratios against baselines from the same run).

1. Import 300 camera-like JPEGs (4000×3000, ~5 MB, noisy so they do not compress away) into a
   case, vs a baseline that only reads each file, SHA-256 hashes it and makes the same-size
   thumbnail with Pillow's draft mode. Target ≤ 1.5×.
2. Gallery of a 5,000-item case: time until the first screen of thumbnails is shown, vs the
   time to decode those thumbnails alone. Target ≤ 1.2×.
3. Longest GUI stall while scrolling that gallery (QTimer heartbeat). Target ≤ 50 ms.

The photos are generated once into build/bench/photos (cached): a few encoded bases, each
copy made unique by a JPEG comment segment so no two files share a hash.
Run: QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_evidence.py
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image  # noqa: E402

from fairdesk import cases  # noqa: E402
from fairdesk.evidence import service, thumbs  # noqa: E402
from fairdesk.model import Direction, Trigger  # noqa: E402
from fairdesk.store import Store, open_store  # noqa: E402
from tests.fairdesk.evidence.helpers import exif_for  # noqa: E402

OUT = ROOT / "build" / "bench"
PHOTOS = OUT / "photos"
COUNT = int(os.environ.get("BENCH_EVIDENCE_PHOTOS", "300"))
GALLERY_ITEMS = 5000
BASES = 6


def _base(index: int) -> bytes:
    rng = random.Random(index)
    small = Image.effect_noise((500, 375), 60 + index * 5).convert("RGB")
    tint = Image.new(
        "RGB", small.size, (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    )
    picture = Image.blend(small, tint, 0.35).resize((4000, 3000), Image.Resampling.BICUBIC)
    noise = Image.effect_noise((4000, 3000), 28).convert("RGB")
    picture = Image.blend(picture, noise, 0.22)
    path = OUT / f".base{index}.jpg"
    picture.save(path, "JPEG", quality=92, exif=exif_for(orientation=1 + (index % 2) * 5))
    data = path.read_bytes()
    path.unlink()
    return data


def ensure_photos() -> list[Path]:
    PHOTOS.mkdir(parents=True, exist_ok=True)
    paths = [PHOTOS / f"DSC{index:05d}.JPG" for index in range(COUNT)]
    if all(p.exists() for p in paths):
        return paths
    bases = [_base(i) for i in range(BASES)]
    for index, path in enumerate(paths):
        data = bases[index % BASES]
        comment = f"bench photo {index}".encode()
        segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
        path.write_bytes(data[:2] + segment + data[2:])  # unique bytes, same decode work
    return paths


def _case(store: Store, title: str) -> str:
    return cases.create_case(
        store, cases.CaseInput(title=title, direction=Direction.BY_US, trigger=Trigger.COPY_SPOTTED)
    )


def baseline_import(paths: list[Path], out: Path) -> float:
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for index, path in enumerate(paths):
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        with Image.open(path) as image:
            picture = thumbs.render(image, thumbs.DEFAULT_SIZE)
        picture.save(out / f"{index}.jpg", "JPEG", quality=82)
    return time.perf_counter() - start


def bench_import(paths: list[Path], work: Path) -> tuple[dict[str, float], Store, str]:
    _drop_caches(paths)
    base = baseline_import(paths, work / "baseline-thumbs")
    store = open_store(work / "import-data")
    case_id = _case(store, "Import benchmark")
    _drop_caches(paths)
    start = time.perf_counter()
    report = service.import_paths(store, case_id, paths)
    ours = time.perf_counter() - start
    assert report.imported == len(paths), report
    return (
        {
            "photos": len(paths),
            "mb_each": round(paths[0].stat().st_size / 1e6, 2),
            "baseline_s": round(base, 3),
            "import_s": round(ours, 3),
            "ratio": round(ours / base, 3),
            "target": 1.5,
        },
        store,
        case_id,
    )


def _drop_caches(paths: list[Path]) -> None:
    """Read everything once so both runs start from the same (warm) page cache."""
    for path in paths:
        with open(path, "rb") as handle:
            while handle.read(1 << 22):
                pass


def build_gallery_case(store: Store) -> str:
    """5,000 items in a new case over the imported camera photos (rows inserted in bulk)."""
    from sqlalchemy import select

    from fairdesk.evidence.models import EvidenceItem
    from fairdesk.ids import new_id

    case_id = _case(store, "Gallery benchmark")
    with store.write() as session:
        templates = list(session.scalars(select(EvidenceItem)))
        for number in range(GALLERY_ITEMS):
            template = templates[number % len(templates)]
            values = {c.key: getattr(template, c.key) for c in EvidenceItem.__table__.columns}
            values.update(id=new_id(), case_id=case_id)
            session.add(EvidenceItem(**values))
    return case_id


def _run_until(app: object, done: object, timeout_s: float = 60.0) -> None:
    """Spin a real Qt event loop until ``done()``; checked every millisecond.

    (Not a Python loop around processEvents(): with PySide6 6.12 on Python 3.11 every call
    of a void Qt method from Python drops a reference to None, and a tight loop of them
    crashes the interpreter — see the report.)
    """
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    check = QTimer()
    check.setInterval(1)
    limit = time.perf_counter() + timeout_s

    def tick() -> None:
        if done() or time.perf_counter() > limit:  # type: ignore[operator]
            loop.quit()

    check.timeout.connect(tick)
    check.start()
    loop.exec()
    check.stop()


def bench_gallery(store: Store) -> dict[str, float]:
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer
    from PySide6.QtGui import QImageReader
    from PySide6.QtWidgets import QApplication

    from ui.evidence.gallery import ICON_SIZE, THUMB_FILE_SIZE
    from ui.evidence.panel import EvidencePanel
    from ui.fonts import apply_app_font
    from ui.tasks import runner

    app = QApplication.instance() or QApplication([])
    apply_app_font(app)  # type: ignore[arg-type]
    case_id = build_gallery_case(store)
    try:
        # Which rows make up the first screen: measure with a throwaway panel.
        probe = EvidencePanel(store, case_id)
        probe.resize(1280, 800)
        probe.show()
        _run_until(app, lambda: probe.model.rowCount() > 0)
        view = probe.gallery
        visible = [
            r
            for r in range(probe.model.rowCount())
            if view.visualRect(probe.model.index(r)).intersects(view.viewport().rect())
        ]
        shas = [probe.model.rows[r].sha256 for r in visible]
        runner().wait_idle()
        _run_until(app, lambda: True)
        probe.model.close()
        probe.close()

        def decode(sha: str) -> None:
            reader = QImageReader(str(thumbs.thumb_path(store.data_dir, sha, THUMB_FILE_SIZE)))
            reader.setScaledSize(
                reader.size().scaled(ICON_SIZE, ICON_SIZE, Qt.AspectRatioMode.KeepAspectRatio)
            )
            assert not reader.read().isNull()

        def open_panel() -> tuple[EvidencePanel, float]:
            start = time.perf_counter()
            panel = EvidencePanel(store, case_id)
            panel.resize(1280, 800)
            panel.show()
            _run_until(
                app,
                lambda: (
                    panel.model.rowCount() > 0 and all(panel.model.has_thumbnail(s) for s in shas)
                ),
            )
            return panel, time.perf_counter() - start

        def close(panel: EvidencePanel) -> None:
            runner().wait_idle()
            panel.model.close()
            panel.close()

        vault = thumbs.Vault(store.data_dir)
        # Cold: no thumbnail files yet (e.g. items that arrived by sync). Baseline = making and
        # decoding exactly those thumbnails, one after the other.
        shutil.rmtree(store.data_dir / "thumbs")
        start = time.perf_counter()
        for sha in shas:
            thumbs.ensure(store.data_dir, vault, sha, THUMB_FILE_SIZE)
            decode(sha)
        cold_baseline = time.perf_counter() - start
        shutil.rmtree(store.data_dir / "thumbs")
        panel, cold = open_panel()
        close(panel)
        # Warm: thumbnail files exist (made at import). Baseline = decoding them alone.
        start = time.perf_counter()
        for sha in shas:
            decode(sha)
        warm_baseline = time.perf_counter() - start
        panel, warm = open_panel()

        clock = QElapsedTimer()
        clock.start()
        gaps: list[int] = []
        last = [clock.elapsed()]

        def beat() -> None:
            now = clock.elapsed()
            gaps.append(now - last[0])
            last[0] = now

        heartbeat = QTimer()
        heartbeat.setInterval(5)
        heartbeat.timeout.connect(beat)
        heartbeat.start()
        bar = panel.gallery.verticalScrollBar()
        step = max(1, bar.pageStep() // 3)

        def scroll() -> None:
            bar.setValue(bar.value() + step if bar.value() < bar.maximum() else 0)

        scroller = QTimer()
        scroller.setInterval(16)  # one step per frame, like a fast wheel or held key
        scroller.timeout.connect(scroll)
        scroller.start()
        end = time.perf_counter() + 4.0
        _run_until(app, lambda: time.perf_counter() > end)
        scroller.stop()
        heartbeat.stop()
        close(panel)
        stall = max(gaps[1:]) if len(gaps) > 1 else 0
        return {
            "items": GALLERY_ITEMS,
            "first_screen_thumbnails": len(shas),
            "cold_baseline_make_and_decode_s": round(cold_baseline, 4),
            "cold_first_screen_s": round(cold, 4),
            "ratio": round(cold / cold_baseline, 3),
            "target": 1.2,
            "warm_baseline_decode_only_s": round(warm_baseline, 4),
            "warm_first_screen_s": round(warm, 4),
            "warm_ratio": round(warm / warm_baseline, 3),
            "scroll_longest_stall_ms": stall,
            "stall_target_ms": 50,
            "heartbeats": len(gaps),
        }
    finally:
        store.close()


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    paths = ensure_photos()
    with tempfile.TemporaryDirectory(dir=OUT) as temp:
        work = Path(temp)
        imported, store, _case_id = bench_import(paths, work)
        result = {"import": imported, "gallery": bench_gallery(store)}
    (OUT / "evidence.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2), flush=True)
    # PySide6 6.12 on Python 3.11 under-counts references to None/True/False on every void
    # Qt call from Python; interpreter finalisation then aborts. The result is written: leave.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
