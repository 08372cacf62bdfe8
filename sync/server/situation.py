"""A case's situation and the R6 country floor at HQ: a port of `fairdesk/situation.py` and
`fairdesk/knowledge/levels.py` (the server may not import the desktop core).

Devices keep the level local (it is never pushed), so HQ reads the same synced facts the device
reads — trigger, direction, the user's correction (`situation_override`), the fair's country,
court/authority parties and the offices of rights asserted against us — and levels the case
with the same rules. `tests/sync/console/test_hq_levels.py` checks that a device and HQ agree
on the same cases; if the device's reading changes, that test fails until this port follows.

The words (`describe`) use the device's own English sentences, so the Chinese comes from the
same catalog entries.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any

from sync.server.console.i18n import resources_root, translate

UPC = "UPC"
ROLES = ("respondent", "complainant", "watch", "holder_watch")
EVENTS = (
    "ex_parte_order_served",
    "warning_letter",
    "customs_detention_of_our_goods",
    "our_customs_application",
    "desk_complaint_against_us",
    "our_desk_complaint",
    "police_raid",
    "bailiff_seizure",
    "copy_spotted",
    "risk_notice",
    "our_court_order",
    "our_seizure",
)
_AGAINST_US = {
    "court_order": "ex_parte_order_served",
    "seizure": "bailiff_seizure",
    "customs_action": "customs_detention_of_our_goods",
    "panel_summons": "desk_complaint_against_us",
    "complaint": "desk_complaint_against_us",
    "warning_letter": "warning_letter",
    "copy_spotted": "copy_spotted",
    "risk_notice": "risk_notice",
    "watch": "risk_notice",
}
_BY_US = {
    "court_order": "our_court_order",
    "seizure": "our_seizure",
    "customs_action": "our_customs_application",
    "panel_summons": "our_desk_complaint",
    "complaint": "our_desk_complaint",
    "warning_letter": "copy_spotted",
    "copy_spotted": "copy_spotted",
    "risk_notice": "risk_notice",
    "watch": "risk_notice",
}
# The trigger whose rule (R1-R5) a corrected situation is levelled by (`levels._EVENT_TRIGGER`).
EVENT_TRIGGER = {
    "ex_parte_order_served": "court_order",
    "bailiff_seizure": "seizure",
    "police_raid": "seizure",
    "customs_detention_of_our_goods": "customs_action",
    "our_customs_application": "customs_action",
    "desk_complaint_against_us": "complaint",
    "our_desk_complaint": "complaint",
    "warning_letter": "warning_letter",
    "copy_spotted": "copy_spotted",
    "risk_notice": "risk_notice",
    "our_court_order": "court_order",
    "our_seizure": "seizure",
}
_UPC_COURT_NAMES = ("unified patent court", "统一专利法院", "einheitliches patentgericht")
_UPC_WORD = re.compile(r"(?<![a-z0-9])upc(?![a-z0-9])")
_UPC_OFFICES = frozenset({"UPC", "EPUE", "UP"})
_COURT_EVENTS = frozenset({"ex_parte_order_served", "bailiff_seizure"})
_OUR_COURT_EVENTS = frozenset({"our_court_order", "our_seizure"})
_AUTHORITY_ROLES = frozenset({"court", "authority", "court_or_authority"})
COUNTRY_ALIASES = {"UK": "GB", "EL": "GR"}

# The device's sentences (msgids of fairdesk/situation.py: the catalog has their Chinese).
ROLE_LABELS = {
    "respondent": "you are the respondent",
    "complainant": "you are the complainant",
    "watch": "nothing is pending against you yet",
    "holder_watch": "you hold the rights and are watching for copies",
}
EVENT_LABELS = {
    "ex_parte_order_served": "Served: ex-parte court order",
    "warning_letter": "Warning letter received",
    "customs_detention_of_our_goods": "Customs detained our goods",
    "our_customs_application": "Our customs application",
    "desk_complaint_against_us": "Complaint against us at the fair's IP desk",
    "our_desk_complaint": "Our complaint at the fair's IP desk",
    "police_raid": "Police or criminal raid",
    "bailiff_seizure": "Seizure or description by a bailiff",
    "copy_spotted": "Copy of our product spotted",
    "risk_notice": "Risk notice",
    "our_court_order": "Court order obtained by us",
    "our_seizure": "Seizure or description at our request",
}
UPC_LABEL = "Unified Patent Court (UPC)"
# fairdesk/enums.py's labels, for a case whose facts give no situation (raw trigger/direction).
TRIGGER_LABELS = {
    "court_order": "Court order / injunction",
    "seizure": "Seizure by bailiff or police",
    "customs_action": "Customs action",
    "panel_summons": "Summons from the fair's IP panel",
    "complaint": "Complaint to the fair",
    "warning_letter": "Warning letter",
    "copy_spotted": "Copy of our product spotted",
    "risk_notice": "Risk notice",
    "watch": "Watch item",
}
DIRECTION_LABELS = {
    "against_us": "Against us (we were served)",
    "by_us": "By us (we found a copy)",
}


@dataclass(frozen=True)
class Reading:
    """The situation in force and what levels the case (see `levels.assess_case`)."""

    role: str
    event: str
    jurisdiction: str
    rule_trigger: str  # the trigger R1-R5 read: the recorded one, or the corrected event's
    floor_country: str | None  # the country whose ex-parte floor (R6) applies, if against us

    def key(self) -> str:
        return f"{self.role}/{self.event}/{self.jurisdiction or '-'}"


def normalise_country(code: str) -> str:
    code = code.strip().upper()
    return COUNTRY_ALIASES.get(code, code)


def _names_upc(name: str) -> bool:
    text = name.strip().lower()
    return bool(_UPC_WORD.search(text)) or any(alias in text for alias in _UPC_COURT_NAMES)


def _parse_key(key: str) -> tuple[str, str, str] | None:
    parts = key.strip().split("/")
    if len(parts) != 3:
        return None
    role, event, where = (p.strip() for p in parts)
    role, event, where = role.lower(), event.lower(), where.upper()
    if role not in ROLES or event not in EVENTS:
        return None
    where = "" if where == "-" else where
    if where and where != UPC and not (len(where) == 2 and where.isalpha()):
        return None
    return role, event, where


def read(
    case: dict[str, Any], country: str, records: list[tuple[str, dict[str, Any]]]
) -> Reading | None:
    """The reading of a case from its synced fields and records; None for facts no device
    writes (an unknown trigger): then HQ shows the rule R1-R5 and no floor, as before."""
    trigger, direction = case.get("trigger"), case.get("direction")
    if trigger not in _AGAINST_US or direction not in ("against_us", "by_us"):
        return None
    event = (_AGAINST_US if direction == "against_us" else _BY_US)[trigger]
    if trigger == "watch" and direction == "by_us":
        role = "holder_watch"
    elif event == "risk_notice":
        role = "watch"
    elif direction == "against_us":
        role = "respondent"
    else:
        role = "complainant"
    where = country.upper()
    parties = [f for entity, f in records if entity == "party"]
    roles = {str(p.get("role") or "") for p in parties}
    if event == "bailiff_seizure" and "police" in roles and "bailiff" not in roles:
        event = "police_raid"
    courts = [
        f"{p.get('name') or ''} {p.get('organisation') or ''}".strip()
        for p in parties
        if str(p.get("role") or "") in _AUTHORITY_ROLES
    ]
    upc_court = any(_names_upc(n) for n in courts)
    if event in _OUR_COURT_EVENTS and role == "complainant" and upc_court:
        where = UPC  # our own order, from the UPC
    if event in _COURT_EVENTS and role == "respondent":
        offices = [
            str(f.get("office") or "")
            for entity, f in records
            if entity == "ip_right" and not f.get("asserted_by_us") and f.get("office")
        ]
        if upc_court or any(o.strip().upper() in _UPC_OFFICES for o in offices):
            where = UPC
    computed = (role, event, where)
    chosen, corrected = computed, False
    override = case.get("situation_override")
    if isinstance(override, str) and override.strip().lower() not in ("", "auto", "computed"):
        parsed = _parse_key(override)
        if parsed is not None:
            chosen, corrected = parsed, parsed != computed
    role, event, where = chosen
    against_us = role == "respondent" or (role == "watch" and direction == "against_us")
    floor = None
    if against_us:
        floor_raw = country if where in ("", UPC) else where
        floor = normalise_country(floor_raw) or None
    return Reading(role, event, where, EVENT_TRIGGER[event] if corrected else trigger, floor)


# --- the library's ex-parte countries (rule R6) ------------------------------------------------


@functools.cache
def _shipped() -> tuple[int, tuple[dict[str, Any], ...]]:
    folder = resources_root() / "reference"
    try:
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        entries: list[dict[str, Any]] = []
        for name in manifest["files"]:
            entries.extend(json.loads((folder / name).read_text("utf-8")).get("entries", []))
        return int(manifest["library_version"]), tuple(entries)
    except (OSError, ValueError, KeyError, TypeError):
        return 0, ()


def ex_parte_countries(published: list[dict[str, Any]]) -> frozenset[str]:
    """Countries where an instrument entry of the library in force says `ex_parte: true`.

    The library in force is the device's: the shipped one, replaced by the newest library HQ
    published for the tenant (a whole library, or changes on top of the version before it).
    """
    version, shipped = _shipped()
    entries = {str(e.get("id")): e for e in shipped}
    ordered = sorted(
        (p for p in published if isinstance(p.get("library_version"), int)),
        key=lambda p: int(p["library_version"]),
    )
    for payload in ordered:
        if payload["library_version"] <= version:
            continue
        if isinstance(payload.get("entries"), list):
            entries = {str(e.get("id")): e for e in payload["entries"] if isinstance(e, dict)}
        elif payload.get("base_version") == version:
            for entry in payload.get("upsert") or []:
                if isinstance(entry, dict):
                    entries[str(entry.get("id"))] = entry
            for gone in payload.get("delete") or []:
                entries.pop(str(gone), None)
        else:
            continue  # a device could not apply it either
        version = payload["library_version"]
    out: set[str] = set()
    for entry in entries.values():
        if entry.get("kind") == "instrument" and entry.get("ex_parte"):
            out.add(normalise_country(str(entry.get("country") or "")))
            out.update(normalise_country(str(c)) for c in entry.get("applies_in") or [])
    return frozenset(c for c in out if c)


# --- words -------------------------------------------------------------------------------------


def jurisdiction_label(code: str, language: str) -> str:
    if not code:
        return translate("no country", language)
    if code == UPC:
        return translate(UPC_LABEL, language)
    try:
        from babel import Locale

        locale = Locale.parse("zh_Hans_CN" if language.startswith("zh") else "en")
        name = locale.territories.get(code)
    except (ValueError, LookupError):
        name = None
    return str(name) if name else code


def describe(key: str | None, language: str) -> str:
    """ "Served: ex-parte court order, Germany — you are the respondent", in the language."""
    parsed = _parse_key(key or "")
    if parsed is None:  # "trigger/direction" of a case no situation could be read for
        words = {**TRIGGER_LABELS, **DIRECTION_LABELS}
        parts = (key or "").split("/")
        return " — ".join(translate(words[p], language) if p in words else p for p in parts)
    role, event, where = parsed
    return translate("{event}, {where} — {role}", language).format(
        event=translate(EVENT_LABELS[event], language),
        where=jurisdiction_label(where, language),
        role=translate(ROLE_LABELS[role], language),
    )
