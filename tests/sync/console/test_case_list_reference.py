"""The fast case list (one SQL statement, page-only summaries) gives exactly the answers of a
straightforward reference: every record read in Python, deadlines and last sync worked out
case by case. A few hundred generated cases with the awkward bits: several deadlines per case,
done and deleted deadlines, due dates in other UTC offsets, cases without deadlines or without
a device change, level overrides, catalogue and synced fairs, Chinese text, a guidance centre.
Runs on SQLite and PostgreSQL (`hq_db_url`).
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from sync.server import admin, queries, summary
from sync.server.db import migrate, open_database
from sync.server.models import ChangeLog, Device, Escalation, Record

N_CASES = 300
WORDS = ["专利侵权", "商标", "Hydraulikpumpe", "booth", "Muster"]


def _fill(session: Session) -> tuple[str, str]:
    rnd = random.Random(1515)
    now = datetime.now(UTC)
    tenant = admin.add_tenant(session, "Ref Co", "company", 10**9).id
    other = admin.add_tenant(session, "Other Co", "company", 10**9).id
    centre = admin.add_tenant(session, "Centre", "guidance", 10**9).id
    devices = []
    for name in ("booth", "hq laptop"):
        device = Device(tenant_id=tenant, role="responder", name=name, last_mutation_id=0)
        session.add(device)
        devices.append(device)
    session.flush()
    fair_id = str(uuid.uuid4())
    catalogue_id = next(iter(queries.catalogue_fairs()))
    records: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    seq = 1

    def add(
        owner: str, entity: str, case_id: str | None, fields: dict[str, Any], **kw: Any
    ) -> None:
        nonlocal seq
        entity_id = kw.get("entity_id") or str(uuid.uuid4())
        deleted = bool(kw.get("deleted"))
        records.append(
            {
                "tenant_id": owner,
                "entity": entity,
                "entity_id": entity_id,
                "case_id": case_id,
                "version": 1,
                "fields": fields,
                "field_versions": {},
                "deleted": deleted,
                "updated_seq": seq,
            }
        )
        if kw.get("log", True):
            changes.append(
                {
                    "stream_id": owner,
                    "server_seq": seq,
                    "tenant_id": owner,
                    "entity": entity,
                    "entity_id": entity_id,
                    "case_id": case_id,
                    "version": 1,
                    "fields": fields,
                    "deleted": deleted,
                    "device_id": kw.get("device"),
                    "mutation_id": seq,
                    "created_at": now - timedelta(minutes=rnd.randint(0, 5000)),
                }
            )
        seq += 1

    add(
        tenant,
        "fair",
        None,
        {"name": "Own Fair", "country": "DE", "time_zone": "Asia/Tokyo"},
        entity_id=fair_id,
        device=devices[0].id,
    )
    for i in range(N_CASES):
        owner = other if i % 17 == 0 else tenant
        case_id = str(uuid.uuid4())
        fields: dict[str, Any] = {
            "number": f"C-{i}",
            "title": f"{rnd.choice(WORDS)} {rnd.randint(1, 9)}",
            "trigger": rnd.choice(
                ["warning_letter", "court_order", "copy_spotted", "risk_notice", "complaint"]
            ),
            "direction": rnd.choice(["against_us", "ours"]),
            "status": rnd.choice(["open", "open", "settled", "closed"]),
            "fair_id": rnd.choice([fair_id, catalogue_id, None, str(uuid.uuid4())]),
        }
        if i % 11 == 0:
            fields["level_override"] = rnd.choice(["red", "yellow", "blue"])
        # Log 1 in 9 cases with no device (an HQ-side edit) and 1 in 13 not at all.
        author = None if i % 9 == 0 else rnd.choice(devices).id
        add(owner, "case", case_id, fields, entity_id=case_id, device=author, log=i % 13 != 0)
        for _k in range(rnd.randint(0, 4)):
            zone = timezone(timedelta(hours=rnd.choice([0, 1, 8, -5])))
            due = (now + timedelta(minutes=rnd.randint(-600, 60 * 24 * 20))).astimezone(zone)
            text = due.isoformat() if rnd.random() < 0.8 else due.strftime("%Y-%m-%dT%H:%M:%S")
            add(
                owner,
                "deadline",
                case_id,
                {"case_id": case_id, "what": "Antwort", "due_at": text, "done": rnd.random() < 0.3},
                deleted=rnd.random() < 0.1,
                device=rnd.choice([*(d.id for d in devices), None]),
            )
        for _k in range(rnd.randint(0, 3)):
            add(
                owner,
                "note",
                case_id,
                {"case_id": case_id, "text": f"{rnd.choice(WORDS)} note {i}"},
                deleted=rnd.random() < 0.1,
                device=devices[0].id,
            )
        if i % 5 == 0:
            session.add(
                Escalation(
                    tenant_id=owner, case_id=case_id, guidance_tenant_id=centre, server_seq=seq
                )
            )
    session.execute(insert(Record), records)
    session.execute(insert(ChangeLog), changes)
    return tenant, centre


def _reference(session: Session, scope: queries.Scope, flt: queries.CaseFilter) -> list[Any]:
    """The list worked out the plain way, as (id, level, rule, status, due UTC, last sync)."""
    everything = session.scalars(select(Record)).all()
    log = session.scalars(select(ChangeLog).order_by(ChangeLog.server_seq)).all()
    if scope.is_guidance:
        allowed = {
            (e.tenant_id, e.case_id)
            for e in session.scalars(select(Escalation)).all()
            if e.guidance_tenant_id == scope.tenant_id
        }
    else:
        allowed = {(r.tenant_id, r.entity_id) for r in everything if r.tenant_id == scope.tenant_id}
    fairs = {
        (r.tenant_id, r.entity_id): r.fields
        for r in everything
        if r.entity == "fair" and not r.deleted
    }
    terms = queries.search_terms(flt.search)
    now = datetime.now(UTC)
    out = []
    for case in everything:
        key = (case.tenant_id, case.entity_id)
        if case.entity != "case" or case.deleted or key not in allowed:
            continue
        mine = [r for r in everything if (r.tenant_id, r.case_id) == key and not r.deleted]
        if terms and not all(
            any(queries._values_contain(r.fields, t) for r in mine) for t in terms
        ):
            continue
        dues = [
            queries._parse_utc(r.fields.get("due_at"))
            for r in mine
            if r.entity == "deadline" and not r.fields.get("done")
        ]
        open_due = [d for d in dues if d is not None]
        computed, rule = queries.assess(case.fields.get("trigger"), open_due, now)
        level = str(case.fields.get("level_override") or computed)
        status = str(case.fields.get("status") or "open")
        fair = queries.fair_fields(fairs, case.tenant_id, case.fields.get("fair_id"))
        if flt.level and level != flt.level:
            continue
        if flt.open_only and status in ("settled", "closed"):
            continue
        if flt.country and (fair.get("country") or "").upper() != flt.country.upper():
            continue
        by_device = [c for c in log if (c.tenant_id, c.case_id) == key and c.device_id]
        last = by_device[-1] if by_device else None
        due = min(open_due) if open_due else None
        out.append(
            (
                (
                    queries.LEVEL_ORDER.get(level, 3),
                    due or datetime.max.replace(tzinfo=UTC),
                    str(case.fields.get("title") or ""),
                    case.entity_id,
                ),
                (
                    case.entity_id,
                    level,
                    rule,
                    status,
                    due.isoformat() if due else None,
                    last.device_id if last else None,
                ),
            )
        )
    out.sort(key=lambda pair: pair[0])
    return [row for _key, row in out[: flt.limit]]


def _fast(session: Session, scope: queries.Scope, flt: queries.CaseFilter) -> list[Any]:
    return [
        (c["id"], c["level"], c["level_rule"], c["status"], c["next_deadline_utc"], c["device_id"])
        for c in queries.list_cases(session, scope, flt)
    ]


def test_list_and_search_equal_the_reference(hq_db_url: str) -> None:
    db = open_database(hq_db_url)
    try:
        migrate(db.engine)
        with db.writing() as session:
            tenant, centre = _fill(session)
            # Rows inserted behind the push path's back: the migration's backfill builds the
            # summary (the push path is checked by the next test).
            summary.rebuild(session.connection())
        filters = [
            queries.CaseFilter(limit=1000),
            queries.CaseFilter(limit=25),
            queries.CaseFilter(level="red", limit=1000),
            queries.CaseFilter(open_only=True, country="de", limit=1000),
            queries.CaseFilter(search="专利", limit=1000),
            queries.CaseFilter(search="booth 3", limit=1000),
            queries.CaseFilter(search="hydraulikpumpe note", limit=1000),
            queries.CaseFilter(search="title", limit=1000),  # a key, never a match
        ]
        with db.reading() as session:
            for scope in (queries.Scope(tenant), queries.Scope(centre, is_guidance=True)):
                for flt in filters:
                    expected = _reference(session, scope, flt)
                    assert _fast(session, scope, flt) == expected, (scope, flt)
                assert _reference(session, scope, filters[0])  # the data is not empty
            assert _reference(session, queries.Scope(tenant), filters[4])
            # A case page shows the same summary as its list row.
            listed = queries.list_cases(session, queries.Scope(tenant), filters[0])
            for row in listed[:20]:
                page = queries.show_case(session, queries.Scope(tenant), row["id"])
                assert {k: page[k] for k in row if k not in ("fair",)} == {
                    k: row[k] for k in row if k != "fair"
                }
    finally:
        db.dispose()
