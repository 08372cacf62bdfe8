"""Benchmark of the HQ server (`python tests/bench/bench_server.py`; `make bench` runs it).

Measures, against a real `fairdesk-hq serve` on 127.0.0.1, on SQLite and PostgreSQL:
push mutations/s (batches of 500), pull rows/s, blob upload throughput against a plain HTTP PUT
of the same bytes to a trivial server in the same run (ratio, bytes on the wire / payload), and
50 simulated devices at once (push, pull, one 5 MB blob each: p50/p99 latency per call, errors).
Writes build/bench/server.json. Takes a couple of minutes on two cores.
"""

from __future__ import annotations

import http.server
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sync.protocol import digest_of  # noqa: E402
from tests.sync.hq_harness import (  # noqa: E402
    DeviceClient,
    PostgresUnavailable,
    enroll_codes,
    live_hq,
    moto_s3_server,
    postgres_cluster,
)

PUSH_BATCHES = 10
BLOB_BYTES = 64 * 1024 * 1024
DEVICE_COUNT = 50
DEVICE_BLOB = 5 * 1024 * 1024


class WireCounter:
    """Counts HTTP/1.1 bytes a client sends and receives (request/response heads + bodies)."""

    def __init__(self) -> None:
        self.bytes = 0

    def request(self, request: httpx.Request) -> None:
        head = f"{request.method} {request.url.raw_path.decode()} HTTP/1.1\r\n"
        self.bytes += len(head) + sum(len(k) + len(v) + 4 for k, v in request.headers.raw) + 2
        length = request.headers.get("content-length")
        self.bytes += int(length) if length else 0

    def response(self, response: httpx.Response) -> None:
        self.bytes += 17 + sum(len(k) + len(v) + 4 for k, v in response.headers.raw) + 2
        length = response.headers.get("content-length")
        self.bytes += int(length) if length else 0


def bench_records(hq: Any) -> dict[str, float]:
    hq.add_tenant("Bench")
    with hq.client(timeout=300) as http:
        device = hq.enroll_device(http, "Bench")
        case = device.new_case()
        batches = [
            [
                device.mutation(
                    "note", str(uuid.uuid4()), changes={"case_id": case, "text": "x" * 200, "n": i}
                )
                for i in range(500)
            ]
            for _ in range(PUSH_BATCHES)
        ]
        started = time.perf_counter()
        for batch in batches:
            results = device.push(batch)
            assert all(r["status"] == "applied" for r in results)
        push_seconds = time.perf_counter() - started
        reader = hq.enroll_device(http, "Bench")
        started = time.perf_counter()
        rows = reader.pull_all(limit=1000)
        pull_seconds = time.perf_counter() - started
    return {
        "push_mutations": PUSH_BATCHES * 500,
        "push_mutations_per_s": round(PUSH_BATCHES * 500 / push_seconds, 1),
        "pull_rows": len(rows),
        "pull_rows_per_s": round(len(rows) / pull_seconds, 1),
    }


class _PlainPut(http.server.BaseHTTPRequestHandler):
    target: Path

    def do_PUT(self) -> None:
        remaining = int(self.headers["Content-Length"])
        with self.target.open("wb") as out:
            while remaining:
                block = self.rfile.read(min(1024 * 1024, remaining))
                out.write(block)
                remaining -= len(block)
            out.flush()
            os.fsync(out.fileno())
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def bench_blob(hq: Any, tmp: Path) -> dict[str, float]:
    data = os.urandom(BLOB_BYTES)
    _PlainPut.target = tmp / "plain.bin"
    plain = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _PlainPut)
    threading.Thread(target=plain.serve_forever, daemon=True).start()
    try:
        with httpx.Client(trust_env=False, timeout=300) as client:
            started = time.perf_counter()
            assert (
                client.put(f"http://127.0.0.1:{plain.server_port}/x", content=data).status_code
                == 201
            )
            plain_seconds = time.perf_counter() - started
    finally:
        plain.shutdown()
    hq.add_tenant("Blobs")
    counter = WireCounter()
    with httpx.Client(
        base_url=hq.base_url,
        trust_env=False,
        timeout=300,
        event_hooks={"request": [counter.request], "response": [counter.response]},
    ) as http_client:
        device = DeviceClient.enroll(http_client, enroll_codes(hq.db_url, "Blobs")[0])
        counter.bytes = 0
        started = time.perf_counter()
        digest = device.upload(data, chunk_size=8 * 1024 * 1024)
        ours_seconds = time.perf_counter() - started
        assert digest == digest_of(data)
    plain_mb_s = BLOB_BYTES / plain_seconds / 1e6
    ours_mb_s = BLOB_BYTES / ours_seconds / 1e6
    return {
        "blob_bytes": BLOB_BYTES,
        "plain_put_mb_s": round(plain_mb_s, 1),
        "upload_mb_s": round(ours_mb_s, 1),
        "throughput_ratio": round(ours_mb_s / plain_mb_s, 3),
        "wire_bytes_over_payload": round(counter.bytes / BLOB_BYTES, 5),
    }


