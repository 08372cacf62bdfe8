"""Bytes on the wire when a drain through a cut link is retried as new processes (issue 20).

Real `fairdesk sync --once` processes push a device's evidence to a real `fairdesk-hq` through
the byte-counting fault proxy (tests/sync/faultproxy.py):

- ``photos``: 20 photos totalling ~200 MB, the link cut every 4 MB;
- ``one_photo``: one 30 MB photo, 50 cuts at random offsets (seeded).

Each scenario runs twice from a fresh device and a fresh HQ: ``processes`` — one attempt per
process (``--max-time 0``), a new process after every cut, as a script retrying the command
would; ``one_process`` — a single ``sync --once`` that keeps going through the cuts itself.
Reported: bytes the device sent (proxy count, headers included) / payload bytes, and the bytes
the device counted as sent (acknowledged by HQ) / the bytes the proxy saw. The target is
≤ 1.1× (SYNC.md, fault #4). Writes build/bench/drain_cuts.json.

``python tests/bench/bench_drain_cuts.py [--small]`` (--small: a tenth of the bytes).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")

from sqlalchemy import func, select  # noqa: E402

from fairdesk import cases  # noqa: E402
from fairdesk.evidence.service import import_files  # noqa: E402
from fairdesk.model import Direction, Trigger  # noqa: E402
from fairdesk.store import open_store  # noqa: E402
from fairdesk.syncmodel import BlobQueueEntry  # noqa: E402
from sync.client.enroll import enroll  # noqa: E402
from tests.sync.faultproxy import fault_proxy  # noqa: E402
from tests.sync.hq_harness import add_tenant, enroll_codes, live_hq  # noqa: E402

SMALL = "--small" in sys.argv
SCALE = 10 if SMALL else 1
MB = 1024 * 1024
FAIRDESK = Path(sys.executable).with_name("fairdesk")
OUT = ROOT / "build" / "bench"


def _device(root: Path, hq_db: str, url: str, files: list[bytes]) -> Path:
    data = root / "device"
    store = open_store(data)
    try:
        enroll(store, url, enroll_codes(hq_db, "Bench")[0], "bench laptop")
        case_id = cases.create_case(
            store,
            cases.CaseInput(
                title="Drain", direction=Direction.AGAINST_US, trigger=Trigger.WARNING_LETTER
            ),
        )
        paths = []
        for index, content in enumerate(files):
            path = root / f"photo{index}.jpg"
            path.write_bytes(content)
            paths.append(path)
        import_files(store, case_id, paths)
    finally:
        store.close()
    return data


def _sync(data: Path, max_time: float) -> int:
    done = subprocess.run(
        [
            str(FAIRDESK),
            "--data-dir",
            str(data),
            "sync",
            "--once",
            "--json",
            "--max-time",
            str(max_time),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
    )
    return done.returncode


def run(name: str, files: list[bytes], mode: str, cuts: Any) -> dict[str, Any]:
    payload = sum(len(f) for f in files)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        db = f"sqlite:///{root / 'hq.sqlite3'}"
        with live_hq(db, root / "hq") as hq, fault_proxy(hq.base_url) as proxy:
            add_tenant(db, "Bench")
            data = _device(root, db, proxy.url, files)
            proxy.bytes_up = 0
            cuts(proxy)
            started = time.monotonic()
            processes = 0
            while True:
                processes += 1
                code = _sync(data, 0 if mode == "processes" else 1800)
                print(
                    f"  {name}/{mode}: process {processes} exit {code}, "
                    f"{proxy.bytes_up} bytes up, {proxy.cuts_done} cuts",
                    file=sys.stderr,
                )
                if code == 0 or processes > 2000:
                    break
            elapsed = time.monotonic() - started
            store = open_store(data, create=False)
            try:
                with store.read() as session:
                    counted = int(session.scalar(select(func.sum(BlobQueueEntry.bytes_sent))) or 0)
                    undone = int(
                        session.scalar(
                            select(func.count())
                            .select_from(BlobQueueEntry)
                            .where(BlobQueueEntry.state != "done")
                        )
                        or 0
                    )
            finally:
                store.close()
            seen = proxy.bytes_up
            return {
                "scenario": name,
                "mode": mode,
                "payload_bytes": payload,
                "bytes_up": seen,
                "ratio": round(seen / payload, 4),
                "cuts": proxy.cuts_done,
                "processes": processes,
                "drained": code == 0 and undone == 0,
                "counted_sent": counted,
                "counted_over_seen": round(counted / seen, 4),
                "seconds": round(elapsed, 1),
            }


def main() -> int:
    rng = random.Random(20)
    photos = [rng.randbytes(10 * MB // SCALE) for _ in range(20)]
    one = [rng.randbytes(30 * MB // SCALE)]

    def every_4mb(proxy: Any) -> None:
        proxy.cut_gaps = [4 * MB // SCALE] * 10_000

    def fifty_random(proxy: Any) -> None:
        proxy.random_cuts(random.Random(4), 50, 30 * MB // SCALE)

    results = []
    for mode in ("processes", "one_process"):
        results.append(run("photos", photos, mode, every_4mb))
        print(json.dumps(results[-1]), flush=True)
        results.append(run("one_photo", one, mode, fifty_random))
        print(json.dumps(results[-1]), flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    name = "drain_cuts_small.json" if SMALL else "drain_cuts.json"
    (OUT / name).write_text(json.dumps({"target_ratio": 1.1, "runs": results}, indent=1))
    return 0 if all(r["drained"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
