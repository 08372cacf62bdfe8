"""Benchmark: the console's case list, search and original download, same run → build/bench/console.json.

An HQ SQLite database with 10,000 cases and 100,000 synced records (per case: the case, a
deadline, two parties, six notes/evidence-like rows) and a change-log row per record.
1. Case list (`queries.list_cases`, everything the console shows: level, fair, next deadline,
   device, last sync) vs one raw SQL statement returning the same columns for all cases:
   `list` is the console page (PAGE_SIZE cases, sorted over all 10,000), `list_all_rows` asks
   for all 10,000 summaries.
2. Search "专利" (two characters: a scan of the case summary) and "专利侵" (three: the FTS5
   trigram index) over the 100,000 records (`queries.list_cases(search=...)`) vs the raw SQL
   substring query on the records' JSON text.
3. Original download (64 MiB) through the console (signed in, over a real uvicorn on 127.0.0.1)
   vs Starlette StaticFiles serving the same bytes from the same kind of server; wall time.
Targets (issue 15): 1 and 2 ≤ 2× raw SQL; 3 ≥ 0.8× static throughput. Medians of alternating
runs after a warm-up; the load average is recorded, the machine is shared.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from sync.server import admin, queries, summary  # noqa: E402
from sync.server.blobstore import LocalBlobStore  # noqa: E402
from sync.server.config import Settings  # noqa: E402
from sync.server.db import migrate, open_database  # noqa: E402
from sync.server.models import ChangeLog, Device, Record  # noqa: E402

N_CASES = 10_000
PER_CASE = 10  # records per case, the case included → 100,000
RUNS = 5
TRIGRAM_TERM = "专利侵"
RAW_LIST = """
SELECT c.entity_id, json_extract(c.fields, '$.title'), json_extract(c.fields, '$.trigger'),
       (SELECT min(json_extract(d.fields, '$.due_at')) FROM records d
         WHERE d.tenant_id = c.tenant_id AND d.case_id = c.entity_id AND d.entity = 'deadline'
           AND d.deleted = 0 AND json_extract(d.fields, '$.done') IS NOT 1),
       (SELECT max(l.server_seq) FROM changes l
         WHERE l.tenant_id = c.tenant_id AND l.case_id = c.entity_id)
FROM records c WHERE c.tenant_id = :t AND c.entity = 'case' AND c.deleted = 0
"""
RAW_SEARCH = """
SELECT DISTINCT case_id FROM records
WHERE tenant_id = :t AND case_id IS NOT NULL AND deleted = 0
  AND lower(CAST(fields AS TEXT)) LIKE :p ESCAPE '!'
