"""`case_summary`: one row per live case with what the case list shows, kept in step with pushes.

The console list and `fairdesk-hq case list` read this table instead of working out, on every
page view, each case's open deadlines, last device change and fair from all its records
(migration 0010cs). A row holds only facts that do not depend on the clock; the level (rule R2
looks at "now") is worked out by the list query from the stored next deadline.

Kept current by `catch_up`, which every reader of the summary (console, `fairdesk-hq case
list|show|export`) runs first: `reading(db)` does both and hands out a `SummarySession`, the
only kind of session `sync.server.queries` reads the summary through (strict mypy refuses a
plain one), so a new page or command cannot forget it. A catch-up recomputes, from its
records, every case that a change since the last catch-up touched (and every case at a fair
whose row changed), so what is read is always what a full recomputation would give. Each
stream's `summary_seq` says how far the summary has followed it. Pushes only append to the
change log: refreshing inside every push recomputed the same cases once per push (ten times for
a week of notes sent in ten batches, ~40 % of HQ's time per push) while the device waited and
the photos' bytes queued behind the GIL. `rebuild` recomputes every case (the migration's
backfill; tests and benches that insert rows directly).

Search: `search_text` holds every field value of the case's live records, lower-cased, one per
line (so a search term, which never holds whitespace, cannot match across two values). On SQLite
an FTS5 table with the trigram tokenizer (`case_summary_fts`, external content, kept by triggers)
indexes it; on PostgreSQL a `pg_trgm` GIN index does (see the migration).
"""

from __future__ import annotations

import contextlib
import functools
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, NewType

from sqlalchemy import and_, delete, func, insert, or_, select, text, tuple_, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from sync.server import situation
from sync.server.console.i18n import resources_root
from sync.server.db import Database
from sync.server.models import CaseSummary, ChangeLog, Record, TenantSequence

SEARCH_SEP = "\n"
_CHUNK = 400  # cases per statement (bound parameters stay far below every driver's limit)

# Same namespace as `fairdesk.fairs.CATALOGUE_NAMESPACE` (the server may not import the core):
# catalogue fairs have the id uuid5(namespace, key) on every device and are only pushed once
# edited, so HQ knows an unedited one from the catalogue file that ships with both.
CATALOGUE_NAMESPACE = uuid.UUID("6f3d2c1e-9a57-5b7e-8c21-4fa1d0e7b3a9")


@functools.cache
def catalogue_fairs() -> dict[str, dict[str, Any]]:
    path = resources_root() / "fairs" / "catalogue.json"
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    out: dict[str, dict[str, Any]] = {}
    for entry in data.get("fairs", []):
        name = entry.get("name") or {}
        city = entry.get("city") or {}
        out[str(uuid.uuid5(CATALOGUE_NAMESPACE, entry["key"]))] = {
            "name": name.get("en") or "",
            "name_zh": name.get("zh") or "",
            "city": city.get("en") or "",
            "country": entry.get("country") or "",
            "time_zone": entry.get("time_zone") or "",
            "catalogue_key": entry["key"],
        }
    return out


def fair_fields(
    fairs: dict[tuple[str, str], dict[str, Any]], tenant_id: str, fair_id: Any
) -> dict[str, Any]:
    """A tenant's synced fair row, else the catalogue's entry, else nothing."""
    if not fair_id:
        return {}
    return fairs.get((tenant_id, str(fair_id))) or catalogue_fairs().get(str(fair_id), {})


