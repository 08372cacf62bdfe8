"""One change-log stream per tenant (issue 21, findings 6 and 7), against a real `fairdesk-hq`.

(a) A quiet tenant's pull (and, on PostgreSQL, its push) completes while another tenant's push
transaction is held open: before, every push took one HQ-wide counter row lock.
(b) Nothing a device sees — cursors, change numbers, `snapshot_until`, 410 bodies, epochs,
headers — changes when another tenant writes 1,000 rows: before, the one HQ-wide sequence
showed every tenant how much the others wrote.
(c) The upgrade from the previous head keeps every stored cursor (and the guidance centre's).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, Table, create_engine, inspect, select, text

from sync.protocol import PushRequest
from sync.server import admin, epoch
from sync.server.config import Settings
from sync.server.db import alembic_config, downgrade, migrate, open_database
from sync.server.deps import Caller
from sync.server.models import ChangeLog, Device, TenantSequence
from sync.server.pull import pull
from sync.server.push import apply_push
from tests.sync.hq_harness import DeviceClient, LiveHq

# Generous: only reached when the quiet tenant is blocked, i.e. when the test fails.
BLOCKED_AFTER_SECONDS = 15.0


def _note(device: DeviceClient, case_id: str, text_: str, note_id: str | None = None) -> Any:
    return device.mutation(
        "note", note_id or str(uuid.uuid4()), changes={"case_id": case_id, "text": text_}
    )


@contextmanager
def _held_push(hq: LiveHq, pusher: DeviceClient) -> Iterator[Future[httpx.Response]]:
    """A push of `pusher` held open inside its transaction until the block exits.

    PostgreSQL: this test's own transaction locks the pusher's device row, which the push
    needs (its mutation log rows point at it) after it took its sequence lock; we wait until
    the server's backend is seen waiting for us. SQLite: this test holds the database's write
    lock (`BEGIN IMMEDIATE`), the one every write transaction there takes first.
    """
    engine = create_engine(hq.db_url)
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.begin()
                conn.execute(
                    text("SELECT id FROM devices WHERE id = :d FOR UPDATE"),
                    {"d": pusher.device_id},
                )
            with hq.client(timeout=120) as http:
                pusher.http = http
                case = pusher.extra["case"]
                held = pool.submit(pusher.push_raw, [_note(pusher, case, "held")])
                if engine.dialect.name == "postgresql":
                    _wait_until_blocked_by(engine, conn, held)
                yield held
                conn.rollback()
                response = held.result(timeout=120)
                assert response.status_code == 200, response.text
                assert response.json()["results"][0]["status"] == "applied"
    finally:
        pool.shutdown(wait=True)
        engine.dispose()


def _wait_until_blocked_by(engine: Any, holder: Any, push: Future[httpx.Response]) -> None:
    """Until a backend of the server waits for `holder`'s lock (bounded by the push itself)."""
    mine = holder.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with engine.connect() as watch:
        while not push.done():
            waiting = watch.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE :me = ANY(pg_blocking_pids(pid))"
                ),
                {"me": mine},
            ).scalar_one()
            watch.rollback()
            if waiting:
                return
            # PostgreSQL announces no lock wait, so look again; meanwhile wait on the push
            # itself, which ends the loop the moment it finishes (a push that never blocked).
            wait([push], timeout=0.01)
    raise AssertionError(f"the push finished without waiting: {push.result().text}")


def _two_tenants(hq: LiveHq, http: httpx.Client) -> tuple[DeviceClient, DeviceClient]:
    hq.add_tenant("Busy GmbH")
    hq.add_tenant("Quiet Ltd")
    busy = hq.enroll_device(http, "Busy GmbH")
    quiet = hq.enroll_device(http, "Quiet Ltd")
    busy.extra["case"] = busy.new_case(title="busy")
    quiet.extra["case"] = quiet.new_case(title="quiet")
    return busy, quiet


def test_a_quiet_tenants_pull_completes_while_another_tenants_push_is_held(
    live_server: LiveHq,
) -> None:
    hq = live_server
    with hq.client() as http:
        busy, quiet = _two_tenants(hq, http)
        quiet.pull_all()
    with _held_push(hq, busy), hq.client(timeout=BLOCKED_AFTER_SECONDS) as http:
        quiet.http = http
        pulled = quiet.request("GET", "/v1/sync/pull", params={"cursor": 0})
        assert pulled.status_code == 200, pulled.text
        assert [c["entity"] for c in pulled.json()["changes"]] == ["case"]


