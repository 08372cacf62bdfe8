"""Benchmark: encryption on vs off, same run → build/bench/protect.json.

1. Evidence import: 40 photos (1600×1200 JPEGs, ~0.5 MB each) plus one 64 MiB video-sized
   file into a case, in a plain folder and in an encrypted one (SQLCipher + AES-GCM vault +
   encrypted thumbnails). Target: ratio ≤ 1.3×.
2. Case list: ``list_cases`` over the demo data plus 300 more cases, median of 30 runs, plain vs
   encrypted. Target: ratio ≤ 1.3×.
Each measurement is the median of alternating runs so that both sides see the same machine load.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw  # noqa: E402

from fairdesk import cases  # noqa: E402
from fairdesk.crypto import keys  # noqa: E402
from fairdesk.demo import fill_demo  # noqa: E402
from fairdesk.evidence import service  # noqa: E402
from fairdesk.model import Direction, Trigger  # noqa: E402
from fairdesk.store import Store, open_store  # noqa: E402

N_PHOTOS = 40
BIG = 64 << 20


def _files(folder: Path) -> list[Path]:
    folder.mkdir(parents=True)
    out = []
    for i in range(N_PHOTOS):
        rng = random.Random(i)
        img = Image.new("RGB", (1600, 1200), (rng.randrange(256), 90, 120))
        draw = ImageDraw.Draw(img)
        for _ in range(300):
            x, y = rng.randrange(1600), rng.randrange(1200)
            draw.ellipse((x, y, x + 40, y + 30), fill=(rng.randrange(256), 10, 200))
        path = folder / f"p{i:03d}.jpg"
        img.save(path, "JPEG", quality=85)
        out.append(path)
    big = folder / "booth-video.mp4"
    with open(big, "wb") as handle:
        handle.write(b"\x00\x00\x00\x18ftypmp42")
        handle.write(os.urandom(BIG))
    out.append(big)
    return out


def _open(folder: Path, encrypted: bool) -> Store:
    if encrypted:
        setup = keys.create_keyfile(folder, "benchmark passphrase")  # production Argon2
        return open_store(folder, data_key=setup.data_key)
    return open_store(folder)


def _new_case(store: Store, title: str) -> str:
    return cases.create_case(
        store, cases.CaseInput(title=title, direction=Direction.BY_US, trigger=Trigger.COPY_SPOTTED)
    )


def _import_once(work: Path, files: list[Path], encrypted: bool, n: int) -> float:
    folder = work / f"imp-{encrypted}-{n}"
    store = _open(folder, encrypted)
    try:
        case_id = _new_case(store, "bench")
        start = time.perf_counter()
        report = service.import_files(store, case_id, files)
        elapsed = time.perf_counter() - start
        assert report.imported == len(files), report
    finally:
        store.close()
        shutil.rmtree(folder)
    return elapsed


def _median_pair(fn: Callable[[bool, int], float], rounds: int) -> tuple[float, float]:
    plain, enc = [], []
    for n in range(rounds):
        plain.append(fn(False, n))
        enc.append(fn(True, n))
    return statistics.median(plain), statistics.median(enc)


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="bench-protect-"))
    try:
        files = _files(work / "card")
        imp_plain, imp_enc = _median_pair(lambda e, n: _import_once(work, files, e, n), 3)
        stores = {}
        for encrypted in (False, True):
            store = _open(work / f"list-{encrypted}", encrypted)
            fill_demo(store)
            for i in range(300):
                _new_case(store, f"Case {i} at Hall {i % 12}")
            stores[encrypted] = store

        def list_once(encrypted: bool, _n: int) -> float:
            start = time.perf_counter()
            rows = cases.list_cases(stores[encrypted])
            elapsed = time.perf_counter() - start
            assert len(rows) >= 300
            return elapsed

        list_plain, list_enc = _median_pair(list_once, 30)
        for store in stores.values():
            store.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = {
        "import": {
            "files": N_PHOTOS + 1,
            "bytes_video": BIG,
            "plain_s": round(imp_plain, 3),
            "encrypted_s": round(imp_enc, 3),
            "ratio": round(imp_enc / imp_plain, 3),
            "target_ratio": 1.3,
        },
        "case_list": {
            "cases": 314,
            "plain_ms": round(list_plain * 1000, 2),
            "encrypted_ms": round(list_enc * 1000, 2),
            "ratio": round(list_enc / list_plain, 3),
            "target_ratio": 1.3,
        },
    }
    out = ROOT / "build" / "bench" / "protect.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
