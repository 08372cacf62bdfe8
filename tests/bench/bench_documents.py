"""Benchmark: document rendering vs plain reportlab, same run → build/bench/documents.json.

1. Evidence report with 100 photos (1600×1200 JPEGs, like downscaled phone photos) against
   plain reportlab drawing the same 100 image files at the same size, one per otherwise empty
   page. Measured cold (print copies made) and warm (print copies cached, as for a version 2).
   Target: ratio ≤ 1.5×. Also reports output bytes per photo.
2. A response document of about 5 pages, no photos: render time (must feel instant).
3. An evidence report whose one photo has a 500-entry custody log (flows over pages).
4. One-page kinds a responder prints at the booth — the phrase card and the power of
   attorney: render time, target well under 0.5 s.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.lib.units import cm  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from fairdesk import cases  # noqa: E402
from fairdesk.demo import fill_demo  # noqa: E402
from fairdesk.documents import images, service  # noqa: E402
from fairdesk.documents.evidence_view import EvidenceView  # noqa: E402
from fairdesk.evidence.vocab import CustodyAction  # noqa: E402
from fairdesk.store import open_store  # noqa: E402

N_PHOTOS = 100
PHOTO_SIZE = (1600, 1200)
BOX_W = (A4[0] - 4 * cm) * 0.68 - 10  # the photo box of the evidence block (see pdf.py)
BOX_H = 8.5 * cm


def _photos(folder: Path) -> list[Path]:
    out = []
    for i in range(N_PHOTOS):
        rng = random.Random(i)
        img = Image.new("RGB", PHOTO_SIZE, (rng.randrange(256), rng.randrange(256), 120))
        draw = ImageDraw.Draw(img)
        for _ in range(400):  # texture, so JPEG sizes resemble photos rather than flat colour
            x, y = rng.randrange(PHOTO_SIZE[0]), rng.randrange(PHOTO_SIZE[1])
            draw.ellipse(
                (x, y, x + rng.randrange(10, 120), y + rng.randrange(10, 120)),
                fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)),
            )
        path = folder / f"photo{i:03d}.jpg"
        img.save(path, "JPEG", quality=88)
        out.append(path)
    return out


def _baseline(photos: list[Path], *, binary: bool = False) -> tuple[float, int]:
    """Plain reportlab drawing the photo files; ``binary``: without its default ASCII85
    stream encoding (FairDesk writes binary streams, so this is the like-for-like figure)."""
    from reportlab import rl_config

    before = rl_config.useA85
    rl_config.useA85 = 0 if binary else before
    try:
        return _baseline_run(photos)
    finally:
        rl_config.useA85 = before


def _baseline_run(photos: list[Path]) -> tuple[float, int]:
    start = time.perf_counter()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    scale = min(BOX_W / PHOTO_SIZE[0], BOX_H / PHOTO_SIZE[1])
    for path in photos:
        canvas.drawImage(
            str(path),
            2 * cm,
            A4[1] - 2 * cm - BOX_H,
            width=PHOTO_SIZE[0] * scale,
            height=PHOTO_SIZE[1] * scale,
        )
        canvas.showPage()
    canvas.save()
    return time.perf_counter() - start, len(buffer.getvalue())


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="bench-docs-"))
    try:
        photos = _photos(work)
        store = open_store(work / "data")
        fill_demo(store)
        case_id = next(r.id for r in cases.list_cases(store) if "榨汁机" in r.title)
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
        fields = {"company_name": "重庆示例机电有限公司", "signatory_name": "张示例"}
        cache = store.data_dir / "thumbs" / "print"

        def ours() -> tuple[float, int]:
            start = time.perf_counter()
            result = service.render_document(
                store, case_id, "evidence_report", "en", fields, evidence=views, save=False
            )
            return time.perf_counter() - start, len(result.data)

        service.render_document(
            store, case_id, "hq_notification", "en", {"decisions_needed": "warm-up"}, save=False
        )  # font load
        base_runs, binary_runs, cold_runs, warm_runs = [], [], [], []
        for _ in range(3):
            base_runs.append(_baseline(photos))
            binary_runs.append(_baseline(photos, binary=True))
            shutil.rmtree(cache, ignore_errors=True)
            cold_runs.append(ours())
            warm_runs.append(ours())
        base = statistics.median(t for t, _ in base_runs)
        binary_base = statistics.median(t for t, _ in binary_runs)
        cold = statistics.median(t for t, _ in cold_runs)
        warm = statistics.median(t for t, _ in warm_runs)

        long_text = "\n\n".join(
            f"{i}. The Respondent has manufactured and sold the product since 2019; "
            "重庆工厂的生产记录和销售发票证明了这一点。 " * 4
            for i in range(1, 30)
        )
        response_fields = {
            "company_name": "重庆示例机电有限公司",
            "signatory_name": "张示例",
            "allegations": "\n".join(f"Allegation {i} | Denied, see section 4" for i in range(12)),
            "defence_grounds": long_text,
        }
        timings, pages = [], 0
        for _ in range(5):
            start = time.perf_counter()
            result = service.render_document(
                store, case_id, "panel_response", "en", response_fields, save=False
            )
            timings.append(time.perf_counter() - start)
            pages = result.pages
        custody = tuple(
            (
                f"2026-11-25T{8 + i // 60:02d}:{i % 60:02d}:00+00:00",
                CustodyAction.INCLUDED_IN_DOCUMENT,
                "张示例",
            )
            for i in range(500)
        )
        logged = [EvidenceView(**{**views[0].__dict__, "custody": custody})]
        log_runs, log_pages = [], 0
        for _ in range(3):
            start = time.perf_counter()
            result = service.render_document(
                store, case_id, "evidence_report", "en", fields, evidence=logged, save=False
            )
            log_runs.append(time.perf_counter() - start)
            log_pages = result.pages

        hannover = next(r.id for r in cases.list_cases(store) if "Verfügung" in r.title)
        one_page: dict[str, dict[str, object]] = {}
        for kind, lang, case, extra in (
            ("phrase_card_de", "de", hannover, {"counsel_phone": "+49 000 111"}),
            ("power_of_attorney", "zh", case_id, {"representative": "李示例"}),
        ):
            runs = []
            for _ in range(5):
                start = time.perf_counter()
                result = service.render_document(
                    store, case, kind, lang, fields | extra, allow_blanks=True, save=False
                )
                runs.append(time.perf_counter() - start)
            one_page[kind] = {
                "pages": result.pages,
                "median_s": round(statistics.median(runs), 3),
                "runs_s": [round(t, 3) for t in runs],
                "target_s": 0.5,
            }
        store.close()
        report = {
            "evidence_report_100_photos": {
                "photo_pixels": list(PHOTO_SIZE),
                "print_box_pixels": list(images.max_pixels(BOX_W, BOX_H)),
                "baseline_plain_reportlab_s": round(base, 3),
                "fairdesk_cold_s": round(cold, 3),
                "fairdesk_warm_cached_s": round(warm, 3),
                "ratio_cold": round(cold / base, 2),
                "ratio_warm": round(warm / base, 2),
                # Like for like: plain reportlab also without ASCII85 streams.
                "baseline_plain_reportlab_binary_streams_s": round(binary_base, 3),
                "ratio_warm_vs_binary_baseline": round(warm / binary_base, 2),
                "ratio_cold_vs_binary_baseline": round(cold / binary_base, 2),
                "target_ratio": 1.5,
                "baseline_bytes_per_photo": base_runs[0][1] // N_PHOTOS,
                "fairdesk_bytes_per_photo": cold_runs[0][1] // N_PHOTOS,
            },
            "response_document": {
                "pages": pages,
                "median_s": round(statistics.median(timings), 3),
                "runs_s": [round(t, 3) for t in timings],
            },
            "evidence_report_500_custody_entries": {
                "pages": log_pages,
                "median_s": round(statistics.median(log_runs), 3),
                "runs_s": [round(t, 3) for t in log_runs],
            },
            "one_page_kinds": one_page,
        }
        out = ROOT / "build" / "bench" / "documents.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2), encoding="utf-8")
        print(json.dumps(report, indent=2))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
