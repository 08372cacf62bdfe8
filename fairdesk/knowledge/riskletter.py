"""One click from a risk-map row to the risk reminder letter (风险提示函) for the exhibitors
going there.

The letter is the documents service's kind ``risk_reminder``, which applies to watch items /
risk notices only. So the click files (or reuses) a *risk notice* case for the fair — the
destination country's next fair in the catalogue when the row is a country — with our exporters
known to go there as parties ("Us"), and renders the letter on it. The risk items are the map's
own facts (cases, open cases, the row's colour and rule) and the destination's legal risk
profile as library card titles; an aspect without a sourced card is written as a gap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from fairdesk import cases, geo
from fairdesk.cases import CaseInput, PartyInput
from fairdesk.documents import service
from fairdesk.errors import ValidationError
from fairdesk.fairs import FairRow, list_fairs
from fairdesk.i18n import _
from fairdesk.knowledge import riskmaps, riskprofile
from fairdesk.knowledge.library import Library
from fairdesk.model import LABELS, Case, Direction, PartyRole, Trigger
from fairdesk.store import Store
from fairdesk.timeutil import utcnow

KIND = "risk_reminder"


@dataclass(frozen=True)
class Reminder:
    case_id: str
    fair: FairRow
    exhibitors: tuple[str, ...]
    result: service.GenerationResult


def _fair_for(fairs: list[FairRow], map_kind: str, key: str, now: datetime) -> FairRow:
    if map_kind == "fair":
        for fair in fairs:
            if fair.name.casefold().strip() == key:
                return fair
        raise ValidationError(_("The fair {name} is not in the catalogue.").format(name=key))
    upcoming = riskprofile.upcoming_fairs(fairs, key, now.date())
    if not upcoming:
        raise ValidationError(
            _("No fair in {country} is in the catalogue: add the fair first.").format(
                country=geo.country_name(key)
            )
        )
    return upcoming[0]


def _exhibitors(store: Store, fair: FairRow, country: str) -> tuple[str, ...]:
    """Our exporters on any case at this fair (or, for a country row, in that country)."""
    facts = riskmaps._load_cases(store, riskmaps.RiskFilter())
    names: dict[str, str] = {}
    for case in facts:
        if case.fair == fair.name or (country and case.country.upper() == country):
            for name in case.ours:
                names.setdefault(riskmaps.normalise_name(name), riskmaps._display_name(name))
    return tuple(sorted(names.values(), key=str.casefold))


def risk_items(row: riskmaps.RiskRow, country: str, library: Library) -> str:
    """The letter's risk lines: the map's facts, then the sourced profile (gaps as gaps)."""
    lines = [
        _(
            "{name}: {n} cases on our risk map, {open} open; level {level} (rule {rule}: {text})."
        ).format(
            name=row.label(),
            n=row.count,
            open=row.open,
            level=_(LABELS[row.level]),
            rule=row.rule,
            text=_(riskmaps.ROW_RULES[row.rule]),
        )
    ]
    for aspect in riskprofile.profile(country, library):
        label = _(riskprofile.ASPECTS[aspect.key])
        if aspect.gap:
            lines.append(
                _("{aspect}: no sourced card in our library — ask counsel.").format(aspect=label)
            )
        else:
            lines.append(f"{label}: " + "; ".join(aspect.titles()))
    return "\n".join(lines)


def _reuse_or_create(store: Store, fair: FairRow, exhibitors: tuple[str, ...]) -> str:
    title = _("Risk reminder: {fair}").format(fair=fair.name)
    with store.read() as session:
        found = session.scalars(
            select(Case.id).where(
                Case.title == title, Case.fair_id == fair.id, Case.deleted_at.is_(None)
            )
        ).first()
    if found:
        return found
    return cases.create_case(
        store,
        CaseInput(
            title,
            Direction.BY_US,
            Trigger.RISK_NOTICE,
            fair.id,
            parties=[PartyInput(PartyRole.US, name, name) for name in exhibitors],
        ),
    )


def reminder_for_row(
    store: Store,
    risk_map: riskmaps.RiskMap,
    row: riskmaps.RiskRow,
    library: Library,
    language: str,
    fields: Mapping[str, str] | None = None,
    *,
    now: datetime | None = None,
) -> Reminder:
    """Render the risk reminder for a destinations row (a country) or a fair row.

    Raises ValidationError with a sentence the responder understands (no fair there; the
    company name or signatory still missing: MissingFieldsError lists them)."""
    now = now or utcnow()
    is_fair = row in risk_map.fairs
    fairs = list_fairs(store)
    fair = _fair_for(fairs, "fair" if is_fair else "country", row.key, now)
    country = fair.country.upper()
    exhibitors = _exhibitors(store, fair, "" if is_fair else country)
    case_id = _reuse_or_create(store, fair, exhibitors)
    values = dict(service.last_fields(store, case_id))
    values.update(fields or {})
    values.setdefault("risk_items", risk_items(row, country, library))
    values.setdefault(
        "recipients",
        _("Our exhibitors going to {fair}: {names}").format(
            fair=fair.name, names=", ".join(exhibitors)
        )
        if exhibitors
        else _("All our exhibitors going to {fair}").format(fair=fair.name),
    )
    result = service.render_document(store, case_id, KIND, language, values, now=now)
    return Reminder(case_id, fair, exhibitors, result)
