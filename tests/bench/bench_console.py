"""Benchmark: the console's case list and search vs raw SQL, same run → build/bench/console.json.

An HQ SQLite database with 10,000 cases and 100,000 synced records (per case: the case, a
deadline, two parties, six notes/evidence-like rows) and a change-log row per record.
1. Case list (`queries.list_cases`, everything the console shows: level, fair, next deadline,
   device, last sync) vs one raw SQL statement returning the same columns.
2. Search "专利" over the 100,000 records (`queries.list_cases(search=...)`) vs the raw SQL
   substring query on the same JSON text.
Target (issue 15): each ≤ 2× its raw SQL. Median of 5 runs after one warm-up.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from sync.server import admin, queries  # noqa: E402
from sync.server.db import migrate, open_database  # noqa: E402
from sync.server.models import ChangeLog, Device, Record  # noqa: E402

N_CASES = 10_000
PER_CASE = 10  # records per case, the case included → 100,000
RUNS = 5
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
    db.dispose()
    return tenant


def _median(fn: object) -> float:
    assert callable(fn)
    fn()
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'hq.sqlite3'}"
        tenant = _fill(url)
        db = open_database(url)
        scope = queries.Scope(tenant)
        flt = queries.CaseFilter(limit=N_CASES)
        with db.reading() as session:
            n_list = len(queries.list_cases(session, scope, flt))
            n_raw = len(session.execute(text(RAW_LIST), {"t": tenant}).all())
            console_list = _median(lambda: queries.list_cases(session, scope, flt))
            raw_list = _median(lambda: session.execute(text(RAW_LIST), {"t": tenant}).all())
            sflt = queries.CaseFilter(search="专利", limit=N_CASES)
            n_search = len(queries.list_cases(session, scope, sflt))
            pattern = queries._like_fragment("专利")
            n_raw_search = len(session.execute(text(RAW_SEARCH), {"t": tenant, "p": pattern}).all())
            console_search = _median(lambda: queries.list_cases(session, scope, sflt))
            raw_search = _median(
                lambda: session.execute(text(RAW_SEARCH), {"t": tenant, "p": pattern}).all()
            )
        db.dispose()
    result = {
        "cases": N_CASES,
        "records": N_CASES * PER_CASE,
        "list": {
            "console_s": console_list,
            "raw_sql_s": raw_list,
            "ratio": console_list / raw_list,
            "rows": [n_list, n_raw],
        },
        "search": {
            "console_s": console_search,
            "raw_sql_s": raw_search,
            "ratio": console_search / raw_search,
            "rows": [n_search, n_raw_search],
        },
        "target_ratio": 2.0,
    }
    out = ROOT / "build" / "bench" / "console.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