def parse_utc(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def search_values(value: Any) -> Iterator[str]:
    """Every value (never a key) as search text: strings lower-cased, numbers as written."""
    if isinstance(value, str):
        yield value.lower()
    elif isinstance(value, dict):
        for item in value.values():
            yield from search_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from search_values(item)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield str(value)


def situation_of(fields: dict[str, Any]) -> str:
    """The raw facts, for a case whose trigger or direction no device writes."""
    value = fields.get("situation")
    if isinstance(value, str) and value:
        return value
    return "/".join(str(fields.get(k) or "") for k in ("trigger", "direction")).strip("/")


def _text(value: Any) -> str | None:
    """A field as stored text: None when absent or empty, JSON for anything not a string."""
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _row(
    tenant_id: str,
    case_id: str,
    records: list[tuple[str, dict[str, Any]]],
    fairs: dict[tuple[str, str], dict[str, Any]],
    last: tuple[datetime, str] | None,
) -> dict[str, Any] | None:
    case = next((f for entity, f in records if entity == "case"), None)
    if case is None:
        return None
    due = [
        parse_utc(f.get("due_at"))
        for entity, f in records
        if entity == "deadline"
        if not f.get("done")
    ]
    open_due = [d for d in due if d is not None]
    fair = fair_fields(fairs, tenant_id, case.get("fair_id"))
    reading = situation.read(case, str(fair.get("country") or ""), records)
    override = case.get("level_override")
    return {
        "tenant_id": tenant_id,
        "case_id": case_id,
        "number": _text(case.get("number")),
        "title": str(case.get("title") or ""),
        "status": str(case.get("status") or "open"),
        "trigger": _text(case.get("trigger")),
        "direction": _text(case.get("direction")),
        "situation": reading.key() if reading else situation_of(case),
        "rule_trigger": reading.rule_trigger if reading else _text(case.get("trigger")),
        "floor_country": reading.floor_country if reading else None,
        "level_override": (override if isinstance(override, str) else str(override))
        if override
        else None,
        "fair_id": _text(case.get("fair_id")),
        "fair_name": _text(fair.get("name")),
        "country": _text(fair.get("country")),
        "fair_time_zone": _text(fair.get("time_zone")),
        "next_due_at": min(open_due) if open_due else None,
        "last_sync_at": last[0] if last else None,
        "last_device_id": last[1] if last else None,
        "search_text": SEARCH_SEP.join(v for _e, f in records for v in search_values(f)),
    }


def _fairs(conn: Connection, tenants: Iterable[str]) -> dict[tuple[str, str], dict[str, Any]]:
    rows: Any = conn.execute(
        select(Record.tenant_id, Record.entity_id, Record.fields).where(
            Record.tenant_id.in_(sorted(set(tenants))),
            Record.entity == "fair",
            Record.deleted.is_(False),
        )
    )
    return {(t, e): f if isinstance(f, dict) else {} for t, e, f in rows}


def refresh(conn: Connection, keys: Iterable[tuple[str, str]]) -> None:
    """Recompute the summary rows of these (tenant, case) pairs; a gone case loses its row."""
    by_tenant: dict[str, set[str]] = defaultdict(set)
    for tenant_id, case_id in keys:
        by_tenant[tenant_id].add(case_id)
    if not by_tenant:
        return
    fairs = _fairs(conn, by_tenant)
    for tenant_id, case_ids in by_tenant.items():
        ordered = sorted(case_ids)
        for start in range(0, len(ordered), _CHUNK):
            _refresh_chunk(conn, fairs, tenant_id, ordered[start : start + _CHUNK])


def _refresh_chunk(
    conn: Connection,
    fairs: dict[tuple[str, str], dict[str, Any]],
    tenant_id: str,
    case_ids: list[str],
) -> None:
    records: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    found: Any = conn.execute(
        select(Record.case_id, Record.entity, Record.fields)
        .where(
            Record.tenant_id == tenant_id,
            Record.case_id.in_(case_ids),
            Record.deleted.is_(False),
        )
        .order_by(Record.case_id, Record.updated_seq, Record.entity, Record.entity_id)
    )
    for case_id, entity, fields in found:
        records[case_id].append((entity, fields if isinstance(fields, dict) else {}))
    newest = (
        select(ChangeLog.case_id, func.max(ChangeLog.server_seq).label("seq"))
        .where(
            # A record's history is its tenant's own stream (a centre's stream holds copies).
            ChangeLog.stream_id == tenant_id,
            ChangeLog.tenant_id == tenant_id,
            ChangeLog.case_id.in_(case_ids),
            ChangeLog.device_id.is_not(None),
        )
        .group_by(ChangeLog.case_id)
        .subquery()
    )
    last: dict[str, tuple[datetime, str]] = {}
    newest_rows: Any = conn.execute(
        select(ChangeLog.case_id, ChangeLog.created_at, ChangeLog.device_id).join(
            newest,
            and_(ChangeLog.stream_id == tenant_id, ChangeLog.server_seq == newest.c.seq),
        )
    )
    for case_id, at, device in newest_rows:
        last[case_id] = (at.astimezone(UTC), device)
    conn.execute(
        delete(CaseSummary).where(
            CaseSummary.tenant_id == tenant_id, CaseSummary.case_id.in_(case_ids)
        )
    )
    rows = [
        row
        for case_id in case_ids
        if (row := _row(tenant_id, case_id, records.get(case_id, []), fairs, last.get(case_id)))
    ]
    if rows:
        conn.execute(insert(CaseSummary), rows)


def refresh_streams(conn: Connection, before: dict[str, int], after: dict[str, int]) -> None:
    """Refresh every case the change-log rows a push added touched (`before`/`after`: each
    stream's head when the push took its lock and when it ended).

    A fair's row changing touches every case of that tenant at the fair (its name, country
    and time zone are in the summary).
    """
    moved = [
        and_(
            ChangeLog.stream_id == stream,
            ChangeLog.server_seq > before.get(stream, 0),
            ChangeLog.server_seq <= head,
        )
        for stream, head in after.items()
        if head != before.get(stream)
    ]
    if not moved:
        return
    changes = conn.execute(
        select(ChangeLog.tenant_id, ChangeLog.entity, ChangeLog.entity_id, ChangeLog.case_id).where(
            or_(*moved)
        )
    ).all()
    keys: set[tuple[str, str]] = set()
    fairs: set[tuple[str, str]] = set()
    for tenant_id, entity, entity_id, case_id in changes:
        if case_id:
            keys.add((tenant_id, case_id))
        if entity == "case":
            keys.add((tenant_id, entity_id))
        elif entity == "fair":
            fairs.add((tenant_id, entity_id))
    pairs = sorted(fairs)
    for start in range(0, len(pairs), _CHUNK):
        chunk = pairs[start : start + _CHUNK]
        found = conn.execute(
            select(CaseSummary.tenant_id, CaseSummary.case_id).where(
                tuple_(CaseSummary.tenant_id, CaseSummary.fair_id).in_(chunk)
            )
        )
        keys.update((t, c) for t, c in found)
    refresh(conn, keys)


def rebuild(conn: Connection) -> None:
    """Recompute every case's row from the records (the migration's backfill)."""
    conn.execute(delete(CaseSummary))
    keys = conn.execute(
        select(Record.tenant_id, Record.entity_id).where(
            and_(Record.entity == "case", Record.deleted.is_(False))
        )
    ).all()
    refresh(conn, [(t, c) for t, c in keys])


# Catch-ups take this PostgreSQL advisory lock, so two never recompute the same case at once
# (a guidance centre's stream holds copies of its companies' changes). SQLite needs none: its
# write transactions already run one at a time.
_CATCH_UP_LOCK = 0x5EC5_0011


# A session in which the summary is caught up to every push (see the module docstring). Made by
# `reading`, or with `SummarySession(session)` in a transaction begun right after `catch_up`.
SummarySession = NewType("SummarySession", Session)


@contextlib.contextmanager
def reading(db: Database) -> Iterator[SummarySession]:
    """A read transaction on the summary, caught up first: how pages and commands read cases."""
    catch_up(db)
    with db.reading() as session:
        yield SummarySession(session)


def catch_up(db: Database) -> None:
    """Bring the summary up to every stream's head: call before reading it.

    Usually finds nothing to do (one read of a row per tenant). Otherwise one write transaction
    recomputes the cases touched since the last catch-up. It need not be durable: the cursors are
    committed with the rows, so a crash loses both and the next catch-up does the work again.
    """
    with db.reading() as session:
        stale = session.execute(
            select(TenantSequence.tenant_id)
            .where(TenantSequence.summary_seq < TenantSequence.value)
            .limit(1)
        ).first()
    if stale is None:
        return
    with db.writing(durable=False) as session:
        conn = session.connection()
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CATCH_UP_LOCK})
        catch_up_connection(conn)


def catch_up_connection(conn: Connection) -> None:
    """`catch_up` inside the caller's transaction (migrations, which run alone)."""
    # Committed heads only: a push commits its changes and its head together, so every change
    # up to a head read here is readable; a push committing meanwhile is left for next time.
    streams = conn.execute(
        select(TenantSequence.tenant_id, TenantSequence.summary_seq, TenantSequence.value).where(
            TenantSequence.summary_seq < TenantSequence.value
        )
    ).all()
    if not streams:
        return
    refresh_streams(
        conn,
        {stream: done for stream, done, _head in streams},
        {stream: head for stream, _done, head in streams},
    )
    for stream, _done, head in streams:
        conn.execute(
            update(TenantSequence)
            .where(TenantSequence.tenant_id == stream)
            .values(summary_seq=head)
        )