def bench_devices(hq: Any) -> dict[str, Any]:
    hq.add_tenant("Fleet")
    codes = enroll_codes(hq.db_url, "Fleet", count=DEVICE_COUNT)
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    lock = threading.Lock()

    def timed(kind: str, call: Any) -> Any:
        started = time.perf_counter()
        result = call()
        with lock:
            latencies[kind].append(time.perf_counter() - started)
        return result

    def one(code: str) -> None:
        try:
            with hq.client(timeout=300) as http:
                device = timed("enroll", lambda: DeviceClient.enroll(http, code))
                case = str(uuid.uuid4())
                batch = [device.mutation("case", case, changes={"title": "t"})] + [
                    device.mutation("note", str(uuid.uuid4()), changes={"case_id": case})
                    for _ in range(49)
                ]
                timed("push", lambda: device.push(batch))
                timed("pull", lambda: device.pull_all())
                blob = os.urandom(DEVICE_BLOB)
                timed("upload_5mb", lambda: device.upload(blob, chunk_size=8 * 1024 * 1024))
        except Exception as exc:  # counted, not raised: the figure to report is the error count
            with lock:
                errors.append(repr(exc)[:200])

    started = time.perf_counter()
    with ThreadPoolExecutor(DEVICE_COUNT) as pool:
        list(pool.map(one, codes))
    total = time.perf_counter() - started

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {
        "devices": DEVICE_COUNT,
        "errors": len(errors),
        "error_samples": errors[:3],
        "wall_s": round(total, 2),
        "latency_ms": {
            kind: {"p50": round(statistics.median(v) * 1000, 1), "p99": pct(v, 0.99)}
            for kind, v in latencies.items()
        },
    }


S3_BLOB = 32 * 1024 * 1024
S3_ROUNDS = 5


def bench_s3_vs_folder(tmp: Path) -> dict[str, Any]:
    """The same upload through `fairdesk-hq` with the folder store and with the S3 store (moto's
    S3 server on 127.0.0.1), interleaved rounds in one run; ratio of medians (target ≥ 0.8).

    The S3 store sends each 8 MiB part to S3 while the PATCHes arrive (`sync.server.s3store`),
    so promotion only sends the last part and completes the multipart upload."""
    import boto3

    with moto_s3_server() as endpoint:
        env = {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": "us-east-1",
        }
        os.environ.update(env)
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
            Bucket="bench"
        )
        s3_env = {**env, "FAIRDESK_HQ_BLOBS_URL": "s3://bench/hq"}
        seconds: dict[str, list[float]] = {"folder": [], "s3": []}
        with (
            live_hq(f"sqlite:///{tmp / 'folder.sqlite3'}", tmp / "folder") as folder,
            live_hq(f"sqlite:///{tmp / 's3.sqlite3'}", tmp / "s3", env=s3_env) as s3,
        ):
            servers = {"folder": folder, "s3": s3}
            devices = {}
            clients = {name: hq.client(timeout=300) for name, hq in servers.items()}
            for name, hq in servers.items():
                hq.add_tenant("Bench")
                devices[name] = DeviceClient.enroll(
                    clients[name], enroll_codes(hq.db_url, "Bench")[0]
                )
            for _ in range(S3_ROUNDS):
                data = os.urandom(S3_BLOB)
                for name in ("folder", "s3"):
                    started = time.perf_counter()
                    assert devices[name].upload(data, chunk_size=8 * 1024 * 1024) == digest_of(data)
                    seconds[name].append(time.perf_counter() - started)
            for client in clients.values():
                client.close()
    mb_s = {name: S3_BLOB / statistics.median(v) / 1e6 for name, v in seconds.items()}
    return {
        "blob_bytes": S3_BLOB,
        "rounds": S3_ROUNDS,
        "s3_server": "moto_server (production: MinIO, Ceph RGW or AWS S3)",
        "folder_upload_mb_s": round(mb_s["folder"], 1),
        "s3_upload_mb_s": round(mb_s["s3"], 1),
        "s3_over_folder_ratio": round(mb_s["s3"] / mb_s["folder"], 3),
        "target_ratio": 0.8,
    }


def run_on(db_url: str, tmp: Path, with_blob: bool) -> dict[str, Any]:
    with live_hq(db_url, tmp / "hq") as hq:
        result: dict[str, Any] = {"records": bench_records(hq)}
        if with_blob:
            result["blob"] = bench_blob(hq, tmp)
        result["fifty_devices"] = bench_devices(hq)
    return result


def main() -> int:
    if sys.argv[1:] == ["--only", "s3"]:
        return only_s3()
    report: dict[str, Any] = {"cpu_count": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="fairdesk-bench-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "sqlite").mkdir()
        report["sqlite"] = run_on(
            f"sqlite:///{tmp / 'sqlite' / 'hq.sqlite3'}", tmp / "sqlite", True
        )
        print("sqlite", json.dumps(report["sqlite"]), flush=True)
        (tmp / "stores").mkdir()
        report["s3_store"] = bench_s3_vs_folder(tmp / "stores")
        print("s3_store", json.dumps(report["s3_store"]), flush=True)
        try:
            with postgres_cluster() as pg_url:
                (tmp / "pg").mkdir()
                report["postgresql"] = run_on(pg_url, tmp / "pg", True)
                print("postgresql", json.dumps(report["postgresql"]), flush=True)
        except PostgresUnavailable as exc:
            report["postgresql"] = {"skipped": str(exc)}
    out = ROOT / "build" / "bench" / "server.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    print(f"wrote {out}")
    return 0


def only_s3() -> int:
    """`--only s3`: just the S3-versus-folder upload figure, to build/bench/server-s3.json."""
    with tempfile.TemporaryDirectory(prefix="fairdesk-bench-") as tmp_name:
        (Path(tmp_name) / "stores").mkdir()
        report = {
            "cpu_count": os.cpu_count(),
            "s3_store": bench_s3_vs_folder(Path(tmp_name) / "stores"),
        }
    print("s3_store", json.dumps(report["s3_store"]), flush=True)
    out = ROOT / "build" / "bench" / "server-s3.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
