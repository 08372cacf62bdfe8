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

from sqlalchemy import Text, and_, cast, func, literal_column, select
from sqlalchemy.orm import Session, aliased

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
PAGE_SIZE = 500  # cases on one console list page
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


@dataclass(eq=False)
class _Row:
    """A visible case: the few values sorting and filtering need, the rest decoded on demand."""

    tenant_id: str
    case_id: str
    fields_json: str | None
    title: str
    trigger: Any
    level_override: Any
    status: str
    fair_id: Any
    last_sync: tuple[datetime, str | None] | None = None
    open_due: list[datetime] = field(default_factory=list)

    @functools.cached_property
    def fields(self) -> dict[str, Any]:
        decoded = json.loads(self.fields_json) if self.fields_json else None
        return decoded if isinstance(decoded, dict) else {}


def _parse_utc(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@functools.lru_cache(maxsize=256)
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


def _owners(session: Session, scope: Scope) -> list[str]:
    if not scope.is_guidance:
        return [scope.tenant_id]
    found = session.scalars(
        select(Escalation.tenant_id)
        .where(Escalation.guidance_tenant_id == scope.tenant_id)
        .distinct()
    )
    return sorted(found)


def _chunks(items: list[str], size: int = 5000) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def _json_text(dialect: str, column: Any, key: str) -> Any:
    """A top-level JSON value as SQL text/scalar: the one place the two dialects differ."""
    if dialect == "postgresql":
        return column.op("->>")(key)
    return func.json_extract(column, f"$.{key}")


def _open_due_dates(dialect: str) -> Any:
    """Every open deadline's `due_at` of the outer case, joined by U+001F (parsed in Python).

    Not `min()` in SQL: devices may send different UTC offsets, and ISO strings with different
    offsets do not sort as instants. `done` counts as open when absent, false, 0 or "".
    """
    deadline = aliased(Record)
    due = _json_text(dialect, deadline.fields, "due_at")
    done = _json_text(dialect, deadline.fields, "done")
    if dialect == "postgresql":
        still_open = func.coalesce(done, "false").in_(["false", "0", ""])
    else:
        # Literal SQL, not bound parameters: a typed bind would coerce "" to an integer.
        still_open = func.coalesce(done, literal_column("0")).in_(
            [literal_column("0"), literal_column("''")]
        )
    return (
        select(func.aggregate_strings(due, _SEP))
        .where(
            deadline.tenant_id == Record.tenant_id,
            deadline.case_id == Record.entity_id,
            deadline.entity == "deadline",
            deadline.deleted.is_(False),
            still_open,
        )
        .correlate(Record)
        .scalar_subquery()
    )


_SEP = "\x1f"
_ROW_KEYS = ("title", "trigger", "level_override", "status", "fair_id")


def _visible(session: Session, scope: Scope, case_ids: list[str] | None = None) -> list[_Row]:
    """Visible cases (only `case_ids` when given) with open due dates and last device sync.

    One statement: the per-case work (open deadlines, newest device change) is done by the
    database on its indexes, so Python only turns rows into summaries.
    """
    dialect = session.get_bind().dialect.name
    newer = aliased(ChangeLog)
    last_seq = (
        select(func.max(newer.server_seq))
        .where(
            newer.stream_id == Record.tenant_id,
            newer.tenant_id == Record.tenant_id,
            newer.case_id == Record.entity_id,
            newer.device_id.is_not(None),
        )
        .correlate(Record)
        .scalar_subquery()
    )
    base = (
        select(
            Record.tenant_id,
            Record.entity_id,
            # The JSON text, decoded only for the cases on the page (see `_Row.fields`).
            cast(Record.fields, Text),
            *(_json_text(dialect, Record.fields, key) for key in _ROW_KEYS),
            ChangeLog.created_at,
            ChangeLog.device_id,
            _open_due_dates(dialect),
        )
        .outerjoin(
            ChangeLog,
            and_(ChangeLog.stream_id == Record.tenant_id, ChangeLog.server_seq == last_seq),
        )
        .where(Record.entity == "case", Record.deleted.is_(False))
    )
    if scope.is_guidance:
        base = base.join(
            Escalation,
            and_(Escalation.tenant_id == Record.tenant_id, Escalation.case_id == Record.entity_id),
        ).where(Escalation.guidance_tenant_id == scope.tenant_id)
    else:
        base = base.where(Record.tenant_id == scope.tenant_id)
    out: list[_Row] = []
    for chunk in _chunks(case_ids) if case_ids is not None else [None]:
        query = base if chunk is None else base.where(Record.entity_id.in_(chunk))
        # Core, not ORM, execution: the rows are plain tuples, ORM row handling cost ~30 %.
        found: Any = session.connection().execute(query)
        for (
            tenant_id,
            case_id,
            text,
            title,
            trigger,
            override,
            status,
            fair,
            at,
            device,
            dues,
        ) in found:
            parsed = [_parse_utc(d) for d in dues.split(_SEP)] if dues else []
            out.append(
                _Row(
                    tenant_id,
                    case_id,
                    text,
                    str(title or ""),
                    trigger,
                    override,
                    str(status or "open"),
                    fair,
                    (at, device) if at is not None else None,
                    [d for d in parsed if d is not None],
                )
            )
    return out


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


def _matching(session: Session, owners: list[str], query: str) -> set[tuple[str, str]]:
    """(tenant, case) pairs where every term occurs in some field value of the case's records."""
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
            if case_id and (tenant_id, case_id) not in found and _values_contain(fields, term):
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


@dataclass
class _Assessed:
    """What sorting and filtering need; the full summary is built only for the shown page."""

    row: _Row
    fair: dict[str, Any]
    due: datetime | None
    computed: str
    rule: str
    level: str
    status: str


def _assess_rows(session: Session, rows: list[_Row]) -> list[_Assessed]:
    fairs = _fairs(session, sorted({r.tenant_id for r in rows}))
    now = datetime.now(UTC)
    out: list[_Assessed] = []
    for row in rows:
        computed, rule = assess(row.trigger, row.open_due, now)
        out.append(
            _Assessed(
                row,
                fair_fields(fairs, row.tenant_id, row.fair_id),
                min(row.open_due) if row.open_due else None,
                computed,
                rule,
                str(row.level_override or computed),
                row.status,
            )
        )
    return out


def _summaries(session: Session, items: list[_Assessed]) -> list[dict[str, Any]]:
    owners = sorted({i.row.tenant_id for i in items})
    devices = _device_names(session, owners)
    escalations = _escalations(session, owners)
    out: list[dict[str, Any]] = []
    for item in items:
        row, fair, due = item.row, item.fair, item.due
        f = row.fields
        zone = fair.get("time_zone") or None
        last = row.last_sync
        out.append(
            {
                "id": row.case_id,
                "tenant_id": row.tenant_id,
                "number": f.get("number") or "",
                "title": str(f.get("title") or ""),
                "level": item.level,
                "computed_level": item.computed,
                "level_rule": item.rule,
                "level_override": f.get("level_override"),
                "status": item.status,
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
                "escalated_to": escalations.get((row.tenant_id, row.case_id)),
            }
        )
    return out


def _wanted(item: _Assessed, flt: CaseFilter) -> bool:
    if flt.level and item.level != flt.level:
        return False
    if flt.status and item.status != flt.status:
        return False
    if flt.open_only and item.status in ("settled", "closed"):
        return False
    if flt.fair_id and item.row.fair_id != flt.fair_id:
        return False
    country = item.fair.get("country") or ""
    return not (flt.country and country.upper() != flt.country.upper())


def list_cases(
    session: Session, scope: Scope, flt: CaseFilter | None = None
) -> list[dict[str, Any]]:
    """Visible cases, red first, then by the next open deadline; at most `flt.limit`.

    Sorting and filtering use only what `_assess_rows` computes; the summaries (zones, device
    names, ISO strings) are built for the returned page only.
    """
    flt = flt or CaseFilter()
    if flt.search.strip():
        keep = _matching(session, _owners(session, scope), flt.search)
        case_ids = sorted({c for _t, c in keep})
        rows = [r for r in _visible(session, scope, case_ids) if (r.tenant_id, r.case_id) in keep]
    else:
        rows = _visible(session, scope)
    if not rows:
        return []
    kept = [i for i in _assess_rows(session, rows) if _wanted(i, flt)]
    far = datetime.max.replace(tzinfo=UTC)
    # The same order as sorting by the UTC ISO strings, as all due dates are UTC instants.
    kept.sort(
        key=lambda i: (
            LEVEL_ORDER.get(i.level, 3),
            i.due or far,
            i.row.title,
            i.row.case_id,  # ties in a stable order, whatever order the database returned
        )
    )
    return _summaries(session, kept[: max(1, flt.limit)])


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
    [row] = [r for r in _visible(session, scope, [case_id]) if r.tenant_id == owner]
    [summary] = _summaries(session, _assess_rows(session, [row]))
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
