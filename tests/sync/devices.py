"""Helpers for device-sync tests: real data folders enrolled with a real `fairdesk-hq`.

`Node` is one installation (a laptop or an HQ machine): its own data folder, store and
enrolment. `state_hash(store)` summarises every synced row a node holds, so tests can assert
that every node converged to the same state.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import select

from fairdesk import cases
from fairdesk.model import Direction, Trigger
from fairdesk.store import Store, open_store
from sync.client.apply import tables
from sync.client.engine import SyncResult, sync_once
from sync.client.enroll import enroll
from sync.client.transport import Transport
from tests.sync.hq_harness import LiveHq

# Columns each node computes itself or that only the creating node knows.
_SKIP = {
    "created_at",
    "updated_at",
    "deleted_at",
    "level",
    "computed_level",
    "level_reason",
    "needs_review",
    "integrity",
    "integrity_checked_at",
    "number",
}


@dataclass
class Node:
    name: str
    store: Store
    server_url: str

    def sync(self, transport: Transport | None = None) -> SyncResult:
        return sync_once(self.store, transport)

    def close(self) -> None:
        self.store.close()


def make_node(
    hq: LiveHq, tmp: Path, name: str, tenant: str, role: str | None = None, url: str | None = None
) -> Node:
    store = open_store(tmp / name)
    enroll(store, url or hq.base_url, hq.enroll_code(tenant, role), name)
    return Node(name, store, url or hq.base_url)


def new_case(store: Store, title: str = "Served at booth 4.1-C12") -> str:
    return cases.create_case(
        store,
        cases.CaseInput(
            title=title, direction=Direction.AGAINST_US, trigger=Trigger.WARNING_LETTER
        ),
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if hasattr(value, "value"):
        return value.value
    return value


def state(store: Store) -> dict[str, Any]:
    """Every synced row (minus local-only columns), open conflicts, keyed for comparison."""
    out: dict[str, Any] = {}
    with store.read() as session:
        for entity, table in sorted(tables().items()):
            cols = [c for c in table.columns if c.name not in _SKIP]
            for row in session.execute(select(*cols)).mappings():
                if entity == "timeline_event" and row["kind"] == "level":
                    continue  # derived on each node, never synced
                out[f"{entity}/{row['id']}"] = {k: _plain(v) for k, v in row.items()}
            if "deleted_at" in table.columns:
                for rid, deleted in session.execute(select(table.c.id, table.c.deleted_at)):
                    if f"{entity}/{rid}" in out:
                        out[f"{entity}/{rid}"]["_deleted"] = deleted is not None
        from fairdesk.syncmodel import SyncConflict

        for conflict in session.scalars(select(SyncConflict)):
            out[f"conflict/{conflict.id}"] = {
                "resolved": conflict.resolved,
                "fields": conflict.fields,
            }
    return out


def state_hash(store: Store) -> str:
    return hashlib.sha256(
        json.dumps(state(store), sort_keys=True, default=str).encode()
    ).hexdigest()


def state_diff(first: Store, second: Store) -> list[str]:
    """Readable differences between two nodes' states (for assertion messages)."""
    one, two = state(first), state(second)
    out = []
    for key in sorted(set(one) | set(two)):
        a, b = one.get(key), two.get(key)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            out.append(
                f"{key}: "
                + repr({f: (a.get(f), b.get(f)) for f in set(a) | set(b) if a.get(f) != b.get(f)})
            )
        else:
            out.append(f"{key}: {a!r} != {b!r}")
    return out


def hq_state(hq: LiveHq, tenant: str) -> dict[str, dict[str, Any]]:
    """HQ's own current rows of `tenant` (its `records` table), as the columns a device stores.

    Read straight from HQ's database, not through any device's pull, so that comparing a device
    with it checks the device against what HQ really holds.
    """
    from sqlalchemy import create_engine

    from sync.client.apply import row_values
    from sync.server.models import Record, Tenant

    engine = create_engine(hq.db_url)
    out: dict[str, dict[str, Any]] = {}
    table_of = tables()
    try:
        with engine.connect() as conn:
            tenant_id = conn.execute(select(Tenant.id).where(Tenant.name == tenant)).scalar_one()
            rows = conn.execute(
                select(Record.entity, Record.entity_id, Record.fields, Record.deleted).where(
                    Record.tenant_id == tenant_id
                )
            )
            for entity, entity_id, fields, deleted in rows:
                table = table_of.get(str(entity))
                if table is None:
                    continue
                values = row_values(table, cast(dict[str, Any], fields))  # a JSON column
                view = {k: _plain(v) for k, v in values.items() if k not in _SKIP}
                if "deleted_at" in table.columns:
                    view["_deleted"] = bool(deleted)
                out[f"{entity}/{entity_id}"] = view
    finally:
        engine.dispose()
    return out


def _local_only(key: str, row: dict[str, Any]) -> bool:
    """Rows a device holds that never go to HQ: local timeline notes (renumbering) and the
    fair catalogue seeded on every device (pushed only once edited, version 0 until then)."""
    if key.startswith("timeline_event/"):
        return True
    return key.startswith("fair/") and not row.get("version")


def hq_diff(hq: LiveHq, tenant: str, store: Store) -> list[str]:
    """Where a device's rows differ from HQ's, on the fields HQ holds ([] when they agree)."""
    theirs, ours = hq_state(hq, tenant), state(store)
    out = []
    for key in sorted(set(theirs) | {k for k in ours if not k.startswith("conflict/")}):
        hq_row, row = theirs.get(key), ours.get(key)
        if hq_row is None or row is None:
            if hq_row is None and row is not None and _local_only(key, row):
                continue
            out.append(f"{key}: hq={hq_row!r} device={row!r}")
            continue
        differing = {f: (v, row.get(f)) for f, v in hq_row.items() if row.get(f) != v}
        if differing:
            out.append(f"{key}: (hq, device) {differing!r}")
    return out


def hq_hash(hq: LiveHq, tenant: str) -> str:
    """A hash of HQ's rows; equal to `view_hash` of a device that holds exactly HQ's state."""
    return hashlib.sha256(
        json.dumps(hq_state(hq, tenant), sort_keys=True, default=str).encode()
    ).hexdigest()


def view_hash(hq: LiveHq, tenant: str, store: Store) -> str:
    """The device's rows projected onto the fields HQ holds for them, hashed like `hq_hash`."""
    theirs, ours = hq_state(hq, tenant), state(store)
    view: dict[str, Any] = {}
    for key, row in ours.items():
        if key.startswith("conflict/"):
            continue
        hq_row = theirs.get(key)
        if hq_row is None:
            if _local_only(key, row):
                continue
            view[key] = row
            continue
        view[key] = {f: row.get(f) for f in hq_row}
    return hashlib.sha256(json.dumps(view, sort_keys=True, default=str).encode()).hexdigest()