@pytest.mark.postgres
@pytest.mark.parametrize("hq_db_url", ["postgresql"], indirect=True)
def test_a_quiet_tenants_push_completes_while_another_tenants_push_is_held(
    live_server: LiveHq,
) -> None:
    """PostgreSQL only: on SQLite every write transaction takes the one database write lock
    (`BEGIN IMMEDIATE`), so there a push waits for the other's commit (one transaction,
    milliseconds), whatever the tenant."""
    hq = live_server
    with hq.client() as http:
        busy, quiet = _two_tenants(hq, http)
    with _held_push(hq, busy) as held, hq.client(timeout=BLOCKED_AFTER_SECONDS) as http:
        quiet.http = http
        pushed = quiet.push_raw([_note(quiet, quiet.extra["case"], "while busy is held")])
        assert pushed.status_code == 200, pushed.text
        assert pushed.json()["results"][0]["status"] == "applied"
        pulled = quiet.request("GET", "/v1/sync/pull", params={"cursor": 0})
        assert [c["entity"] for c in pulled.json()["changes"]] == ["case", "note"]
        assert not held.done()  # the busy push really was still held


# --- (b) nothing of another tenant's activity shows -------------------------------------

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_EPOCH = re.compile(r'"epoch":"([0-9a-f]{16})"')


class _Normaliser:
    """Random ids (device, tenant, conflict, epoch) become their order of first appearance."""

    def __init__(self, world: str) -> None:
        self.seen: dict[str, str] = {}
        self.world = world

    def _name(self, value: str, kind: str) -> str:
        return self.seen.setdefault(value, f"<{kind}{len(self.seen)}>")

    def __call__(self, body: str) -> str:
        body = body.replace(f"Centre {self.world}", "Centre")  # tenant names are unique
        body = _UUID.sub(lambda m: self._name(m.group(0), "id"), body)
        return _EPOCH.sub(lambda m: f'"epoch":"{self._name(m.group(1), "epoch")}"', body)


def _observe(response: httpx.Response, norm: _Normaliser) -> tuple[int, str, list[Any]]:
    headers = sorted(
        (k, v) for k, v in response.headers.items() if k not in ("date", "content-length")
    )
    return response.status_code, norm(response.text), headers


def _quiet_tenants_view(hq: LiveHq, world: str, others_write: int) -> list[Any]:
    """What a device of a quiet tenant sees of a fixed script, while another tenant (of the same
    HQ) writes `others_write` rows in the middle of it."""
    norm = _Normaliser(world)
    seen: list[Any] = []
    hq.add_tenant(f"Other {world}")
    hq.add_tenant(f"Quiet {world}")
    with hq.client() as http:
        other = hq.enroll_device(http, f"Other {world}")
        quiet = hq.enroll_device(http, f"Quiet {world}", role="legal")
        ids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(6)]
        case = ids[0]
        seen.append(_observe(quiet.push_raw([quiet.mutation("case", case, changes={})]), norm))
        seen.append(_observe(quiet.push_raw([_note(quiet, case, "one", ids[1])]), norm))
        first = quiet.request("GET", "/v1/sync/pull", params={"cursor": 0})
        seen.append(_observe(first, norm))
        cursor = first.json()["next_cursor"]
        other_case = other.new_case(title="other")
        for start in range(0, others_write, 500):
            batch = [_note(other, other_case, f"n{n}") for n in range(start, start + 500)]
            other.push(batch[: max(0, others_write - start)])
        seen.append(_observe(quiet.push_raw([_note(quiet, case, "two", ids[2])]), norm))
        later = quiet.request("GET", "/v1/sync/pull", params={"cursor": cursor})
        seen.append(_observe(later, norm))
        head = later.json()["next_cursor"]
        seen.append(_observe(quiet.request("GET", f"/v1/cases/{case}"), norm))
        # Cursors beyond the tenant's own head: before, any cursor up to HQ's whole sequence
        # was accepted and the first one beyond it answered 410 (a probe for the sequence).
        for ahead in (1, 500, 1000):
            probe = quiet.request("GET", "/v1/sync/pull", params={"cursor": head + ahead})
            seen.append(_observe(probe, norm))
        pruned = hq.cli("prune", "--keep-days", "0", "--json")
        assert pruned.returncode == 0, pruned.stderr
        # An old cursor after the prune (410), and the snapshot walk from 0.
        seen.append(_observe(quiet.request("GET", "/v1/sync/pull", params={"cursor": 1}), norm))
        seen.append(_observe(quiet.request("GET", "/v1/sync/pull", params={"cursor": 0}), norm))
        hq.add_tenant(f"Centre {world}", kind="guidance")
        escalated = quiet.request(
            "POST", f"/v1/cases/{case}/escalate", json={"guidance_centre": f"Centre {world}"}
        )
        seen.append(_observe(escalated, norm))
        seen.append(_observe(quiet.push_raw([_note(quiet, case, "three", ids[3])]), norm))
        seen.append(_observe(quiet.request("GET", "/v1/sync/pull", params={"cursor": head}), norm))
    return seen


