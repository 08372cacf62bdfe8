"""Case list and case page as HQ sees them: shared by the web console and `fairdesk-hq case`.

Everything is scoped: a company sees its own cases, a guidance centre only the cases escalated
to it (a case outside the scope is "not found", never "forbidden", so ids leak nothing). Rows
are the synced records as devices pushed them (`records.fields`, wire form: ISO 8601 strings,
enum values). The list reads `case_summary` (one row per case, caught up to every push before
each read: hence the `SummarySession` these functions take, see `sync.server.summary`). Search
is a substring match on every field value of the case's records, lower-cased, so Chinese works
without spaces (the device indexes each CJK character instead, see `fairdesk/search.py`; a
substring match gives the same answers for a query without spaces). On SQLite an FTS5 trigram
index narrows terms of three or more characters, on PostgreSQL a pg_trgm GIN index; shorter
terms scan the summary.
"""

from __future__ import annotations

import functools
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    and_,
    case,
    column,
    false,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from sync.server import situation, summary
from sync.server.models import (
    CaseSummary,
    Conflict,
    Device,
    Escalation,
    Record,
    ReferenceEntry,
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


_parse_utc = summary.parse_utc


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


catalogue_fairs = summary.catalogue_fairs
fair_fields = summary.fair_fields


def _fairs(session: Session, owners: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
    rows: Any = session.execute(
        select(Record.tenant_id, Record.entity_id, Record.fields).where(
            Record.tenant_id.in_(owners), Record.entity == "fair", Record.deleted.is_(False)
        )
    )
    return {(t, e): f or {} for t, e, f in rows}


def _device_names(session: Session, ids: list[str]) -> dict[str, str]:
    return dict(session.execute(select(Device.id, Device.name).where(Device.id.in_(ids))).all())


# The warning rules R1-R6 of `fairdesk/triage.py`, applied at HQ because devices keep the level
# local (it depends on the clock and the library). R1-R5 read the trigger of the situation in
# force and R6 the library's ex-parte countries (`sync.server.situation`, a port of the device's
# reading; tests/sync/client/test_hq_levels.py checks that a device and HQ agree).
_COERCIVE = {"court_order", "seizure", "customs_action"}
_MUST_ANSWER = {"complaint", "warning_letter", "panel_summons"}
URGENT_HOURS = 24


def assess(
    trigger: Any, open_deadlines: list[datetime], now: datetime, floor: bool = False
) -> tuple[str, str]:
    """(level, rule) by the rules R1-R6; `floor`: the case is against us in an ex-parte country."""
    if trigger in _COERCIVE:
        return "red", "R1"
    if any((due - now).total_seconds() <= URGENT_HOURS * 3600 for due in open_deadlines):
        return "red", "R2"
    if trigger in _MUST_ANSWER:
        return "yellow", "R3"
    if trigger == "copy_spotted":
        return "yellow", "R4"
    return ("yellow", "R6") if floor else ("blue", "R5")


def ex_parte_countries(session: Session, tenant_id: str) -> frozenset[str]:
    """The R6 countries of the library a device of `tenant_id` has (shipped + HQ's updates)."""
    published: Any = session.scalars(
        select(ReferenceEntry.data).where(
            ReferenceEntry.kind == "library",
            ReferenceEntry.deleted.is_(False),
            or_(ReferenceEntry.tenant_id.is_(None), ReferenceEntry.tenant_id == tenant_id),
        )
    ).all()
    return situation.ex_parte_countries([p for p in published if isinstance(p, dict)])


def _floor(session: summary.SummarySession, owners: list[str]) -> Any:
    """SQL: the case is against us in a country whose courts act ex parte (rule R6)."""
    s = CaseSummary
    by_library: dict[frozenset[str], list[str]] = defaultdict(list)
    for owner in owners:
        by_library[ex_parte_countries(session, owner)].append(owner)
    clauses = [
        and_(s.tenant_id.in_(tenants), s.floor_country.in_(sorted(countries)))
        for countries, tenants in by_library.items()
        if countries
    ]
    return or_(*clauses) if clauses else false()


def _level_columns(now: datetime, floor: Any) -> tuple[Any, Any, Any]:
    """(computed level, rule, level) as SQL over the summary: `assess`, then the override."""
    s = CaseSummary
    urgent = s.next_due_at <= now + timedelta(hours=URGENT_HOURS)
    rule = case(
        (s.rule_trigger.in_(sorted(_COERCIVE)), "R1"),
        (urgent, "R2"),
        (s.rule_trigger.in_(sorted(_MUST_ANSWER)), "R3"),
        (s.rule_trigger == "copy_spotted", "R4"),
        (floor, "R6"),
        else_="R5",
    )
    computed = case(
        (s.rule_trigger.in_(sorted(_COERCIVE)), "red"),
        (urgent, "red"),
        (s.rule_trigger.in_(sorted(_MUST_ANSWER | {"copy_spotted"})), "yellow"),
        (floor, "yellow"),
        else_="blue",
    )
    return computed, rule, func.coalesce(s.level_override, computed)


def _has_fts(session: Session) -> bool:
    found = session.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'case_summary_fts'")
    ).first()
    return found is not None


def _term_clause(session: Session, dialect: str, term: str, fts: bool) -> Any:
    """Cases whose search text contains `term` (exact substring of the lower-cased values)."""
    s = CaseSummary
    if dialect == "postgresql":
        # LIKE, not strpos(): the pg_trgm GIN index serves LIKE (terms of three or more chars).
        pattern = "%" + term.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"
        return s.search_text.like(pattern, escape="!")
    contains = func.instr(s.search_text, term) > 0
    if not fts or len(term) < 3:  # a trigram index cannot answer shorter terms
        return contains
    index = table("case_summary_fts", column("rowid"))
    phrase = '"' + term.replace('"', '""') + '"'
    hits = select(index.c.rowid).where(literal_column("case_summary_fts").op("MATCH")(phrase))
    return and_(s.id.in_(hits), contains)


def _summary_rows(
    session: summary.SummarySession, scope: Scope, flt: CaseFilter, case_id: str | None = None
) -> list[Any]:
    s = CaseSummary
    dialect = session.get_bind().dialect.name
    if scope.is_guidance:
        owners = sorted(
            session.scalars(
                select(Escalation.tenant_id)
                .where(Escalation.guidance_tenant_id == scope.tenant_id)
                .distinct()
            )
        )
    else:
        owners = [scope.tenant_id]
    computed, rule, level = _level_columns(datetime.now(UTC), _floor(session, owners))
    columns = [getattr(CaseSummary, name) for name in _COLUMNS]
    query = select(*columns, computed.label("computed"), rule.label("rule"), level.label("level"))
    if scope.is_guidance:
        query = query.join(
            Escalation,
            and_(Escalation.tenant_id == s.tenant_id, Escalation.case_id == s.case_id),
        ).where(Escalation.guidance_tenant_id == scope.tenant_id)
    else:
        query = query.where(s.tenant_id == scope.tenant_id)
    if case_id is not None:
        query = query.where(s.case_id == case_id)
    terms = search_terms(flt.search)
    fts = bool(terms) and dialect == "sqlite" and _has_fts(session)
    for term in terms:
        query = query.where(_term_clause(session, dialect, term, fts))
    if flt.level:
        query = query.where(level == flt.level)
    if flt.status:
        query = query.where(s.status == flt.status)
    if flt.open_only:
        query = query.where(s.status.not_in(("settled", "closed")))
    if flt.fair_id:
        query = query.where(s.fair_id == flt.fair_id)
    if flt.country:
        query = query.where(func.upper(s.country) == flt.country.upper())
    order = case(*((level == name, rank) for name, rank in LEVEL_ORDER.items()), else_=3)
    # Code point order, as Python sorts strings (PostgreSQL's default collation would not).
    title = s.title.collate("C") if dialect == "postgresql" else s.title
    ident = s.case_id.collate("C") if dialect == "postgresql" else s.case_id
    query = query.order_by(order, s.next_due_at.asc().nulls_last(), title, ident)
    # Core, not ORM, execution: plain rows (ORM entities cost several times the query).
    return list(session.connection().execute(query.limit(max(1, flt.limit))))


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is UTC:
        return moment
    return moment.astimezone(UTC)


# The summary's columns a list row needs, in the order `_summaries` unpacks them.
_COLUMNS = (
    "tenant_id",
    "case_id",
    "number",
    "title",
    "status",
    "trigger",
    "direction",
    "situation",
    "level_override",
    "fair_id",
    "fair_name",
    "country",
    "fair_time_zone",
    "next_due_at",
    "last_sync_at",
    "last_device_id",
)


def _summaries(session: Session, rows: list[Any]) -> list[dict[str, Any]]:
    """The list's dictionaries for the rows of one page (device and centre names looked up)."""
    devices = _device_names(session, sorted({r.last_device_id for r in rows if r.last_device_id}))
    escalations = _escalations(session, [(r.tenant_id, r.case_id) for r in rows])
    out: list[dict[str, Any]] = []
    # Tuple unpacking, not attribute access: a 10,000-row list spends its time here.
    for (
        tenant_id,
        case_id,
        number,
        title,
        status,
        trigger,
        direction,
        situation_key,
        override,
        fair_id,
        fair_name,
        country,
        zone,
        next_due,
        last_sync,
        device_id,
        computed,
        rule,
        level,
    ) in rows:
        due, last = _utc(next_due), _utc(last_sync)
        out.append(
            {
                "id": case_id,
                "tenant_id": tenant_id,
                "number": number or "",
                "title": title,
                "level": level,
                "computed_level": computed,
                "level_rule": rule,
                "level_override": override,
                "status": status,
                "trigger": trigger,
                "direction": direction,
                "situation": situation_key,
                "fair": fair_name,
                "fair_id": fair_id,
                "fair_time_zone": zone,
                "country": country,
                "next_deadline": local_iso(due, zone),
                "next_deadline_utc": due.isoformat() if due else None,
                "device_id": device_id,
                "device": devices.get(device_id or "") if last else None,
                "last_sync": last.isoformat() if last else None,
                "escalated_to": escalations.get((tenant_id, case_id)),
            }
        )
    return out


def list_cases(
    session: summary.SummarySession, scope: Scope, flt: CaseFilter | None = None
) -> list[dict[str, Any]]:
    """Visible cases, red first, then by the next open deadline; at most `flt.limit`.

    One statement over `case_summary` (filtering, level, order and limit in SQL); names of
    devices and centres are looked up for the returned page only.
    """
    flt = flt or CaseFilter()
    return _summaries(session, _summary_rows(session, scope, flt))


def _escalations(session: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Centre names of these cases' escalations: one query per owner tenant (escalations are few;
    a tuple IN over a 10,000-case page cost more than the page itself)."""
    wanted = set(keys)
    rows = session.execute(
        select(Escalation.tenant_id, Escalation.case_id, Tenant.name)
        .join(Tenant, Tenant.id == Escalation.guidance_tenant_id)
        .where(Escalation.tenant_id.in_(sorted({t for t, _c in wanted})))
    )
    return {(t, c): n for t, c, n in rows if (t, c) in wanted}


def show_case(session: summary.SummarySession, scope: Scope, case_id: str) -> dict[str, Any]:
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
    [row] = [
        r
        for r in _summary_rows(session, scope, CaseFilter(limit=10), case_id)
        if r.tenant_id == owner
    ]
    [summary] = _summaries(session, [row])
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
