"""Case list and case page as HQ sees them: shared by the web console and `fairdesk-hq case`.

Everything is scoped: a company sees its own cases, a guidance centre only the cases escalated
to it (a case outside the scope is "not found", never "forbidden", so ids leak nothing). Rows
are the synced records as devices pushed them (`records.fields`, wire form: ISO 8601 strings,
enum values). Search is a substring match on every field value of the case's records, lower-cased,
so Chinese works without spaces (the device indexes each CJK character instead, see
`fairdesk/search.py`; a substring match gives the same answers for a query without spaces).
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Text, and_, cast, func, select
from sqlalchemy.orm import Session

from sync.server.console.i18n import resources_root
from sync.server.models import (
    ChangeLog,
    Conflict,
    Device,
    Escalation,
    Record,
    Tenant,
    TenantBlob,
)

LEVEL_ORDER = {"red": 0, "yellow": 1, "blue": 2}
MAX_QUERY_CHARS = 200
MAX_TERMS = 8
CASE_ENTITIES = (
    "party",
    "ip_right",
    "deadline",
    "note",
    "timeline_event",
    "evidence_item",
    "custody_event",
    "document",
)


class CaseNotFound(Exception):
    """Unknown case, or one outside the caller's scope (the same answer for both)."""


@dataclass(frozen=True)
class Scope:
    tenant_id: str
    is_guidance: bool = False


@dataclass
class CaseFilter:
    level: str | None = None
    status: str | None = None
    fair_id: str | None = None
    country: str | None = None
    search: str = ""
    open_only: bool = False
    limit: int = 200


@dataclass
class _Row:
    tenant_id: str
    case_id: str
    fields: dict[str, Any] = field(default_factory=dict)


