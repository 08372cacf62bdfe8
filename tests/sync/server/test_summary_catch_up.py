"""The case summary follows pushes by catching up before it is read, not inside each push.

A push only appends to the change log and moves its stream's head; `summary.catch_up` then
recomputes, once, every case the pushes since the last catch-up touched, and moves the stream's
`summary_seq` to the head. On PostgreSQL several catch-ups at once (console requests on several
workers) must neither fail nor leave a different summary than one would. The property test in
tests/sync/console/test_case_list_reference.py checks the result against a full recomputation
after random pushes; this file checks the mechanism.
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from sync.protocol import Mutation, PushRequest
from sync.server import admin, queries, summary
from sync.server.config import Settings
from sync.server.db import Database, migrate, open_database
from sync.server.deps import Caller
from sync.server.models import CaseSummary, Device, TenantSequence
from sync.server.push import apply_push


class _Device:
    """One responder laptop of a fresh tenant, pushing through the real push path."""

    def __init__(self, db: Database, settings: Settings, tenant_name: str) -> None:
        self.db, self.settings = db, settings
        with db.writing() as session:
            self.tenant = admin.add_tenant(session, tenant_name, "company", 10**9).id
            device = Device(tenant_id=self.tenant, role="responder", name="booth")
            device.last_mutation_id = 0
            session.add(device)
            session.flush()
            self.caller = Caller(device.id, self.tenant, "company", "responder", None)
        self.next_id = 1

    def push(self, *changes: tuple[str, str, str, dict[str, Any]]) -> None:
        mutations = []
        for entity, entity_id, op, fields in changes:
            mutations.append(
                Mutation(
                    mutation_id=self.next_id,
                    entity=entity,
                    entity_id=entity_id,
                    op=op,  # type: ignore[arg-type]
                    base_version=1 if op == "update" else None,
                    changes=fields,
                )
            )
            self.next_id += 1
        answer = apply_push(
            self.db,
            self.settings,
            self.caller,
            PushRequest(device_id=self.caller.device_id, mutations=mutations),
        )
        assert [r.status for r in answer.results] == ["applied"] * len(mutations), answer


def _case(title: str) -> dict[str, Any]:
    return {"title": title, "trigger": "complaint", "direction": "against_us", "status": "open"}


def _summaries(db: Database) -> dict[tuple[str, str], str]:
    with db.reading() as session:
        return {
            (row.tenant_id, row.case_id): row.search_text
            for row in session.scalars(select(CaseSummary))
        }


def _cursors(db: Database) -> dict[str, tuple[int, int]]:
    with db.reading() as session:
        return {
            row.tenant_id: (row.summary_seq, row.value)
            for row in session.scalars(select(TenantSequence))
        }


def _open(hq_db_url: str, tmp_path: Path) -> tuple[Database, Settings]:
    db = open_database(hq_db_url)
    migrate(db.engine)
    return db, Settings(data_dir=tmp_path / "hq", database_url=hq_db_url)


def test_pushes_leave_the_summary_to_the_next_reader(hq_db_url: str, tmp_path: Path) -> None:
    db, settings = _open(hq_db_url, tmp_path)
    try:
        laptop = _Device(db, settings, "Catch Co")
        case_id = str(uuid.uuid4())
        laptop.push(("case", case_id, "insert", _case("Hydraulikpumpe")))
        for n in range(3):
            laptop.push(
                ("note", str(uuid.uuid4()), "insert", {"case_id": case_id, "text": f"note {n}"})
            )
        # The pushes wrote no summary row; the stream's cursor is behind its head.
        assert _summaries(db) == {}
        done, head = _cursors(db)[laptop.tenant]
        assert done == 0 < head

        summary.catch_up(db)
        text = _summaries(db)[(laptop.tenant, case_id)]
        assert "hydraulikpumpe" in text and "note 2" in text
        assert _cursors(db)[laptop.tenant] == (head, head)

        # Exactly what a full recomputation gives.
        with db.writing() as session:
            summary.rebuild(session.connection())
        assert _summaries(db)[(laptop.tenant, case_id)] == text

        # The console's list reads through the same catch-up: an edit shows after one read.
        laptop.push(("case", case_id, "update", {"title": "Renamed"}))
        with summary.reading(db) as session:
            listed = queries.list_cases(session, queries.Scope(laptop.tenant), queries.CaseFilter())
        assert [c["title"] for c in listed] == ["Renamed"]
    finally:
        db.dispose()


def _catch_up_at_once(db: Database, readers: int) -> list[BaseException]:
    """`readers` threads released together, each catching up; what they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(readers)

    def read() -> None:
        try:
            start.wait()
            summary.catch_up(db)
        except BaseException as exc:  # reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_catch_ups_at_once_agree(hq_db_url: str, tmp_path: Path) -> None:
    """Readers on several threads (several workers, on PostgreSQL) catch up together."""
    db, settings = _open(hq_db_url, tmp_path)
    try:
        laptops = [_Device(db, settings, f"Co {n}") for n in range(3)]
        for round_no in range(3):
            for n, laptop in enumerate(laptops):
                laptop.push(
                    *(
                        ("case", str(uuid.uuid4()), "insert", _case(f"{n}-{round_no}-{k}"))
                        for k in range(5)
                    )
                )
            errors = _catch_up_at_once(db, readers=4)
            assert errors == [], (round_no, errors)
            assert all(done == head for done, head in _cursors(db).values())
            with db.reading() as session:
                rows = session.scalar(select(func.count()).select_from(CaseSummary))
            assert rows == 3 * 5 * (round_no + 1)
        caught_up = _summaries(db)
        with db.writing() as session:
            summary.rebuild(session.connection())
        assert _summaries(db) == caught_up
    finally:
        db.dispose()