def test_a_device_sees_nothing_of_another_tenants_writes(live_server: LiveHq) -> None:
    hq = live_server
    alone = _quiet_tenants_view(hq, "A", others_write=0)
    beside_a_busy_one = _quiet_tenants_view(hq, "B", others_write=1000)
    assert len(alone) == len(beside_a_busy_one)
    for step, (x, y) in enumerate(zip(alone, beside_a_busy_one, strict=True)):
        assert x == y, f"step {step} differs"
    # The probes beyond the head were answered as a restore only from the tenant's own head.
    assert [status for status, _b, _h in alone[6:9]] == [410, 410, 410]


# --- (c) the upgrade keeps cursors -------------------------------------------------------


def test_upgrade_keeps_every_cursor_and_the_centres_feed(hq_db_url: str) -> None:
    """Data written under the previous head (one HQ-wide sequence) reads the same after 0009s:
    a company's cursor, a guidance centre's cursor and the epoch all stay valid, and new rows
    come after every old number."""
    before = ScriptDirectory.from_config(alembic_config()).get_revision("0009s").down_revision
    assert isinstance(before, str)
    db = open_database(hq_db_url)
    now = datetime.now(UTC)
    acme, centre, laptop, desk = (str(uuid.uuid4()) for _ in range(4))
    case, other_case = str(uuid.uuid4()), str(uuid.uuid4())
    try:
        migrate(db.engine, before)
        with db.engine.begin() as conn:
            meta = MetaData()
            tables = {
                name: Table(name, meta, autoload_with=conn)
                for name in ("tenants", "devices", "changes", "records", "escalations", "counters")
            }
            for tid, kind in ((acme, "company"), (centre, "guidance")):
                conn.execute(
                    tables["tenants"]
                    .insert()
                    .values(
                        id=tid,
                        name=kind,
                        kind=kind,
                        quota_bytes=1,
                        pruned_through_seq=0,
                        created_at=now,
                    )
                )
            for did, tid, role in ((laptop, acme, "legal"), (desk, centre, "guidance")):
                conn.execute(
                    tables["devices"]
                    .insert()
                    .values(
                        id=did,
                        tenant_id=tid,
                        role=role,
                        name="",
                        created_at=now,
                        last_mutation_id=0,
                    )
                )
            # seq 1-2: case and note of `other_case`; 3: `case`; 4-5 its re-publication at
            # escalation; 6: a later note in it; 7: another edit of `other_case`.
            rows = [
                (1, "case", other_case, other_case),
                (2, "note", str(uuid.uuid4()), other_case),
                (3, "case", case, case),
                (4, "case", case, case),
                (5, "note", "00000000-0000-4000-8000-000000000005", case),
                (6, "note", "00000000-0000-4000-8000-000000000006", case),
                (7, "case", other_case, other_case),
            ]
            for seq, entity, entity_id, case_id in rows:
                conn.execute(
                    tables["changes"]
                    .insert()
                    .values(
                        server_seq=seq,
                        tenant_id=acme,
                        entity=entity,
                        entity_id=entity_id,
                        case_id=case_id,
                        version=1,
                        fields={"case_id": case_id} if entity == "note" else {"title": "t"},
                        deleted=False,
                        device_id=laptop,
                        mutation_id=None,
                        created_at=now,
                    )
                )
            conn.execute(
                tables["escalations"]
                .insert()
                .values(
                    tenant_id=acme,
                    case_id=case,
                    guidance_tenant_id=centre,
                    escalated_at=now,
                    server_seq=4,
                )
            )
            conn.execute(
                tables["records"]
                .insert()
                .values(
                    tenant_id=acme,
                    entity="case",
                    entity_id=case,
                    case_id=case,
                    version=1,
                    fields={"title": "t"},
                    field_versions={"title": 1},
                    deleted=False,
                    updated_seq=4,
                )
            )
            conn.execute(
                tables["counters"].update().where(tables["counters"].c.name == "server_seq"),
                {"value": 7},
            )
            old_epoch: Any = conn.execute(
                select(tables["counters"].c.value).where(tables["counters"].c.name == "epoch")
            ).scalar_one()
        migrate(db.engine)
        company = Caller(laptop, acme, "company", "legal", None)
        guidance = Caller(desk, centre, "guidance", "guidance", None)
        with db.reading() as session:
            heads = {
                t: v
                for t, v in session.execute(select(TenantSequence.tenant_id, TenantSequence.value))
            }
            assert heads == {acme: 7, centre: 7}
            assert epoch.current(session, acme) == f"{old_epoch:016x}"  # no device resyncs
            page = pull(session, company, 5, 100, 1 << 20, seen_epoch=f"{old_epoch:016x}")
            assert [c.server_seq for c in page.changes] == [6, 7]
            # The centre's cursor 5 (it had pulled the re-publication) still means the same.
            feed = pull(session, guidance, 5, 100, 1 << 20, seen_epoch=f"{old_epoch:016x}")
            assert [(c.server_seq, c.entity_id) for c in feed.changes] == [
                (6, "00000000-0000-4000-8000-000000000006")
            ]
            whole = pull(session, guidance, 0, 100, 1 << 20)
            assert [c.server_seq for c in whole.changes] == [4, 5, 6]
            assert all(c.case_id == case for c in whole.changes)
        note = {
            "mutation_id": 1,
            "entity": "note",
            "entity_id": str(uuid.uuid4()),
            "op": "insert",
            "changes": {"case_id": case, "text": "after the upgrade"},
        }
        request = PushRequest.model_validate({"device_id": laptop, "mutations": [note]})
        settings = Settings(database_url=hq_db_url)
        [result] = apply_push(db, settings, company, request).results
        assert (result.status, result.server_seq) == ("applied", 8)
        with db.reading() as session:
            assert [c.server_seq for c in pull(session, company, 7, 10, 1 << 20).changes] == [8]
            # The escalated case's new note reached the centre's own stream, after its cursor.
            assert [c.server_seq for c in pull(session, guidance, 6, 10, 1 << 20).changes] == [8]
            copies = session.scalars(
                select(ChangeLog.stream_id).where(ChangeLog.entity_id == note["entity_id"])
            ).all()
            assert sorted(copies) == sorted([acme, centre])
    finally:
        db.dispose()