"""


def _fill(db_url: str) -> str:
    db = open_database(db_url)
    migrate(db.engine)
    rnd = random.Random(15)
    now = datetime.now(UTC)
    with db.writing() as session:
        tenant = admin.add_tenant(session, "Bench Co", "company", 10**12).id
        device = Device(tenant_id=tenant, role="responder", name="booth", last_mutation_id=0)
        session.add(device)
        session.flush()
        records, changes, seq = [], [], 1
        for i in range(N_CASES):
            case_id = str(uuid.uuid4())
            word = "专利侵权" if i % 10 == 0 else "商标"
            rows: list[tuple[str, str, dict[str, Any]]] = [
                (
                    "case",
                    case_id,
                    {
                        "title": f"Case {i} {word} booth {rnd.randint(1, 900)}",
                        "trigger": rnd.choice(
                            ["warning_letter", "court_order", "copy_spotted", "risk_notice"]
                        ),
                        "direction": "against_us",
                        "status": "open",
                    },
                )
            ]
            due = now + timedelta(hours=rnd.randint(-10, 500))
            rows.append(
                (
                    "deadline",
                    str(uuid.uuid4()),
                    {
                        "case_id": case_id,
                        "what": "Answer",
                        "due_at": due.isoformat(),
                        "done": False,
                    },
                )
            )
            for k in range(2):
                rows.append(
                    (
                        "party",
                        str(uuid.uuid4()),
                        {"case_id": case_id, "role": "complainant", "name": f"Party {i}-{k}"},
                    )
                )
            for k in range(PER_CASE - 4):
                rows.append(
                    (
                        "note",
                        str(uuid.uuid4()),
                        {"case_id": case_id, "text": f"Note {k} on booth {i}"},
                    )
                )
            for entity, entity_id, fields in rows:
                records.append(
                    {
                        "tenant_id": tenant,
                        "entity": entity,
                        "entity_id": entity_id,
                        "case_id": case_id,
                        "version": 1,
                        "fields": fields,
                        "field_versions": {},
                        "deleted": False,
                        "updated_seq": seq,
                    }
                )
                changes.append(
                    {
                        "stream_id": tenant,
                        "server_seq": seq,
                        "tenant_id": tenant,
                        "entity": entity,
                        "entity_id": entity_id,
                        "case_id": case_id,
                        "version": 1,
                        "fields": fields,
                        "deleted": False,
                        "device_id": device.id,
                        "mutation_id": seq,
                        "created_at": now,
                    }
                )
                seq += 1
        session.execute(insert(Record), records)
        session.execute(insert(ChangeLog), changes)
        # Rows inserted directly, not pushed: build the case summary as migration 0010cs does.
        summary.rebuild(session.connection())
    db.dispose()
    return tenant


def _alternating(console: Any, raw: Any) -> tuple[float, float]:
    """Medians of RUNS alternating runs after one warm-up each, in CPU seconds of this process.

    SQLite runs in-process, so CPU time covers the query and the Python around it, while wall
    time on this shared machine mostly measures the other jobs (wall times are noted too).
    """
    console()
    raw()
    times: dict[str, list[float]] = {"console": [], "raw": []}
    for _ in range(RUNS):
        for name, fn in (("console", console), ("raw", raw)):
            start = time.process_time()
            fn()
            times[name].append(time.process_time() - start)
    return statistics.median(times["console"]), statistics.median(times["raw"])


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'hq.sqlite3'}"
        tenant = _fill(url)
        db = open_database(url)
        scope = queries.Scope(tenant)
        flt = queries.CaseFilter(limit=N_CASES)
        with summary.reading(db) as session:
            n_list = len(queries.list_cases(session, scope, flt))
            n_raw = len(session.execute(text(RAW_LIST), {"t": tenant}).all())

            def raw_list() -> Any:
                return session.execute(text(RAW_LIST), {"t": tenant}).all()

            console_all, raw_all = _alternating(
                lambda: queries.list_cases(session, scope, flt), raw_list
            )
            page = queries.CaseFilter(limit=queries.PAGE_SIZE)
            console_page, raw_page = _alternating(
                lambda: queries.list_cases(session, scope, page), raw_list
            )
            sflt = queries.CaseFilter(search="专利", limit=N_CASES)
            n_search = len(queries.list_cases(session, scope, sflt))
            pattern = queries._like_fragment("专利")
            n_raw_search = len(session.execute(text(RAW_SEARCH), {"t": tenant, "p": pattern}).all())
            console_search, raw_search = _alternating(
                lambda: queries.list_cases(session, scope, sflt),
                lambda: session.execute(text(RAW_SEARCH), {"t": tenant, "p": pattern}).all(),
            )
            # Three characters: the trigram index answers (two go to a scan of the summary).
            tflt = queries.CaseFilter(search=TRIGRAM_TERM, limit=N_CASES)
            n_trigram = len(queries.list_cases(session, scope, tflt))
            tpattern = queries._like_fragment(TRIGRAM_TERM)
            n_raw_trigram = len(
                session.execute(text(RAW_SEARCH), {"t": tenant, "p": tpattern}).all()
            )
            console_trigram, raw_trigram = _alternating(
                lambda: queries.list_cases(session, scope, tflt),
                lambda: session.execute(text(RAW_SEARCH), {"t": tenant, "p": tpattern}).all(),
            )
        db.dispose()
    download = bench_download()
    result = {
        "cases": N_CASES,
        "records": N_CASES * PER_CASE,
        "load_average": os.getloadavg(),
        "clock": "CPU seconds of the bench process (process_time), median of alternating runs",
        "list_all_rows": {
            "console_s": console_all,
            "raw_sql_s": raw_all,
            "ratio": console_all / raw_all,
            "rows": [n_list, n_raw],
        },
        "list": {
            "what": f"the console page: {queries.PAGE_SIZE} of {N_CASES} cases, sorted",
            "console_s": console_page,
            "raw_sql_s": raw_page,
            "ratio": console_page / raw_page,
        },
        "search": {
            "console_s": console_search,
            "raw_sql_s": raw_search,
            "ratio": console_search / raw_search,
            "rows": [n_search, n_raw_search],
        },
        "search_trigram": {
            "term": TRIGRAM_TERM,
            "console_s": console_trigram,
            "raw_sql_s": raw_trigram,
            "ratio": console_trigram / raw_trigram,
            "rows": [n_trigram, n_raw_trigram],
        },
        "download": download,
        "target_ratio": 2.0,
    }
    out = ROOT / "build" / "bench" / "console.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


# --- 3. original download vs a plain static-file server ---------------------------------------

DOWNLOAD_MB = 64
DOWNLOAD_RUNS = 7


class _SignallingServer(uvicorn.Server):
    """uvicorn's server that sets an event once its socket listens (no polling of ``started``)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = threading.Event()

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets=sockets)
        self.listening.set()


