"""Benchmark of HQ under many devices and two tenants (`python tests/bench/bench_tenants.py`).

Against a real `fairdesk-hq serve` on 127.0.0.1, on SQLite and PostgreSQL (issue 21):

- ``push_rate``: single-mutation pushes from 32 devices of one tenant at once, pushes/s
  (target ≥ 200/s);
- ``quiet_pull``: a device of another tenant pulls (from its own cursor, as every sync does)
  over and over, first with nobody else busy, then while the 32 devices push: p50/p99 in ms
  and the ratio of the two p99s measured in the same run (target p99 ≤ 50 ms while pushing).

``--workers N`` starts the server with N uvicorn workers (default 1). Writes
build/bench/tenants.json (``--out`` to change). Takes about a minute per database.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.sync.hq_harness import (  # noqa: E402
    DeviceClient,
    PostgresUnavailable,
    enroll_codes,
    live_hq,
    postgres_cluster,
)

PUSHERS = 32
PUSHES_EACH = 40
IDLE_PULLS = 200
QUIET_ROWS = 200


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "count": len(values),
        "p50_ms": round(statistics.median(values) * 1000, 2),
        "p99_ms": _pct(values, 0.99),
    }


def _quiet_pull(device: DeviceClient) -> float:
    started = time.perf_counter()
    response = device.request("GET", "/v1/sync/pull", params={"cursor": device.cursor})
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    return elapsed


def bench(hq: Any) -> dict[str, Any]:
    hq.add_tenant("Busy")
    hq.add_tenant("Quiet")
    codes = enroll_codes(hq.db_url, "Busy", count=PUSHERS)
    with hq.client(timeout=300) as http:
        quiet = hq.enroll_device(http, "Quiet")
        case = quiet.new_case()
        quiet.push(
            [
                quiet.mutation("note", str(uuid.uuid4()), changes={"case_id": case, "n": n})
                for n in range(QUIET_ROWS)
            ]
        )
        quiet.pull_all()
    pushers: list[tuple[DeviceClient, str]] = []
    for code in codes:
        device = DeviceClient.enroll(hq.client(timeout=300), code)
        pushers.append((device, device.new_case()))

    with hq.client(timeout=300) as http:
        quiet.http = http
        for _ in range(20):  # warm the server's connections and caches
            _quiet_pull(quiet)
        idle = [_quiet_pull(quiet) for _ in range(IDLE_PULLS)]

        done = threading.Event()
        busy: list[float] = []
        errors: list[str] = []

        def pull_while_busy() -> None:
            while not done.is_set():
                busy.append(_quiet_pull(quiet))

        def push_all(pair: tuple[DeviceClient, str]) -> None:
            device, own_case = pair
            for n in range(PUSHES_EACH):
                note = device.mutation(
                    "note", str(uuid.uuid4()), changes={"case_id": own_case, "n": n}
                )
                response = device.push_raw([note])
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {response.text[:120]}")

        puller = threading.Thread(target=pull_while_busy)
        puller.start()
        started = time.perf_counter()
        with ThreadPoolExecutor(PUSHERS) as pool:
            list(pool.map(push_all, pushers))
        wall = time.perf_counter() - started
        done.set()
        puller.join()
    for device, _case in pushers:
        device.http.close()
    pushes = PUSHERS * PUSHES_EACH
    idle_summary, busy_summary = _summary(idle), _summary(busy)
    return {
        "push_rate": {
            "devices": PUSHERS,
            "pushes": pushes,
            "errors": len(errors),
            "error_samples": errors[:3],
            "wall_s": round(wall, 2),
            "pushes_per_s": round(pushes / wall, 1),
        },
        "quiet_pull": {
            "idle": idle_summary,
            "while_pushing": busy_summary,
            "p99_ratio": round(busy_summary["p99_ms"] / max(idle_summary["p99_ms"], 0.001), 2),
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench" / "tenants.json")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    report: dict[str, Any] = {"cpu_count": os.cpu_count(), "workers": args.workers}
    with tempfile.TemporaryDirectory(prefix="fairdesk-bench-") as tmp_name:
        tmp = Path(tmp_name)
        if args.only in (None, "sqlite"):
            url = f"sqlite:///{tmp / 'hq.sqlite3'}"
            with live_hq(url, tmp / "sqlite", workers=args.workers) as hq:
                report["sqlite"] = bench(hq)
            print("sqlite", json.dumps(report["sqlite"]), flush=True)
        if args.only in (None, "postgresql"):
            try:
                with (
                    postgres_cluster() as pg_url,
                    live_hq(pg_url, tmp / "pg", workers=args.workers) as hq,
                ):
                    report["postgresql"] = bench(hq)
                print("postgresql", json.dumps(report["postgresql"]), flush=True)
            except PostgresUnavailable as exc:
                report["postgresql"] = {"skipped": str(exc)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
