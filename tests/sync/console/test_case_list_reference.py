"""The fast case list (one SQL statement, page-only summaries) gives exactly the answers of a
straightforward reference: every record read in Python, deadlines and last sync worked out
case by case. A few hundred generated cases with the awkward bits: several deadlines per case,
done and deleted deadlines, due dates in other UTC offsets, cases without deadlines or without
a device change, level overrides, catalogue and synced fairs, Chinese text, a guidance centre.
Runs on SQLite and PostgreSQL (`hq_db_url`). The second test drives the real push path with
random pushes, edits, deletes, fair renames and escalations and checks the summary table against
the reference and against a full rebuild after every round.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from sync.protocol import Mutation, PushRequest
from sync.server import admin, queries, situation, summary
from sync.server.config import Settings
from sync.server.db import migrate, open_database
from sync.server.deps import Caller
from sync.server.models import CaseSummary, ChangeLog, Device, Escalation, Record
from sync.server.push import apply_push

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
    ex_parte = {r.tenant_id: queries.ex_parte_countries(session, r.tenant_id) for r in everything}
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
        fair = queries.fair_fields(fairs, case.tenant_id, case.fields.get("fair_id"))
        # The situation in force (its port is checked against devices in test_hq_levels.py).
        reading = situation.read(
            case.fields, str(fair.get("country") or ""), [(r.entity, r.fields) for r in mine]
        )
        trigger = reading.rule_trigger if reading else case.fields.get("trigger")
        floor = bool(reading and reading.floor_country in ex_parte[case.tenant_id])
        computed, rule = queries.assess(trigger, open_due, now, floor)
        level = str(case.fields.get("level_override") or computed)
        status = str(case.fields.get("status") or "open")
        if flt.level and level != flt.level:
            continue
        if flt.open_only and status in ("settled", "closed"):
            continue
        if flt.country and (fair.get("country") or "").upper() != flt.country.upper():
            continue
        by_device = [
            c
            for c in log
            # The tenant's own stream: a guidance centre's stream holds renumbered copies.
            if (c.stream_id, c.tenant_id, c.case_id) == (key[0], *key) and c.device_id
        ]
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


def _fast(
    session: summary.SummarySession, scope: queries.Scope, flt: queries.CaseFilter
) -> list[Any]:
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
        with summary.reading(db) as session:
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


def _snapshot(session: Session) -> list[tuple[Any, ...]]:
    rows = session.execute(select(CaseSummary).order_by(CaseSummary.tenant_id, CaseSummary.case_id))
    return [
        tuple(getattr(r, c.key) for c in CaseSummary.__table__.columns if c.key != "id")
        for (r,) in rows
    ]


def test_summary_follows_random_pushes_edits_deletes_and_escalations(
    hq_db_url: str, tmp_path: Any
) -> None:
    """Through the real push path: after every round the list equals the reference, and the
    summary table equals a full rebuild from the records (fair renames, deletes included)."""
    settings = Settings(data_dir=tmp_path / "hq", database_url=hq_db_url)
    db = open_database(hq_db_url)
    rnd = random.Random(1516)
    now = datetime.now(UTC)
    try:
        migrate(db.engine)
        with db.writing() as session:
            tenant = admin.add_tenant(session, "Push Co", "company", 10**9).id
            centre = admin.add_tenant(session, "Push Centre", "guidance", 10**9).id
            devices = [
                Device(tenant_id=tenant, role="responder", name=n, last_mutation_id=0)
                for n in ("booth", "lawyer")
            ]
            session.add_all(devices)
            session.flush()
            callers = [Caller(d.id, tenant, "company", "responder", None) for d in devices]
        next_id = {c.device_id: 1 for c in callers}
        versions: dict[str, tuple[str, int]] = {}  # entity_id -> (entity, version)
        cases: list[str] = []
        fairs: list[str] = [next(iter(queries.catalogue_fairs()))]
        children: dict[str, list[str]] = {}

        def mutation(
            caller: Caller, entity: str, entity_id: str, op: str, **changes: Any
        ) -> Mutation:
            base = versions.get(entity_id, (entity, 0))[1] if op != "insert" else None
            m = Mutation(
                mutation_id=next_id[caller.device_id],
                entity=entity,
                entity_id=entity_id,
                op=op,  # type: ignore[arg-type]
                base_version=base,
                changes=changes,
            )
            next_id[caller.device_id] += 1
            return m

        def push(caller: Caller, batch: list[Mutation]) -> None:
            answer = apply_push(
                db, settings, caller, PushRequest(device_id=caller.device_id, mutations=batch)
            )
            for m, result in zip(batch, answer.results, strict=True):
                assert result.status == "applied", (m, result)
                versions[m.entity_id] = (m.entity, result.version or 0)

        def random_mutation(caller: Caller) -> Mutation:
            kind = rnd.random()
            if not cases or kind < 0.2:
                case_id = str(uuid.uuid4())
                cases.append(case_id)
                children[case_id] = []
                return mutation(
                    caller,
                    "case",
                    case_id,
                    "insert",
                    title=f"{rnd.choice(WORDS)} {len(cases)}",
                    trigger=rnd.choice(
                        ["warning_letter", "court_order", "copy_spotted", "risk_notice"]
                    ),
                    direction="against_us",
                    status="open",
                    fair_id=rnd.choice([*fairs, None]),
                )
            case_id = rnd.choice(cases)
            if kind < 0.35:
                return mutation(
                    caller,
                    "case",
                    case_id,
                    "update",
                    **rnd.choice(
                        [
                            {"title": f"{rnd.choice(WORDS)} edited"},
                            {"trigger": rnd.choice(["complaint", "seizure", "risk_notice"])},
                            {"level_override": rnd.choice(["red", "blue", None])},
                            {"status": rnd.choice(["open", "closed", "settled"])},
                            {"fair_id": rnd.choice([*fairs, None])},
                        ]
                    ),  # type: ignore[arg-type]  # mypy joins the dicts' value types to object
                )
            if kind < 0.5:
                deadline = str(uuid.uuid4())
                children[case_id].append(deadline)
                due = now + timedelta(hours=rnd.randint(-5, 400))
                zone = timezone(timedelta(hours=rnd.choice([0, 2, 8])))
                return mutation(
                    caller,
                    "deadline",
                    deadline,
                    "insert",
                    case_id=case_id,
                    what="Antwort",
                    due_at=due.astimezone(zone).isoformat(),
                    done=False,
                )
            pushed = [c for c in children[case_id] if c in versions]
            if kind < 0.6 and pushed:
                child = rnd.choice(pushed)
                if versions[child][0] == "deadline":
                    return mutation(caller, "deadline", child, "update", done=rnd.random() < 0.5)
                return mutation(caller, "party", child, "update", name=f"{rnd.choice(WORDS)} again")
            if kind < 0.7 and pushed:
                child = rnd.choice(pushed)
                children[case_id].remove(child)
                return mutation(caller, versions[child][0], child, "delete")
            if kind < 0.8:
                # Parties may change and be deleted; notes are append-only (added below).
                party = str(uuid.uuid4())
                children[case_id].append(party)
                return mutation(
                    caller,
                    "party",
                    party,
                    "insert",
                    case_id=case_id,
                    role="complainant",
                    name=f"{rnd.choice(WORDS)} GmbH",
                )
            if kind < 0.9:
                fair = rnd.choice(fairs) if rnd.random() < 0.6 else str(uuid.uuid4())
                if fair not in fairs:
                    fairs.append(fair)
                op = "update" if fair in versions else "insert"
                return mutation(
                    caller,
                    "fair",
                    fair,
                    op,
                    name=f"Messe {rnd.randint(1, 99)}",
                    country=rnd.choice(["DE", "CN", "US"]),
                    time_zone=rnd.choice(["Europe/Berlin", "Asia/Shanghai"]),
                )
            if kind < 0.95 and len(cases) > 3:
                cases.remove(case_id)
                return mutation(caller, "case", case_id, "delete")
            return mutation(
                caller, "note", str(uuid.uuid4()), "insert", case_id=case_id, text="专利侵权 booth"
            )

        filters = [
            queries.CaseFilter(limit=1000),
            queries.CaseFilter(level="red", limit=1000),
            queries.CaseFilter(open_only=True, country="de", limit=1000),
            queries.CaseFilter(search="专利", limit=1000),
            queries.CaseFilter(search="hydraulikpumpe edited", limit=1000),
            queries.CaseFilter(search="gmbh 专利侵权", limit=1000),
        ]
        for round_no in range(30):
            caller = rnd.choice(callers)
            batch: list[Mutation] = []
            seen: set[str] = set()
            for _ in range(rnd.randint(1, 6)):
                m = random_mutation(caller)
                if m.entity_id in seen:  # one mutation per row and push keeps versions simple
                    next_id[caller.device_id] -= 1
                    break
                seen.add(m.entity_id)
                batch.append(m)
            push(caller, batch)
            if round_no % 4 == 3 and cases:
                with db.writing() as session:
                    escalated = {e.case_id for e in session.scalars(select(Escalation))}
                    fresh = [c for c in cases if c not in escalated]
                    if fresh:
                        admin.escalate(session, tenant, rnd.choice(fresh), "Push Centre")
            with summary.reading(db) as session:  # caught up first, as every reader is
                for scope in (queries.Scope(tenant), queries.Scope(centre, is_guidance=True)):
                    for flt in filters:
                        assert _fast(session, scope, flt) == _reference(session, scope, flt), (
                            round_no,
                            scope,
                            flt,
                        )
                stored = _snapshot(session)
            with db.writing() as session:
                summary.rebuild(session.connection())
                assert _snapshot(session) == stored, round_no
        with summary.reading(db) as session:
            assert _reference(session, queries.Scope(tenant), filters[0])
            assert _reference(session, queries.Scope(centre, is_guidance=True), filters[0])
            assert _reference(session, queries.Scope(tenant), filters[3])
            # The summary follows a fair's rename: the list shows the fair's current name.
            named = [
                c
                for c in queries.list_cases(session, queries.Scope(tenant), filters[0])
                if c["fair"]
            ]
            assert named
    finally:
        db.dispose()