class _Server:
    """A uvicorn server for `app` on a free 127.0.0.1 port, in a thread (stopped on exit)."""

    def __init__(self, app: Any) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = _SignallingServer(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        if not self.server.listening.wait(timeout=60):
            raise RuntimeError("uvicorn did not start")
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _seed_download(tmp: Path, payload: bytes) -> tuple[Settings, str]:
    """An HQ data folder with a staff user and one case whose evidence item is `payload`."""
    from sync.server.console import auth
    from sync.server.models import Blob, TenantBlob

    settings = Settings(data_dir=tmp / "hq", database_url=f"sqlite:///{tmp / 'dl.sqlite3'}")
    settings.prepare()
    sha = hashlib.sha256(payload).hexdigest()
    store = LocalBlobStore(settings.data_dir / "blobs")
    upload_id = str(uuid.uuid4())
    chunk = store.open_chunk(upload_id, 0)
    chunk.start()
    chunk.write(payload)
    chunk.finish()
    store.promote(upload_id, sha)
    db = open_database(settings.resolved_database_url())
    migrate(db.engine)
    case_id, item_id = str(uuid.uuid4()), str(uuid.uuid4())
    with db.writing() as session:
        tenant = admin.add_tenant(session, "Bench Co", "company", 10**12).id
        user = admin.add_user(session, "Bench Co", "Li Wei", "legal", None)
        auth.set_password(session, user, DL_PASSWORD, False)
        session.add(Blob(sha256=sha, size=len(payload), refcount=1))
        session.add(TenantBlob(tenant_id=tenant, sha256=sha, size=len(payload), refcount=1))
        for entity, entity_id, fields in (
            ("case", case_id, {"title": "Download", "status": "open"}),
            (
                "evidence_item",
                item_id,
                {"case_id": case_id, "sha256": sha, "size": len(payload), "original_name": "a.bin"},
            ),
        ):
            session.add(
                Record(
                    tenant_id=tenant,
                    entity=entity,
                    entity_id=entity_id,
                    case_id=case_id,
                    version=1,
                    fields=fields,
                    field_versions={},
                    deleted=False,
                    updated_seq=1,
                )
            )
    db.dispose()
    return settings, f"/console/cases/{case_id}/evidence/{item_id}/original"


DL_PASSWORD = "correct horse battery staple"


def _sign_in(http: httpx.Client) -> None:
    page = http.get("/console/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf, page.text[:300]
    answer = http.post(
        "/console/login",
        data={
            "csrf": csrf.group(1),
            "tenant": "Bench Co",
            "name": "Li Wei",
            "password": DL_PASSWORD,
            "code": "",
        },
    )
    assert answer.status_code in (200, 303), answer.text[:300]


def _download(http: httpx.Client, path: str, sha: str, size: int) -> float:
    digest = hashlib.sha256()
    start = time.perf_counter()
    with http.stream("GET", path) as answer:
        assert answer.status_code == 200, answer.status_code
        for block in answer.iter_raw(1024 * 1024):
            digest.update(block)
    took = time.perf_counter() - start
    assert digest.hexdigest() == sha, "wrong bytes"
    if "x-content-sha256" in answer.headers:
        assert answer.headers["x-content-sha256"] == sha
    assert int(answer.headers["content-length"]) == size
    return took


def bench_download() -> dict[str, Any]:
    """Alternating runs: the console's original download vs Starlette StaticFiles (same bytes,
    same uvicorn, same client, both hashed while reading). Throughput ratio = static / console."""
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    from sync.server.app import create_app
    from sync.server.console import web

    # Plain HTTP on 127.0.0.1 as in the console tests: `__Host-`/Secure cookies need TLS.
    os.environ[web.INSECURE_ENV] = "1"
    payload = random.Random(3).randbytes(DOWNLOAD_MB * 1024 * 1024)
    sha = hashlib.sha256(payload).hexdigest()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        settings, path = _seed_download(tmp, payload)
        static_dir = tmp / "static"
        static_dir.mkdir()
        (static_dir / "a.bin").write_bytes(payload)
        del payload
        app = create_app(settings)
        static_app = Starlette(routes=[Mount("/s", StaticFiles(directory=static_dir))])
        console_t: list[float] = []
        static_t: list[float] = []
        with (
            _Server(app) as console_url,
            _Server(static_app) as static_url,
            httpx.Client(base_url=console_url, timeout=60) as c,
            httpx.Client(base_url=static_url, timeout=60) as s,
        ):
            _sign_in(c)
            size = DOWNLOAD_MB * 1024 * 1024
            answer = c.get(path)
            assert answer.headers["x-content-sha256"] == sha
            _download(s, "/s/a.bin", sha, size)
            for _ in range(DOWNLOAD_RUNS):
                console_t.append(_download(c, path, sha, size))
                static_t.append(_download(s, "/s/a.bin", sha, size))
        app.state.db.dispose()
    console_s, static_s = statistics.median(console_t), statistics.median(static_t)
    return {
        "bytes": DOWNLOAD_MB * 1024 * 1024,
        "console_s": console_s,
        "static_s": static_s,
        "throughput_ratio": static_s / console_s,
        "target_ratio": 0.8,
    }


if __name__ == "__main__":
    raise SystemExit(main())
