"""Evidence benchmarks → build/bench/evidence.json (ratios against baselines from the same run).

1. Import 300 camera-like JPEGs (4000×3000, ~5 MB, noisy so they do not compress away) into a
   case, vs a baseline that only reads each file, SHA-256 hashes it and makes the same-size
   thumbnail with Pillow's draft mode. Target ≤ 1.5×.
2. Gallery of a 5,000-item case: time until the first screen of thumbnails is shown, vs the
   time to decode those thumbnails alone. Target ≤ 1.2×.
   Both sides start with the thumbnail cache files present (made at import); a cold variant
   (no cache files on either side) is reported too. See bench_gallery for exactly what.
3. Longest GUI stall while scrolling that gallery (precise 5 ms QTimer heartbeat), next to an
   idle baseline (the same tab, nothing happening) in the same run. Target ≤ 50 ms.

The photos are generated once into build/bench/photos (cached): a few encoded bases, each
copy made unique by a JPEG comment segment so no two files share a hash.
Run: QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_evidence.py [--gallery-only]
(--gallery-only writes build/bench/evidence-gallery.json and skips the import benchmark.)
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

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


def build_gallery_case(store: Store, source_case: str, count: int, title: str) -> str:
    """A new case of ``count`` items over the imported camera photos (rows inserted in bulk).

    Item n is a copy of imported photo n mod 300, imported one second after item n-1, so the
    gallery order cycles through the photos and every screenful shows distinct pictures.
    """
    from datetime import timedelta

    from sqlalchemy import select

    from fairdesk.evidence.models import EvidenceItem
    from fairdesk.ids import new_id

    case_id = _case(store, title)
    with store.write() as session:
        templates = list(
            session.scalars(
                select(EvidenceItem)
                .where(EvidenceItem.case_id == source_case)
                .order_by(EvidenceItem.imported_at, EvidenceItem.id)
            )
        )
        start = templates[0].imported_at
        for number in range(count):
            template = templates[number % len(templates)]
            values = {c.key: getattr(template, c.key) for c in EvidenceItem.__table__.columns}
            values.update(
                id=new_id(), case_id=case_id, imported_at=start + timedelta(seconds=number)
            )
            session.add(EvidenceItem(**values))
    return case_id


def _run_until(done: Callable[[], bool], timeout_s: float = 60.0) -> None:
    """Spin a real Qt event loop until ``done()``; checked every millisecond.

    (Not a Python loop around processEvents(): with PySide6 on Python 3.11 every call of a
    void Qt method from Python drops a reference to None, and a tight loop of them crashes
    the interpreter.)
    """
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    check = QTimer()
    check.setInterval(1)
    limit = time.perf_counter() + timeout_s

    def tick() -> None:
        if done() or time.perf_counter() > limit:
            loop.quit()

    check.timeout.connect(tick)
    check.start()
    loop.exec()
    check.stop()


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 4)


def _pillow_decode(path: Path, size: int) -> None:
    """Decode one cached thumbnail file to gallery size, as cheaply as Pillow can."""
    with Image.open(path) as image:
        image.draft("RGB", (size, size))  # libjpeg scales while decoding, like QImageReader
        image.load()


def _gaps(seconds: float, interval_ms: int = 5) -> list[float]:
    """Run the event loop for ``seconds`` with a precise heartbeat; the gaps between beats (ms)."""
    from PySide6.QtCore import Qt, QTimer

    stamps: list[float] = []
    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.setInterval(interval_ms)
    heartbeat.timeout.connect(lambda: stamps.append(time.perf_counter()))
    heartbeat.start()
    end = time.perf_counter() + seconds
    _run_until(lambda: time.perf_counter() > end)
    heartbeat.stop()
    return [(b - a) * 1000 for a, b in pairwise(stamps[1:])]


def _stall_figures(gaps: list[float]) -> dict[str, float]:
    ordered = sorted(gaps)
    return {
        "longest_ms": round(ordered[-1], 1) if ordered else 0.0,
        "p99_ms": round(ordered[int(len(ordered) * 0.99)], 1) if ordered else 0.0,
        "beats": len(gaps),
    }


def bench_gallery(store: Store, source_case: str) -> dict[str, Any]:
    """What is measured (both sides start from the same state, in the same process):

    - app side: from creating the Evidence tab of the case (``EvidencePanel``) until the
      first visible thumbnails have been painted (a Paint event of the gallery's viewport
      after every one of them is in the model's cache has been processed);
    - baseline: Pillow decoding exactly those thumbnails (the first screen's rows), one after
      the other, to gallery size.
    Warm (the normal case, the ratio the target applies to): the thumbnail cache files exist
    for both (they are made at import). Cold (items that arrived by sync): the ``thumbs/``
    folder is deleted before each side, and the baseline makes each thumbnail from its
    original before decoding it. The page cache is warm for both. Medians of 3 repeats.
    The evidence start-up check (deferred 5 s, re-hashes recent originals) is switched off
    so it does not land in the middle of the scroll measurement.
    """
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    from ui.evidence import panel as panel_module
    from ui.evidence.gallery import ICON_SIZE, THUMB_FILE_SIZE
    from ui.evidence.panel import EvidencePanel
    from ui.fonts import apply_app_font
    from ui.tasks import runner

    app = QApplication.instance() or QApplication([])
    apply_app_font(app)  # type: ignore[arg-type]
    panel_module._checked_at_startup.add(store.data_dir)
    case_id = build_gallery_case(store, source_case, GALLERY_ITEMS, "Gallery benchmark")

    def close(panel: EvidencePanel) -> None:
        runner().wait_idle()
        panel.model.close()
        panel.close()
        panel.deleteLater()
        _run_until(lambda: True)

    # Which rows make up the first screen: measured with a throwaway panel.
    probe = EvidencePanel(store, case_id)
    probe.resize(1280, 800)
    probe.show()
    _run_until(lambda: probe.model.row_at(0) is not None)
    view = probe.gallery
    visible = [
        r
        for r in range(min(probe.model.rowCount(), 400))
        if view.visualRect(probe.model.index(r)).intersects(view.viewport().rect())
    ]
    shas = [row.sha256 for r in visible if (row := probe.model.row_at(r)) is not None]
    assert len(shas) == len(visible) and len(set(shas)) == len(shas), "first screen not distinct"
    close(probe)
    small_case = build_gallery_case(store, source_case, len(shas), "First screen only")

    class PaintWatch(QObject):
        def __init__(self, panel: EvidencePanel) -> None:
            super().__init__()
            self.panel = panel
            self.painted_at: float | None = None
            self.armed = False

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if (
                event.type() == QEvent.Type.Paint
                and not self.armed
                and all(self.panel.model.has_thumbnail(s) for s in shas)
            ):
                self.armed = True
                QTimer.singleShot(0, self.mark)  # runs once this paint has been done
            return False

        def mark(self) -> None:
            self.painted_at = time.perf_counter()

    def first_screen(case: str) -> tuple[EvidencePanel, float]:
        start = time.perf_counter()
        panel = EvidencePanel(store, case)
        watch = PaintWatch(panel)
        panel.gallery.viewport().installEventFilter(watch)
        panel.resize(1280, 800)
        panel.show()
        _run_until(lambda: watch.painted_at is not None)
        assert watch.painted_at is not None
        panel.gallery.viewport().removeEventFilter(watch)
        return panel, watch.painted_at - start

    def app_runs(case: str, cold: bool) -> list[float]:
        times = []
        for _repeat in range(3):
            if cold:
                shutil.rmtree(store.data_dir / "thumbs", ignore_errors=True)
            panel, took = first_screen(case)
            close(panel)
            times.append(took)
        return times

    def baseline_runs(cold: bool) -> list[float]:
        vault = store.vault
        times = []
        for _repeat in range(3):
            if cold:
                shutil.rmtree(store.data_dir / "thumbs", ignore_errors=True)
            start = time.perf_counter()
            for sha in shas:
                if cold:
                    thumbs.ensure(store.data_dir, vault, sha, THUMB_FILE_SIZE)
                _pillow_decode(thumbs.thumb_path(store.data_dir, sha, THUMB_FILE_SIZE), ICON_SIZE)
            times.append(time.perf_counter() - start)
        return times

    try:
        cold_base = _median(baseline_runs(cold=True))
        cold_app = _median(app_runs(case_id, cold=True))
        warm_base = _median(baseline_runs(cold=False))
        warm_app = _median(app_runs(case_id, cold=False))
        warm_small = _median(app_runs(small_case, cold=False))

        # Stalls: an idle baseline (tab open, nothing happening) and fast scrolling, same run.
        panel, _took = first_screen(case_id)
        bar = panel.gallery.verticalScrollBar()
        step = max(1, bar.pageStep() // 3)

        def scroll() -> None:
            bar.setValue(bar.value() + step if bar.value() < bar.maximum() else 0)

        scroller = QTimer()
        scroller.setInterval(16)  # one step per frame, like a fast wheel or a held key
        scroller.timeout.connect(scroll)
        scroller.start()
        scrolling = _gaps(4.0)  # starts at once: the rest of the rows is still arriving
        scroller.stop()
        runner().wait_idle()
        idle = _gaps(2.0)
        close(panel)
        return {
            "items": GALLERY_ITEMS,
            "first_screen_thumbnails": len(shas),
            "warm_baseline_pillow_decode_s": warm_base,
            "warm_first_screen_s": warm_app,
            "ratio": round(warm_app / warm_base, 3),
            "target": 1.2,
            "warm_first_screen_of_a_case_with_only_those_items_s": warm_small,
            "cold_baseline_make_and_decode_s": cold_base,
            "cold_first_screen_s": cold_app,
            "cold_ratio": round(cold_app / cold_base, 3),
            "stall_target_ms": 50,
            "heartbeat_interval_ms": 5,
            "stall_idle": _stall_figures(idle),
            "stall_scrolling": _stall_figures(scrolling),
            "load_average_1min": round(os.getloadavg()[0], 2),
        }
    finally:
        store.close()


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    paths = ensure_photos()
    with tempfile.TemporaryDirectory(dir=OUT) as temp:
        work = Path(temp)
        if "--gallery-only" in sys.argv:  # skips the 300-photo import baseline (~30 s)
            store = open_store(work / "import-data")
            source = _case(store, "Import benchmark")
            service.import_paths(store, source, paths)
            result: dict[str, Any] = {"gallery": bench_gallery(store, source)}
            name = "evidence-gallery.json"
        else:
            imported, store, source = bench_import(paths, work)
            result = {"import": imported, "gallery": bench_gallery(store, source)}
            name = "evidence.json"
    (OUT / name).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2), flush=True)
    # PySide6 6.12 on Python 3.11 under-counts references to None/True/False on every void
    # Qt call from Python; interpreter finalisation then aborts. The result is written: leave.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
