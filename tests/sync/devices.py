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
from typing import Any

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