def _parse_utc(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _zone(name: str | None) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def local_iso(moment: datetime | None, zone_name: str | None) -> str | None:
    """ISO 8601 with the zone's offset (UTC when the fair's zone is unknown)."""
    if moment is None:
        return None
    zone = _zone(zone_name)
    return moment.astimezone(zone or UTC).isoformat()


def _visible(session: Session, scope: Scope) -> list[_Row]:
    query = select(Record.tenant_id, Record.entity_id, Record.fields).where(
        Record.entity == "case", Record.deleted.is_(False)
    )
    if scope.is_guidance:
        query = query.join(
            Escalation,
            and_(Escalation.tenant_id == Record.tenant_id, Escalation.case_id == Record.entity_id),
        ).where(Escalation.guidance_tenant_id == scope.tenant_id)
    else:
        query = query.where(Record.tenant_id == scope.tenant_id)
    found: Any = session.execute(query)  # rows of (str, str, dict)
    return [_Row(t, c, f or {}) for t, c, f in found]


def owner_of(session: Session, scope: Scope, case_id: str) -> str:
    """The tenant that owns `case_id` if the scope may see it; else CaseNotFound."""
    if len(case_id) > 64:
        raise CaseNotFound(case_id)
    owner = scope.tenant_id
    if scope.is_guidance:
        found = session.scalars(
            select(Escalation.tenant_id).where(
                Escalation.case_id == case_id, Escalation.guidance_tenant_id == scope.tenant_id
            )
        ).first()
        if found is None:
            raise CaseNotFound(case_id)
        owner = found
    record = session.get(Record, (owner, "case", case_id))
    if record is None or record.deleted:
        raise CaseNotFound(case_id)
    return owner


def _like_fragment(term: str) -> str:
    # Values are stored as JSON text with non-ASCII escaped (\uXXXX), so match that form.
    escaped = json.dumps(term)[1:-1]
    return "%" + escaped.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"


def _values_contain(value: Any, needle: str) -> bool:
    if isinstance(value, str):
        return needle in value.lower()
    if isinstance(value, dict):
        return any(_values_contain(v, needle) for v in value.values())
    if isinstance(value, list):
        return any(_values_contain(v, needle) for v in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return needle in str(value)
    return False


def search_terms(query: str) -> list[str]:
    return [t.lower() for t in re.split(r"\s+", query[:MAX_QUERY_CHARS].strip()) if t][:MAX_TERMS]


def _matching(session: Session, rows: list[_Row], query: str) -> set[tuple[str, str]]:
    """(tenant, case) pairs where every term occurs in some field value of the case's records."""
    owners = sorted({r.tenant_id for r in rows})
    result: set[tuple[str, str]] | None = None
    for term in search_terms(query):
        found: set[tuple[str, str]] = set()
        candidates: Any = session.execute(
            select(Record.tenant_id, Record.case_id, Record.fields).where(
                Record.tenant_id.in_(owners),
                Record.case_id.is_not(None),
                Record.deleted.is_(False),
                func.lower(cast(Record.fields, Text)).like(_like_fragment(term), escape="!"),
            )
        )
        for tenant_id, case_id, fields in candidates:
            # The JSON text also holds the keys: a match must be in a value.
            if case_id and _values_contain(fields, term):
                found.add((tenant_id, case_id))
        result = found if result is None else result & found
        if not result:
            return set()
    return result or set()


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


def _fairs(session: Session, owners: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
    rows: Any = session.execute(
        select(Record.tenant_id, Record.entity_id, Record.fields).where(
            Record.tenant_id.in_(owners), Record.entity == "fair", Record.deleted.is_(False)
        )
    )
    return {(t, e): f or {} for t, e, f in rows}


def _open_deadlines(session: Session, owners: list[str]) -> dict[tuple[str, str], list[datetime]]:
    best: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    rows: Any = session.execute(
        select(Record.tenant_id, Record.case_id, Record.fields).where(
            Record.tenant_id.in_(owners), Record.entity == "deadline", Record.deleted.is_(False)
        )
    )
    for tenant_id, case_id, fields in rows:
        if not case_id or (fields or {}).get("done"):
            continue
        due = _parse_utc((fields or {}).get("due_at"))
        if due is not None:
            best[(tenant_id, case_id)].append(due)
    return best


def _last_sync(
    session: Session, owners: list[str]
) -> dict[tuple[str, str], tuple[datetime, str | None]]:
    newest = (
        select(ChangeLog.tenant_id, ChangeLog.case_id, func.max(ChangeLog.server_seq).label("seq"))
        .where(ChangeLog.tenant_id.in_(owners), ChangeLog.device_id.is_not(None))
        .group_by(ChangeLog.tenant_id, ChangeLog.case_id)
        .subquery()
    )
    rows = session.execute(
        select(
            ChangeLog.tenant_id, ChangeLog.case_id, ChangeLog.created_at, ChangeLog.device_id
        ).join(newest, newest.c.seq == ChangeLog.server_seq)
    )
    return {(t, c): (at, d) for t, c, at, d in rows if c}


def _device_names(session: Session, owners: list[str]) -> dict[str, str]:
    return dict(
        session.execute(select(Device.id, Device.name).where(Device.tenant_id.in_(owners))).all()
    )


# The warning rules R1-R5 of `fairdesk/triage.py`, applied at HQ because devices keep the level
# local (it depends on the clock). tests/sync/console/test_case_cli.py checks both agree.
# R6 (a country's ex-parte floor from the reference library) is not applied here: the rule id
# says which rule gave the level, so the page never presents it as the device's full answer.
_COERCIVE = {"court_order", "seizure", "customs_action"}
_MUST_ANSWER = {"complaint", "warning_letter", "panel_summons"}
URGENT_HOURS = 24


def assess(trigger: Any, open_deadlines: list[datetime], now: datetime) -> tuple[str, str]:
    """(level, rule) by the rules R1-R5."""
    if trigger in _COERCIVE:
        return "red", "R1"
    if any((due - now).total_seconds() <= URGENT_HOURS * 3600 for due in open_deadlines):
        return "red", "R2"
    if trigger in _MUST_ANSWER:
        return "yellow", "R3"
    if trigger == "copy_spotted":
        return "yellow", "R4"
    return "blue", "R5"


def _situation(fields: dict[str, Any]) -> str:
    situation = fields.get("situation")
    if isinstance(situation, str) and situation:
        return situation
    return "/".join(str(fields.get(k) or "") for k in ("trigger", "direction")).strip("/")


def _summaries(session: Session, rows: list[_Row]) -> list[dict[str, Any]]:
    owners = sorted({r.tenant_id for r in rows})
    fairs = _fairs(session, owners)
    deadlines = _open_deadlines(session, owners)
    now = datetime.now(UTC)
    synced = _last_sync(session, owners)
    devices = _device_names(session, owners)
    escalations = _escalations(session, owners)
    out: list[dict[str, Any]] = []
    for row in rows:
        f = row.fields
        key = (row.tenant_id, row.case_id)
        fair = fair_fields(fairs, row.tenant_id, f.get("fair_id"))
        zone = fair.get("time_zone") or None
        open_due = deadlines.get(key, [])
        due = min(open_due) if open_due else None
        last = synced.get(key)
        computed, rule = assess(f.get("trigger"), open_due, now)
        override = f.get("level_override")
        out.append(
            {
                "id": row.case_id,
                "tenant_id": row.tenant_id,
                "number": f.get("number") or "",
                "title": str(f.get("title") or ""),
                "level": str(override or computed),
                "computed_level": computed,
                "level_rule": rule,
                "level_override": override,
                "status": str(f.get("status") or "open"),
                "trigger": f.get("trigger"),
                "direction": f.get("direction"),
                "situation": _situation(f),
                "fair": fair.get("name") or None,
                "fair_id": f.get("fair_id"),
                "fair_time_zone": zone,
                "country": (fair.get("country") or "") or None,
                "next_deadline": local_iso(due, zone),
                "next_deadline_utc": due.isoformat() if due else None,
                "device_id": last[1] if last else None,
                "device": devices.get(last[1] or "") if last else None,
                "last_sync": last[0].isoformat() if last else None,
                "escalated_to": escalations.get(key),
            }
        )
    return out


def _wanted(case: dict[str, Any], flt: CaseFilter) -> bool:
    if flt.level and case["level"] != flt.level:
        return False
    if flt.status and case["status"] != flt.status:
        return False
    if flt.open_only and case["status"] in ("settled", "closed"):
        return False
    if flt.fair_id and case["fair_id"] != flt.fair_id:
        return False
    return not (flt.country and (case["country"] or "").upper() != flt.country.upper())


def list_cases(
    session: Session, scope: Scope, flt: CaseFilter | None = None
) -> list[dict[str, Any]]:
    """Visible cases, red first, then by the next open deadline; at most `flt.limit`."""
    flt = flt or CaseFilter()
    rows = _visible(session, scope)
    if rows and flt.search.strip():
        keep = _matching(session, rows, flt.search)
        rows = [r for r in rows if (r.tenant_id, r.case_id) in keep]
    if not rows:
        return []
    out = [c for c in _summaries(session, rows) if _wanted(c, flt)]
    far = datetime.max.replace(tzinfo=UTC).isoformat()
    out.sort(
        key=lambda c: (LEVEL_ORDER.get(c["level"], 3), c["next_deadline_utc"] or far, c["title"])
    )
    return out[: max(1, flt.limit)]


def _escalations(session: Session, owners: list[str]) -> dict[tuple[str, str], str]:
    rows = session.execute(
        select(Escalation.tenant_id, Escalation.case_id, Tenant.name)
        .join(Tenant, Tenant.id == Escalation.guidance_tenant_id)
        .where(Escalation.tenant_id.in_(owners))
    )
    return {(t, c): n for t, c, n in rows}


def show_case(session: Session, scope: Scope, case_id: str) -> dict[str, Any]:
    """Everything HQ holds about one case, grouped by kind (raises CaseNotFound)."""
    owner = owner_of(session, scope, case_id)
    case = session.get_one(Record, (owner, "case", case_id))
    fields = dict(case.fields or {})
    records = session.scalars(
        select(Record)
        .where(Record.tenant_id == owner, Record.case_id == case_id, Record.deleted.is_(False))
        .order_by(Record.updated_seq)
    )
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec in records:
        if rec.entity in CASE_ENTITIES:
            grouped[rec.entity].append({"id": rec.entity_id, "version": rec.version, **rec.fields})
    fair: dict[str, Any] = {}
    if fields.get("fair_id"):
        found = fair_fields(_fairs(session, [owner]), owner, fields["fair_id"])
        fair = {"id": fields["fair_id"], **found} if found else {}
    zone = fair.get("time_zone") or None
    held = set(
        session.scalars(select(TenantBlob.sha256).where(TenantBlob.tenant_id == owner)).all()
    )
    for item in grouped["evidence_item"] + grouped["document"]:
        item["available"] = item.get("sha256") in held
    for deadline in grouped["deadline"]:
        due = _parse_utc(deadline.get("due_at"))
        deadline["due"] = local_iso(due, zone)
        deadline["due_utc"] = due.isoformat() if due else None
    grouped["deadline"].sort(key=lambda d: d["due_utc"] or "")
    grouped["timeline_event"].sort(key=lambda e: str(e.get("created_at") or ""))
    grouped["custody_event"].sort(key=lambda e: (str(e.get("device_id")), e.get("seq") or 0))
    conflicts = [
        {
            "id": c.id,
            "entity": c.entity,
            "entity_id": c.entity_id,
            "fields": c.fields,
            "created_at": c.created_at.isoformat(),
            "resolved": c.resolved_at is not None,
        }
        for c in session.scalars(
            select(Conflict)
            .where(Conflict.tenant_id == owner, Conflict.case_id == case_id)
            .order_by(Conflict.created_at)
        )
    ]
    [summary] = _summaries(session, [_Row(owner, case_id, fields)])
    return {
        **summary,
        "id": case_id,
        "tenant_id": owner,
        "fields": fields,
        "fair": fair or None,
        "fair_name": fair.get("name"),
        "fair_time_zone": zone,
        "parties": grouped["party"],
        "rights": grouped["ip_right"],
        "deadlines": grouped["deadline"],
        "notes": grouped["note"],
        "timeline": grouped["timeline_event"],
        "evidence": grouped["evidence_item"],
        "custody": grouped["custody_event"],
        "documents": grouped["document"],
        "conflicts": conflicts,
    }


def case_item(
    session: Session, scope: Scope, case_id: str, entity: str, item_id: str
) -> tuple[str, dict[str, Any]]:
    """(owner tenant, fields) of one evidence item or document of a visible case."""
    owner = owner_of(session, scope, case_id)
    if len(item_id) > 64:
        raise CaseNotFound(item_id)
    rec = session.get(Record, (owner, entity, item_id))
    if rec is None or rec.deleted or rec.case_id != case_id:
        raise CaseNotFound(item_id)
    return owner, dict(rec.fields or {})


def tenant_holds(session: Session, tenant_id: str, sha256: str) -> bool:
    return session.get(TenantBlob, (tenant_id, sha256)) is not None