# --- a company and its guidance centre writing one escalated case at once ---------------


def test_company_and_centre_write_an_escalated_case_at_once(live_server: LiveHq) -> None:
    """Both sides lock both streams (in one order: no deadlock), a case escalated while its
    company is pushing into it reaches the centre whole, and each stream stays gap-free."""
    hq = live_server
    hq.add_tenant("Acme")
    hq.add_tenant("Desk", kind="guidance")
    rounds = 30
    with hq.client() as http:
        legal = hq.enroll_device(http, "Acme", role="legal")
        writers = [hq.enroll_device(http, "Acme") for _ in range(2)]
        desk = hq.enroll_device(http, "Desk")
        shared, later = legal.new_case(title="shared"), legal.new_case(title="escalated later")
        answer = legal.request(
            "POST", f"/v1/cases/{shared}/escalate", json={"guidance_centre": "Desk"}
        )
        assert answer.status_code == 200, answer.text

    def write(device: DeviceClient, case: str, label: str) -> list[str]:
        written = []
        with hq.client() as own:
            device.http = own
            for n in range(rounds):
                note = _note(device, case, f"{label} {n}")
                response = device.push_raw([note])
                assert response.status_code == 200, response.text
                assert response.json()["results"][0]["status"] == "applied"
                written.append(note["entity_id"])
        return written

    def escalate_midway() -> None:
        with hq.client() as own:
            legal.http = own
            response = legal.request(
                "POST", f"/v1/cases/{later}/escalate", json={"guidance_centre": "Desk"}
            )
            assert response.status_code == 200, response.text

    with ThreadPoolExecutor(max_workers=4) as pool:
        jobs: list[Future[Any]] = [
            pool.submit(write, writers[0], shared, "company"),
            pool.submit(write, desk, shared, "centre"),
            pool.submit(write, writers[1], later, "before or after"),
            pool.submit(escalate_midway),
        ]
        company_notes, centre_notes, later_notes, _ = (job.result(timeout=300) for job in jobs)
    with hq.client() as http:
        desk.http = http
        legal.http = http
        seen = desk.pull_all()
        mine = legal.pull_all()
    for feed in (seen, mine):
        numbers = [c["server_seq"] for c in feed]
        assert numbers == list(range(1, len(numbers) + 1))  # one gap-free stream each
    # Mutation numbers count all of a device's writes: only its own tenant sees them.
    centre_wrote = set(centre_notes)
    for change in seen:
        if change["entity_id"] in centre_wrote:
            assert change["mutation_id"] is not None
        else:
            assert change["mutation_id"] is None, change
    for change in mine:
        assert (change["mutation_id"] is None) == (change["entity_id"] in centre_wrote), change
    centre_ids = {c["entity_id"] for c in seen}
    assert set(company_notes) | set(centre_notes) | set(later_notes) <= centre_ids
    assert {shared, later} <= centre_ids
    assert set(company_notes) | set(centre_notes) | set(later_notes) <= {
        c["entity_id"] for c in mine
    }


