"""Phone intake benchmark → build/bench/intake.json (ratios against a baseline from the same run).

1. Throughput to the vault: 20 camera-like ~5 MB JPEGs and one ~30 MB video sent over HTTPS on
   127.0.0.1 through the intake protocol (announce, 8 MiB chunks, the phone's SHA-256 checked
   on arrival, then the evidence importer: vault with fsync, metadata, thumbnail, custody,
   outbox) vs a plain HTTPS upload of the same files (one PUT each, written to a file) to a
   bare stdlib server with the same kind of certificate. Client: ``requests`` for both, and,
   when Chromium is installed, the real phone page in headless Chromium for the intake side.
   Target: intake ≥ 0.8× the bare upload. A second reference is a local import of the same
   files (no network): the intake runs that very importer, so its throughput is the ceiling.
2. GUI stall while receiving: the Evidence tab and the "Receive from phones" window open on
   the case, a 5 ms QTimer heartbeat in the GUI thread, a client thread sending the files;
   the longest gap between beats, next to an idle baseline (same window, nothing sent).
   Target ≤ 50 ms.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_intake.py
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import requests  # noqa: E402

from fairdesk import cases  # noqa: E402
from fairdesk.evidence.vocab import ImportStatus  # noqa: E402
from fairdesk.intake.certs import make_certificate  # noqa: E402
from fairdesk.intake.server import IntakeServer  # noqa: E402
from fairdesk.intake.session import IntakeSession  # noqa: E402
from fairdesk.model import Direction, Trigger  # noqa: E402
from fairdesk.store import Store, open_store  # noqa: E402

OUT = ROOT / "build" / "bench"
CHUNK = 8 << 20
PHOTOS = int(os.environ.get("BENCH_INTAKE_PHOTOS", "20"))


def make_files(folder: Path) -> list[Path]:
    """20 camera-like 4000×3000 JPEGs with EXIF (~5 MB, noisy; unique bytes per file) and a
    ~30 MB MP4-type video (an ``ftyp`` header and noise: stored as a video, not decoded)."""
    from tests.bench import bench_evidence

    bench_evidence.OUT.mkdir(parents=True, exist_ok=True)
    bases = [bench_evidence._base(i) for i in range(4)]
    paths = []
    for index in range(PHOTOS):
        data = bases[index % len(bases)]
        comment = f"intake bench photo {index}".encode()
        segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
        path = folder / f"IMG_{index:04d}.JPG"
        path.write_bytes(data[:2] + segment + data[2:])
        paths.append(path)
    video = folder / "VID_0001.MP4"
    header = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    video.write_bytes(header + os.urandom(30 << 20))
    paths.append(video)
    return paths


# -- the bare baseline server ------------------------------------------------------------------


class _Bare(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    target: Path

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def do_PUT(self) -> None:
        left = int(self.headers["Content-Length"])
        name = self.path.rsplit("/", 1)[-1]
        with open(self.target / name, "wb") as out:
            while left:
                block = self.rfile.read(min(1 << 20, left))
                if not block:
                    return
                out.write(block)
                left -= len(block)
            out.flush()
            os.fsync(out.fileno())
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def bare_server(target: Path) -> tuple[ThreadingHTTPServer, Path]:
    cert = make_certificate("127.0.0.1")
    _Bare.target = target
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Bare)
    server.socket = cert.server_context().wrap_socket(server.socket, server_side=True)
    pem = target.parent / "bare.pem"
    pem.write_bytes(cert.cert_pem)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, pem


def upload_bare(files: list[Path], port: int, pem: Path) -> float:
    http = requests.Session()
    http.trust_env = False
    http.verify = str(pem)
    start = time.perf_counter()
    for path in files:
        with open(path, "rb") as handle:
            response = http.put(f"https://127.0.0.1:{port}/{path.name}", data=handle, timeout=120)
        response.raise_for_status()
    return time.perf_counter() - start


# -- the intake, as the phone page speaks to it --------------------------------------------------


def upload_intake(files: list[Path], server: IntakeServer, pem: Path) -> float:
    http = requests.Session()
    http.trust_env = False
    http.verify = str(pem)
    base = server.url.rstrip("/")
    start = time.perf_counter()
    key = http.post(f"{base}/api/pair", json={"token": server.session.token}, timeout=30).json()[
        "key"
    ]
    auth = {"Authorization": f"Bearer {key}"}
    pending = []
    for path in files:
        data = path.read_bytes()  # the page reads the file to hash it, too
        sha = hashlib.sha256(data).hexdigest()
        state = http.post(
            f"{base}/api/uploads",
            json={"name": path.name, "size": len(data), "sha256": sha},
            headers=auth,
            timeout=30,
        ).json()
        while state["offset"] < len(data):
            offset = state["offset"]
            state = http.put(
                f"{base}/api/uploads/{state['id']}",
                data=data[offset : offset + CHUNK],
                headers={**auth, "Upload-Offset": str(offset)},
                timeout=120,
            ).json()
        pending.append(state["id"])  # like the page: the next file goes while this one is stored
    for upload_id in pending:
        state = http.get(f"{base}/api/uploads/{upload_id}?wait=1", headers=auth, timeout=120).json()
        while state["result"] is None:
            state = http.get(
                f"{base}/api/uploads/{upload_id}?wait=1", headers=auth, timeout=120
            ).json()
        assert state["result"]["status"] == ImportStatus.IMPORTED, state
    return time.perf_counter() - start


def upload_browser(files: list[Path], server: IntakeServer) -> float | None:
    if not (shutil.which("chromium") and os.path.exists("/usr/bin/chromedriver")):
        return None
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.fairdesk.intake.browser import phone_browser

    with phone_browser("en-US") as driver:
        driver.get(server.pairing_url)
        WebDriverWait(driver, 60).until(
            lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-paired") == "yes"
        )
        start = time.perf_counter()
        driver.find_element(By.ID, "pick").send_keys("\n".join(str(p) for p in files))
        WebDriverWait(driver, 900, poll_frequency=0.05).until(
            lambda d: d.execute_script(
                "var li = document.querySelectorAll('#files li');"
                f"return li.length === {len(files)} && Array.from(li).every("
                "function (x) { return x.getAttribute('data-state') === 'done'; });"
            )
        )
        return time.perf_counter() - start


def new_store(folder: Path) -> tuple[Store, str]:
    store = open_store(folder)
    case_id = cases.create_case(
        store,
        cases.CaseInput(title="Bench", direction=Direction.BY_US, trigger=Trigger.COPY_SPOTTED),
    )
    return store, case_id


def start_intake(store: Store, case_id: str, work: Path) -> tuple[IntakeServer, Path]:
    server = IntakeServer(IntakeSession(store, case_id), "127.0.0.1", 0)
    pem = work / f"intake-{server.port}.pem"
    pem.write_bytes(server.certificate.cert_pem)
    return server, pem


def bench_throughput(files: list[Path], work: Path) -> dict[str, Any]:
    total = sum(p.stat().st_size for p in files)
    results: dict[str, Any] = {"files": len(files), "bytes": total}
    bare_dir = work / "bare"
    bare_dir.mkdir()
    server, pem = bare_server(bare_dir)
    bare_s = min(upload_bare(files, server.server_address[1], pem) for _ in range(2))
    server.shutdown()
    server.server_close()
    intake_runs = []
    for run in range(2):
        store, case_id = new_store(work / f"intake-{run}")
        intake, ipem = start_intake(store, case_id, work)
        intake_runs.append(upload_intake(files, intake, ipem))
        intake.close()
        store.close()
    intake_s = min(intake_runs)
    # Second reference: the same files imported from disk (no network at all). The intake
    # runs this very importer, so it cannot be faster than this.
    from fairdesk.evidence import service

    store, case_id = new_store(work / "local")
    start = time.perf_counter()
    report = service.import_paths(store, case_id, [str(p) for p in files])
    local_s = time.perf_counter() - start
    assert report.imported == len(files)
    store.close()
    mb = total / (1 << 20)
    results["bare_https_s"] = round(bare_s, 3)
    results["bare_https_mb_s"] = round(mb / bare_s, 1)
    results["intake_requests_s"] = round(intake_s, 3)
    results["intake_requests_mb_s"] = round(mb / intake_s, 1)
    results["ratio_requests"] = round(bare_s / intake_s, 3)
    results["local_import_s"] = round(local_s, 3)
    results["local_import_mb_s"] = round(mb / local_s, 1)
    results["intake_requests_vs_local_import"] = round(local_s / intake_s, 3)
    store, case_id = new_store(work / "intake-browser")
    intake, _pem = start_intake(store, case_id, work)
    browser_s = upload_browser(files, intake)
    intake.close()
    store.close()
    if browser_s is not None:
        results["intake_browser_s"] = round(browser_s, 3)
        results["intake_browser_mb_s"] = round(mb / browser_s, 1)
        results["ratio_browser"] = round(bare_s / browser_s, 3)
        results["intake_browser_vs_local_import"] = round(local_s / browser_s, 3)
    results["target_ratio"] = 0.8
    return results


def bench_gui_stall(files: list[Path], work: Path) -> dict[str, Any]:
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QMetaObject, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from ui.evidence.panel import EvidencePanel

    _app = QApplication.instance() or QApplication([])  # kept alive for the whole bench
    store, case_id = new_store(work / "gui")
    panel = EvidencePanel(store, case_id)
    panel.resize(1280, 800)
    panel.show()
    dialog = panel.open_intake()
    dialog.network.setCurrentIndex(dialog.network.findData("127.0.0.1"))
    dialog.start_button.click()
    server = dialog.server
    assert server is not None
    pem = work / "gui.pem"
    pem.write_bytes(server.certificate.cert_pem)

    def measure(busy: threading.Thread | None, idle_ms: int = 3000) -> list[float]:
        gaps: list[float] = []
        clock = QElapsedTimer()
        clock.start()
        beats: list[float] = []
        timer = QTimer()
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.timeout.connect(lambda: beats.append(clock.nsecsElapsed() / 1e6))
        timer.start(5)
        # A real event loop, as the app runs: it ends after idle_ms, or when the sender is
        # done (the thread posts the quit to this loop itself).
        loop = QEventLoop()
        if busy is None:
            QTimer.singleShot(idle_ms, loop.quit)
        else:
            work = busy.run

            def run_then_quit() -> None:
                try:
                    work()
                finally:
                    QMetaObject.invokeMethod(loop, "quit", Qt.ConnectionType.QueuedConnection)

            busy.run = run_then_quit  # type: ignore[method-assign]
            busy.start()
        loop.exec()
        timer.stop()
        gaps = [b - a for a, b in pairwise(beats)]
        return gaps

    idle = measure(None)
    sender = threading.Thread(target=upload_intake, args=(files, server, pem))
    busy = measure(sender)
    # Let the gallery's last reload land before closing.
    model = panel.gallery.model()
    if model.rowCount() < len(files):
        settled = QEventLoop()

        def check() -> None:
            if model.rowCount() >= len(files):
                settled.quit()

        model.rowsInserted.connect(check)
        model.modelReset.connect(check)
        model.layoutChanged.connect(check)
        QTimer.singleShot(30_000, settled.quit)  # give up: the figure says how many arrived
        settled.exec()
    shown = panel.gallery.model().rowCount()
    dialog.close()
    if dialog.last_server is not None:
        dialog.last_server.wait_closed(10)
    panel.close()
    store.close()

    def figures(gaps: list[float]) -> dict[str, float]:
        ordered = sorted(gaps)
        return {
            "longest_ms": round(ordered[-1], 1) if ordered else 0.0,
            "p99_ms": round(ordered[int(len(ordered) * 0.99)], 1) if ordered else 0.0,
            "beats": len(gaps),
        }

    return {
        "receiving": figures(busy),
        "idle_baseline": figures(idle),
        "gallery_rows_after": shown,
        "target_longest_ms": 50,
    }


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="fairdesk-bench-intake-"))
    try:
        files_dir = work / "files"
        files_dir.mkdir()
        files = make_files(files_dir)
        result = {
            "throughput": bench_throughput(files, work),
            "gui_stall": bench_gui_stall(files, work),
            "cpu_count": os.cpu_count(),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    (OUT / "intake.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