def test_downgrade_renumbers_into_one_sequence(hq_db_url: str) -> None:
    """Going back below 0009s: each tenant's own rows, renumbered HQ-wide above every number
    handed out (streams may share numbers), records still point at their newest row."""
    before = ScriptDirectory.from_config(alembic_config()).get_revision("0009s").down_revision
    assert isinstance(before, str)
    db = open_database(hq_db_url)
    try:
        migrate(db.engine)
        with db.writing() as session:
            tenants = [admin.add_tenant(session, n, "company", 1).id for n in ("A", "B")]
            centre = admin.add_tenant(session, "C", "guidance", 1).id
        company = [Caller(str(uuid.uuid4()), t, "company", "legal", None) for t in tenants]
        with db.writing() as session:
            for caller in company:
                session.add(
                    Device(
                        id=caller.device_id,
                        tenant_id=caller.tenant_id,
                        role="legal",
                        name="",
                        last_mutation_id=0,
                    )
                )
        settings = Settings(database_url=hq_db_url)
        cases = {}
        for caller in company:  # both streams hand out 1 and 2
            cases[caller.tenant_id] = str(uuid.uuid4())
            mutations = [
                {
                    "mutation_id": 1,
                    "entity": "case",
                    "entity_id": cases[caller.tenant_id],
                    "op": "insert",
                    "changes": {"title": "t"},
                },
                {
                    "mutation_id": 2,
                    "entity": "case",
                    "entity_id": cases[caller.tenant_id],
                    "op": "update",
                    "base_version": 1,
                    "changes": {"title": "u"},
                },
            ]
            request = PushRequest.model_validate(
                {"device_id": caller.device_id, "mutations": mutations}
            )
            assert [r.server_seq for r in apply_push(db, settings, caller, request).results] == [
                1,
                2,
            ]
        with db.writing() as session:
            admin.escalate(session, tenants[0], cases[tenants[0]], "C")
        downgrade(db.engine, before)
        assert "tenant_sequences" not in inspect(db.engine).get_table_names()
        with db.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT server_seq, tenant_id FROM changes ORDER BY server_seq")
            ).all()
            assert [seq for seq, _t in rows] == [3, 4, 5, 6]  # above the old head (2)
            assert centre not in {t for _s, t in rows}  # the centre's copies are gone
            updated: dict[Any, Any] = dict(
                conn.execute(
                    text("SELECT tenant_id, updated_seq FROM records WHERE entity = 'case'")
                ).all()
            )
            newest = {t: s for s, t in rows}
            assert updated == newest
        migrate(db.engine)  # and up again
    finally:
        db.dispose()
