"""The reference library: load, validate, update (atomically) and compare versions.

The shipped library lives in ``resources/reference/`` (``manifest.json`` plus one JSON file per
kind of entry). HQ can publish newer versions; a device keeps each applied version in
``<data folder>/reference/versions/<library_version>.json`` and records it in the table
``kb_library_version`` together with what changed. The active library is the newest valid one:
an applied update, or the shipped one if that is newer (after an app upgrade).

Update payload (what ``apply_reference_update`` accepts; HQ publishes it as a reference item
``kind="library"``, ``key=str(library_version)``, ``data=<payload>`` and the device-sync code
passes ``data`` in unchanged)::

    # a whole library
    {"schema_version": 1, "library_version": 2, "edition": "2026.12",
     "published_at": "2026-12-01", "entries": [<entry>, ...]}
    # or changes on top of the version the device has
    {"schema_version": 1, "library_version": 3, "edition": "2026.12b",
     "published_at": "2026-12-05", "base_version": 2,
     "upsert": [<entry>, ...], "delete": ["<entry id>", ...]}

An ``<entry>`` has the shape of the shipped files (see ``_check_entry``): id, kind, country,
title/summary as ``{"en", "zh", "refs"}`` texts, kind-specific ``fields`` (a field may be
``{"gap": true}``: a known gap, shown as such, never as "no procedure"), contacts, deadline
rules, document kinds, ``sources`` (ref, url, type, published, checked, confidence, title),
``applies_to``, ``confidence``, ``flags``, ``checked``, ``as_of`` and ``review_by`` (both
required: past ``review_by`` the app marks the entry "check before relying"). An instrument only
one side can use (an objection to an injunction, a protective letter) names that side in
``addressed_to`` (``respondent`` or ``holder``; ``null``: either side); guidance then shows it
to the other side only as what the other side can do. An update's entry without the key (HQ
libraries published before it existed) keeps the side the shipped library gives the same
entry id, and either side when the shipped library has none. Older FairDesk versions ignore
the key.
Contacts may carry ``phone``, ``email``, ``address``, ``hours`` and ``language``. A payload may
carry a readable ``changelog`` (``[{edition, published_at, title, items: [{entries, en, zh}]}]``).

Currency rules enforced here, for the shipped library and for every HQ update alike: every
statement (field, summary, item, deadline) cites a source the entry lists; every source has a
known type (``copy`` for a text republished on a third-party site, never "official"); and
"high" confidence never rests only on undated secondary sources.

A payload that fails validation in any way is rejected as a whole with a message listing the
problems; nothing is written and the previous library stays in use.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from fairdesk.errors import ValidationError
from fairdesk.fsutil import write_atomic
from fairdesk.i18n import N_, _, current_language
from fairdesk.knowledge.model import LibraryVersion
from fairdesk.resources import resource_path
from fairdesk.store import Store
from fairdesk.timeutil import utcnow

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
KINDS = ("venue", "instrument", "institution", "policy", "case", "checklist", "next_hour")
INSTRUMENTS = (
    "court_injunction",
    "tro",
    "saisie",
    "descrizione",
    "customs",
    "organiser_panel",
    "criminal",
    "itc_337",
    "protective_letter",
    "warning_letter",
)
FIELDS: dict[str, tuple[str, ...]] = {
    "venue": ("city", "typical_dates", "organiser_ip_desk", "notes"),
    "instrument": (
        "who_files",
        "who_decides",
        "timing",
        "respondent_must",
        "consequences",
        "prefiling",
        "notes",
    ),
    "institution": ("role", "how_to_use", "notes"),
    "policy": ("content", "notes"),
    "case": ("facts", "outcome", "lesson"),
    "checklist": (),
    "next_hour": ("notes",),
}
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "venue": ("city", "typical_dates", "organiser_ip_desk"),
    "instrument": ("who_files", "who_decides", "timing", "respondent_must", "consequences"),
    "institution": ("role",),
    "policy": ("content",),
    "case": ("facts", "outcome"),
    "checklist": (),
    "next_hour": (),
}
# Kinds whose entries are ordered steps (``items``), each a sourced statement.
ITEM_KINDS = ("checklist", "next_hour")
# Texts that state no law or fact needing a source: notes, the city name, and the one-line
# heading of a checklist or next-hour card. Everything else must cite a source.
UNSOURCED_FIELDS = ("notes", "city")
SOURCE_TYPES = (
    "statute",
    "official",
    "organiser",
    "court",
    "law_firm",
    "commentary",
    "news",
    "association",
    "directory",
    "copy",
)
# Primary sources speak for the authority itself; everything else is secondary. A copy of an
# official text on a third-party or commercial site ("copy") is secondary: it may be outdated
# or altered, so it never counts as the official text.
PRIMARY_SOURCE_TYPES = ("statute", "official", "organiser", "court")
CONFIDENCE = ("high", "medium", "low")
FLAGS = ("old", "single_source", "unverified", "yearly", "sandbox_source", "gap")
DEADLINE_RULES = (
    "hours_from_service",
    "calendar_days",
    "calendar_months",
    "business_days",
    "later_of",
    "end_of_service_day",
    "date_in_order",
    "info",
)
PARTIES = ("respondent", "holder", "authority")
# Who an instrument is for (``addressed_to``), and what a one-sided card says wherever it is
# shown (case guidance, the library, the CLI).
SIDE_NOTES = {
    "respondent": N_(
        "Only the respondent (the side the injunction or complaint is against) can use this "
        "procedure."
    ),
    "holder": N_("Only the rights holder can use this procedure."),
}
SIDES = tuple(SIDE_NOTES)
DOCUMENT_KINDS = (
    "panel_response",
    "non_infringement",
    "evidence_report",
    "warning_letter",
    "hq_notification",
    "protective_letter",
    "customs_request",
)
# ISO 3166-1 alpha-2, plus the Unified Patent Court and "international" (general entries).
_COUNTRY = re.compile(r"^(?:[A-Z]{2}|UPC|INT)$")
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{1,80}$")
_DATE_OR_UNKNOWN = re.compile(r"^(?:unknown|\d{4}(?:-\d{2}(?:-\d{2})?)?)$")
COUNTRY_ALIASES = {"UK": "GB", "EL": "GR"}

# Labels shown to users; translated where displayed.
SOURCE_TYPE_LABELS = {
    "statute": N_("Statute"),
    "official": N_("Official"),
    "organiser": N_("Organiser"),
    "law_firm": N_("Law firm"),
    "news": N_("News"),
    "association": N_("Association"),
    "court": N_("Court"),
    "commentary": N_("Legal publisher"),
    "directory": N_("Directory"),
    "copy": N_("Copy on a third-party site"),
}
CONFIDENCE_LABELS = {"high": N_("High"), "medium": N_("Medium"), "low": N_("Low")}
FLAG_LABELS = {
    "old": N_("Old source"),
    "single_source": N_("Single source"),
    "unverified": N_("Unverified"),
    "yearly": N_("Renewed yearly"),
    "sandbox_source": N_("Source on a test domain"),
    "gap": N_("Gap"),
    "outdated": N_("Check before relying: review date passed"),
}
KIND_LABELS = {
    "venue": N_("Venue"),
    "instrument": N_("Procedure"),
    "institution": N_("Institution"),
    "policy": N_("Policy"),
    "case": N_("Past case"),
    "checklist": N_("Checklist"),
    "next_hour": N_("Next hour"),
}
FIELD_LABELS = {
    "who_files": N_("Who files"),
    "who_decides": N_("Who decides"),
    "timing": N_("How fast"),
    "respondent_must": N_("What the respondent must do"),
    "consequences": N_("Consequences"),
    "prefiling": N_("Defensive pre-filing"),
    "notes": N_("Notes"),
    "city": N_("City"),
    "typical_dates": N_("Typical dates"),
    "organiser_ip_desk": N_("Organiser IP desk"),
    "role": N_("Role"),
    "how_to_use": N_("How to use"),
    "content": N_("Content"),
    "facts": N_("Facts"),
    "outcome": N_("Outcome"),
    "lesson": N_("Lesson"),
}
DOCUMENT_LABELS = {
    "panel_response": N_("Response to the fair IP panel"),
    "non_infringement": N_("Declaration of non-infringement"),
    "evidence_report": N_("Evidence report"),
    "warning_letter": N_("Warning letter"),
    "hq_notification": N_("Notification to HQ"),
    "protective_letter": N_("Protective letter"),
    "customs_request": N_("Request to customs"),
}
PUBLISHED_UNKNOWN = N_("date unknown")
MAX_PROBLEMS_SHOWN = 8
MAX_ENTRIES = 5_000


def normalise_country(code: str) -> str:
    code = code.strip().upper()
    return COUNTRY_ALIASES.get(code, code)


# ---------------------------------------------------------------------------------------------
# The parsed, immutable library


@dataclass(frozen=True)
class Text:
    """A user-facing text in English and Chinese, with the source numbers it rests on."""

    en: str
    zh: str
    refs: tuple[int, ...] = ()
    gap: bool = False
    unverified: bool = False  # the source itself says so: shown as low confidence
    # The situations' events (``fairdesk.situation.Event``) a next-hour step applies to;
    # empty: every event. A country's card covers several events, a step rarely all of them.
    events: tuple[str, ...] = ()

    def get(self, language: str | None = None) -> str:
        """The text in ``language`` (default: the UI language); a gap reads as a gap."""
        if self.gap:
            return _("Gap: no verified information")
        language = language or current_language()
        return self.zh if language.startswith("zh") and self.zh else self.en


@dataclass(frozen=True)
class Source:
    ref: int
    url: str
    type: str
    published: str  # "unknown", YYYY, YYYY-MM or YYYY-MM-DD
    checked: str
    confidence: str
    title: str


@dataclass(frozen=True)
class Contact:
    """An institution to call or write to; everything but the name is optional.

    A missing phone number means none was found in a source: it is shown as such, with the
    official page, never guessed.
    """

    name: Text
    role: Text
    url: str | None
    refs: tuple[int, ...]
    phone: str = ""
    email: str = ""
    address: str = ""
    hours: str = ""
    language: str = ""
    events: tuple[str, ...] = ()  # as ``Text.events``: empty means every event
    # The phone's note ("12330 (inside China; ...)") and the hours in Chinese, for the Chinese
    # interface; the number itself is the same.
    phone_zh: str = ""
    hours_zh: str = ""

    def phone_in(self, language: str | None = None) -> str:
        language = language or current_language()
        return self.phone_zh if language.startswith("zh") and self.phone_zh else self.phone

    def hours_in(self, language: str | None = None) -> str:
        language = language or current_language()
        return self.hours_zh if language.startswith("zh") and self.hours_zh else self.hours


@dataclass(frozen=True)
class DeadlineSpec:
    """A deadline rule from the library; ``guidance`` turns it into a proposed deadline."""

    id: str
    what: Text
    rule: str
    party: str  # whose deadline it is: respondent (us), holder (the other side), authority
    refs: tuple[int, ...]
    hours: int | None = None
    days: int | None = None
    months: int | None = None
    business_days: int | None = None
    counted_from: str = "service"
    alternative: bool = False


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str
    country: str
    applies_in: tuple[str, ...]
    title: Text
    summary: Text
    fields: tuple[tuple[str, Text], ...]
    items: tuple[Text, ...]
    contacts: tuple[Contact, ...]
    deadlines: tuple[DeadlineSpec, ...]
    documents: tuple[str, ...]
    sources: tuple[Source, ...]
    applies_to: Text
    confidence: str
    flags: tuple[str, ...]
    checked: str
    review_by: str | None
    as_of: str = ""
    instrument: str | None = None
    ex_parte: bool = False
    time_zone: str | None = None
    aliases: tuple[str, ...] = ()
    venues: tuple[str, ...] = ()
    addressed_to: str | None = None  # one of SIDES when only that side can use it
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def field(self, name: str) -> Text | None:
        for key, value in self.fields:
            if key == name:
                return value
        return None

    @property
    def is_gap(self) -> bool:
        return "gap" in self.flags

    def is_outdated(self, today: date) -> bool:
        """True when the entry's review date has passed: shown as "check before relying"."""
        return bool(self.review_by) and date.fromisoformat(str(self.review_by)) < today

    def text_blob(self) -> str:
        """All user-facing text of the entry, both languages: what search indexes."""
        parts: list[str] = [self.id, self.country]
        texts = [
            self.title,
            self.summary,
            self.applies_to,
            *(t for _n, t in self.fields),
            *self.items,
            *(d.what for d in self.deadlines),
        ]
        for contact in self.contacts:
            texts += [contact.name, contact.role]
        for text in texts:
            if not text.gap:
                parts += [text.en, text.zh]
        parts += list(self.aliases)
        return "\n".join(p for p in parts if p)


@dataclass(frozen=True)
class ChangeItem:
    """One corrected or added statement: what changed, in both languages, and the entries."""

    entries: tuple[str, ...]
    text: Text


@dataclass(frozen=True)
class ChangeNote:
    """The readable change log of one edition ("What changed in 2026.12")."""

    edition: str
    published_at: str
    title: Text
    items: tuple[ChangeItem, ...]
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Library:
    schema_version: int
    library_version: int
    edition: str
    published_at: str
    entries: tuple[Entry, ...]
    origin: str  # "shipped" or "update"
    changelog: tuple[ChangeNote, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {e.id: e for e in self.entries})
        # Asked once per case by every levelling (100,000 times by a full refresh).
        ex_parte: dict[str, tuple[Entry, ...]] = {}
        for e in self.entries:
            if e.kind == "instrument" and e.ex_parte:
                for code in dict.fromkeys((e.country, *e.applies_in)):
                    ex_parte[code] = (*ex_parte.get(code, ()), e)
        object.__setattr__(self, "_ex_parte", ex_parte)

    def get(self, entry_id: str) -> Entry | None:
        by_id: dict[str, Entry] = getattr(self, "_by_id")  # noqa: B009 - set in __post_init__
        return by_id.get(entry_id)

    def for_country(self, country: str, kinds: tuple[str, ...] = KINDS) -> list[Entry]:
        """Entries about ``country``, including those that also apply there (UPC in DE...)."""
        code = normalise_country(country)
        return [
            e
            for e in self.entries
            if e.kind in kinds and (e.country == code or code in e.applies_in)
        ]

    def ex_parte_instruments(self, country: str) -> tuple[Entry, ...]:
        """The instruments by which a court or the police in ``country`` can act without
        hearing the other side first: ``for_country(country, ("instrument",))`` with
        ``ex_parte`` set, in the same order."""
        by_country: dict[str, tuple[Entry, ...]] = getattr(self, "_ex_parte")  # noqa: B009
        return by_country.get(normalise_country(country), ())

    def countries(self) -> list[str]:
        return sorted({e.country for e in self.entries})

    def as_payload(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "library_version": self.library_version,
            "edition": self.edition,
            "published_at": self.published_at,
            "entries": [e.raw for e in self.entries],
            "changelog": [n.raw for n in self.changelog],
        }


class LibraryError(ValidationError):
    """A reference payload failed validation; ``problems`` lists every reason found."""

    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.problems = problems


# ---------------------------------------------------------------------------------------------
# Validation


class _Checker:
    """Collects every problem of a payload so the message can list them all at once."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}")

    def text(
        self,
        where: str,
        value: Any,
        *,
        allow_gap: bool,
        source_refs: set[int],
        need_refs: bool = False,
    ) -> Text | None:
        if isinstance(value, dict) and value.get("gap") is True:
            if not allow_gap:
                self.fail(where, _("a gap is not allowed here"))
                return None
            return Text("", "", (), gap=True)
        if not isinstance(value, dict):
            self.fail(where, _("must be a text with English and Chinese"))
            return None
        en, zh = value.get("en"), value.get("zh")
        ok = True
        for lang, text in (("en", en), ("zh", zh)):
            if not isinstance(text, str) or not text.strip():
                self.fail(
                    where,
                    _("missing the {language} text").format(
                        language=_("English") if lang == "en" else _("Chinese")
                    ),
                )
                ok = False
        refs = value.get("refs", [])
        if not isinstance(refs, list) or not all(isinstance(r, int) for r in refs):
            self.fail(where, _("source numbers must be a list of numbers"))
            return None
        for ref in refs:
            if ref not in source_refs:
                self.fail(
                    where, _("cites source {ref}, which the entry does not list").format(ref=ref)
                )
                ok = False
        if need_refs and not refs:
            self.fail(where, _("has no source"))
            ok = False
        if isinstance(zh, str) and zh.strip() and not re.search(r"[\u3400-\u9fff]", zh):
            self.fail(where, _("the Chinese text contains no Chinese"))
            ok = False
        if not ok:
            return None
        assert isinstance(en, str) and isinstance(zh, str)
        return Text(en.strip(), zh.strip(), tuple(refs), unverified=value.get("unverified") is True)

    def source(self, where: str, value: Any) -> Source | None:
        if not isinstance(value, dict):
            self.fail(where, _("a source must be an object"))
            return None
        ok = True
        ref, url, kind = value.get("ref"), value.get("url"), value.get("type")
        published, checked, confidence = (
            value.get("published"),
            value.get("checked"),
            value.get("confidence"),
        )
        if not isinstance(ref, int) or ref < 1:
            self.fail(where, _("source number missing"))
            ok = False
        if not isinstance(url, str) or not re.match(r"^https?://[^\s]+$", url):
            self.fail(where, _("source URL missing or not a web address"))
            ok = False
        if kind not in SOURCE_TYPES:
            self.fail(where, _("unknown source type {value}").format(value=kind))
            ok = False
        if not isinstance(published, str) or not _DATE_OR_UNKNOWN.match(published):
            self.fail(where, _('source date must be a date or "unknown"'))
            ok = False
        if not isinstance(checked, str) or not _is_date(checked):
            self.fail(where, _("date checked missing or not a date"))
            ok = False
        if confidence not in CONFIDENCE:
            self.fail(where, _("confidence must be high, medium or low"))
            ok = False
        if not ok or not isinstance(ref, int):
            return None
        return Source(
            ref,
            str(url),
            str(kind),
            str(published),
            str(checked),
            str(confidence),
            str(value.get("title", "")),
        )


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def _ints(value: Any) -> tuple[int, ...]:
    return tuple(v for v in value if isinstance(v, int)) if isinstance(value, list) else ()


_PHONE = re.compile(r"^[+0-9][0-9 ()\-./]{2,40}(?: \(.{1,120}\))?(?: / [+0-9][0-9 ()\-./]{2,40})*$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


def _events(ck: _Checker, where: str, value: Any) -> tuple[str, ...]:
    """The optional ``events`` of an item or contact: known situation events only."""
    from fairdesk.situation import Event

    if value is None:
        return ()
    known = {e.value for e in Event}
    if not isinstance(value, list) or not all(isinstance(v, str) and v in known for v in value):
        ck.fail(where, _("events must be a list of known events"))
        return ()
    return tuple(value)


def _contact_extra(ck: _Checker, where: str, value: dict[str, Any]) -> dict[str, str]:
    """Phone, e-mail, address, hours and language of a contact (all optional, all checked)."""
    extra: dict[str, str] = {}
    for name in ("phone", "email", "address", "hours", "language", "phone_zh", "hours_zh"):
        item = value.get(name)
        if item is None:
            continue
        if not isinstance(item, str) or not item.strip() or len(item) > 300:
            ck.fail(where, _("{name} must be a short text").format(name=name))
            continue
        extra[name] = item.strip()
    phone = extra.get("phone")
    if phone and not _PHONE.match(phone):
        ck.fail(where, _("the phone number {value} is not a number").format(value=phone))
    # The Chinese version only translates the note: the number must be the same.
    phone_zh = extra.get("phone_zh")
    if phone_zh and not (phone and phone_zh.startswith(phone.split(" (")[0])):
        ck.fail(
            where, _("the Chinese phone text {value} is not the same number").format(value=phone_zh)
        )
    email = extra.get("email")
    if email and not _EMAIL.match(email):
        ck.fail(where, _("the e-mail address {value} is not valid").format(value=email))
    return extra


def is_primary(source: Source) -> bool:
    return source.type in PRIMARY_SOURCE_TYPES


def _dated_or_primary(source: Source) -> bool:
    return is_primary(source) or source.published != "unknown"


def _check_changelog(ck: _Checker, value: Any) -> tuple[ChangeNote, ...]:
    """The optional readable change log: [{edition, published_at, title, items: [...]}]."""
    if value is None:
        return ()
    if not isinstance(value, list):
        ck.fail(_("change log"), _("must be a list"))
        return ()
    notes: list[ChangeNote] = []
    for n, raw in enumerate(value):
        where = _("change log") + f" {n + 1}"
        if not isinstance(raw, dict) or not isinstance(raw.get("edition"), str):
            ck.fail(where, _("needs an edition"))
            continue
        title = ck.text(f"{where}.title", raw.get("title"), allow_gap=False, source_refs=set())
        items: list[ChangeItem] = []
        for m, item in enumerate(raw.get("items") or []):
            iw = f"{where} item {m + 1}"
            ids = item.get("entries") if isinstance(item, dict) else None
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                ck.fail(iw, _("must list the entries it changed"))
                continue
            text = ck.text(iw, item, allow_gap=False, source_refs=set())
            if text is not None:
                items.append(ChangeItem(tuple(ids), text))
        if title is not None:
            notes.append(
                ChangeNote(
                    raw["edition"], str(raw.get("published_at", "")), title, tuple(items), raw
                )
            )
    return tuple(notes)


def _check_deadline(ck: _Checker, where: str, value: Any, refs: set[int]) -> DeadlineSpec | None:
    if not isinstance(value, dict):
        ck.fail(where, _("a deadline rule must be an object"))
        return None
    rule, party = value.get("rule"), value.get("party", "respondent")
    what = ck.text(f"{where}.what", value.get("what"), allow_gap=False, source_refs=refs)
    before = len(ck.problems)
    if rule not in DEADLINE_RULES:
        ck.fail(where, _("unknown deadline rule {value}").format(value=rule))
    if party not in PARTIES:
        ck.fail(where, _("unknown party {value}").format(value=party))
    numbers: dict[str, int | None] = {}
    for name in ("hours", "days", "months", "business_days"):
        number = value.get(name)
        if number is not None and (not isinstance(number, int) or not 0 < number <= 3650):
            ck.fail(where, _("{name} must be a whole number between 1 and 3650").format(name=name))
        numbers[name] = number if isinstance(number, int) else None
    needs = {
        "hours_from_service": ("hours",),
        "calendar_days": ("days",),
        "calendar_months": ("months",),
        "business_days": ("business_days",),
        "later_of": ("days", "business_days"),
    }
    for name in needs.get(str(rule), ()):
        if numbers.get(name) is None:
            ck.fail(where, _("the rule {rule} needs {name}").format(rule=rule, name=name))
    spec_refs = _ints(value.get("refs"))
    if not spec_refs:
        ck.fail(where, _("has no source"))
    for ref in spec_refs:
        if ref not in refs:
            ck.fail(where, _("cites source {ref}, which the entry does not list").format(ref=ref))
    if what is None or len(ck.problems) > before:
        return None
    return DeadlineSpec(
        id=str(value.get("id") or ""),
        what=what,
        rule=str(rule),
        party=str(party),
        refs=spec_refs,
        hours=numbers["hours"],
        days=numbers["days"],
        months=numbers["months"],
        business_days=numbers["business_days"],
        counted_from=str(value.get("from", "service")),
        alternative=bool(value.get("alternative", False)),
    )


def _check_entry(ck: _Checker, raw: Any, index: int) -> Entry | None:
    if not isinstance(raw, dict):
        ck.fail(_("entry {n}").format(n=index + 1), _("must be an object"))
        return None
    entry_id = raw.get("id")
    where = _("entry {id}").format(id=entry_id if isinstance(entry_id, str) else index + 1)
    before = len(ck.problems)
    if not isinstance(entry_id, str) or not _ID.match(entry_id):
        ck.fail(where, _("the id must be lower-case letters, digits, dots or dashes"))
    kind = raw.get("kind")
    if kind not in KINDS:
        ck.fail(where, _("unknown kind {value}").format(value=kind))
        return None
    country = raw.get("country")
    if not isinstance(country, str) or not _COUNTRY.match(country):
        ck.fail(where, _("the country must be a two-letter code, UPC or INT"))
    applies_in = raw.get("applies_in", [])
    if not isinstance(applies_in, list) or not all(
        isinstance(c, str) and _COUNTRY.match(c) for c in applies_in
    ):
        ck.fail(where, _("applies_in must list two-letter country codes"))
        applies_in = []
    flags = raw.get("flags", [])
    if not isinstance(flags, list) or any(f not in FLAGS for f in flags):
        ck.fail(where, _("unknown flag in {value}").format(value=flags))
        flags = []
    is_gap = "gap" in flags

    sources: list[Source] = []
    raw_sources = raw.get("sources")
    if not isinstance(raw_sources, list):
        ck.fail(where, _("the list of sources is missing"))
        raw_sources = []
    for n, raw_source in enumerate(raw_sources):
        source = ck.source(f"{where} source {n + 1}", raw_source)
        if source is not None:
            sources.append(source)
    if not raw_sources and not is_gap:
        ck.fail(where, _("has no source (only an entry marked as a gap may have none)"))
    refs = {s.ref for s in sources}

    title = ck.text(f"{where}.title", raw.get("title"), allow_gap=False, source_refs=refs)
    summary = ck.text(
        f"{where}.summary",
        raw.get("summary"),
        allow_gap=True,
        source_refs=refs,
        need_refs=kind not in ITEM_KINDS,
    )
    applies_to = ck.text(
        f"{where}.applies_to", raw.get("applies_to"), allow_gap=False, source_refs=refs
    )
    fields: list[tuple[str, Text]] = []
    raw_fields = raw.get("fields", {})
    if not isinstance(raw_fields, dict):
        ck.fail(where, _("fields must be an object"))
        raw_fields = {}
    allowed = FIELDS[str(kind)]
    for name in REQUIRED_FIELDS[str(kind)]:
        if name not in raw_fields:
            ck.fail(
                where,
                _('the field {name} is missing (record a gap as {{"gap": true}})').format(
                    name=name
                ),
            )
    for name, value in raw_fields.items():
        if name not in allowed:
            ck.fail(where, _("unknown field {name}").format(name=name))
            continue
        text = ck.text(
            f"{where}.{name}",
            value,
            allow_gap=True,
            source_refs=refs,
            need_refs=name not in UNSOURCED_FIELDS,
        )
        if text is not None:
            fields.append((name, text))
    items: list[Text] = []
    if kind in ITEM_KINDS:
        raw_items = raw.get("items")
        if not isinstance(raw_items, list) or not raw_items:
            ck.fail(where, _("a checklist needs items"))
            raw_items = []
        for n, value in enumerate(raw_items):
            text = ck.text(
                f"{where} item {n + 1}", value, allow_gap=False, source_refs=refs, need_refs=True
            )
            if text is not None:
                events = _events(ck, f"{where} item {n + 1}", value.get("events"))
                items.append(replace(text, events=events) if events else text)
    contacts: list[Contact] = []
    for n, value in enumerate(raw.get("contacts", []) or []):
        cw = f"{where} contact {n + 1}"
        if not isinstance(value, dict):
            ck.fail(cw, _("must be an object"))
            continue
        name_text = ck.text(f"{cw}.name", value.get("name"), allow_gap=False, source_refs=refs)
        role = value.get("role") or {}
        role_text = (
            Text(role.get("en", ""), role.get("zh", "")) if isinstance(role, dict) else Text("", "")
        )
        url = value.get("url")
        if url is not None and (
            not isinstance(url, str) or not url.startswith(("http://", "https://"))
        ):
            ck.fail(cw, _("the contact's web address is not valid"))
        contact_refs = _ints(value.get("refs"))
        if not contact_refs or any(r not in refs for r in contact_refs):
            ck.fail(cw, _("a contact needs a source the entry lists"))
        extra = _contact_extra(ck, cw, value)
        if name_text is not None:
            contacts.append(
                Contact(
                    name_text,
                    role_text,
                    url if isinstance(url, str) else None,
                    contact_refs,
                    **extra,
                    events=_events(ck, cw, value.get("events")),
                )
            )
    deadlines: list[DeadlineSpec] = []
    for n, value in enumerate(raw.get("deadlines", []) or []):
        spec = _check_deadline(ck, f"{where} deadline {n + 1}", value, refs)
        if spec is not None:
            deadlines.append(spec)
    documents = raw.get("documents", [])
    if not isinstance(documents, list) or any(d not in DOCUMENT_KINDS for d in documents):
        ck.fail(where, _("unknown document kind in {value}").format(value=documents))
        documents = []
    confidence = raw.get("confidence")
    if confidence not in CONFIDENCE:
        ck.fail(where, _("confidence must be high, medium or low"))
    checked = raw.get("checked")
    if not isinstance(checked, str) or not _is_date(checked):
        ck.fail(where, _("date checked missing or not a date"))
    review_by = raw.get("review_by")
    if not isinstance(review_by, str) or not _is_date(review_by):
        ck.fail(where, _("the review date (review_by) is missing or not a date"))
    as_of = raw.get("as_of")
    if not isinstance(as_of, str) or not _is_date(as_of):
        ck.fail(where, _("the as-of date (as_of) is missing or not a date"))
    elif isinstance(review_by, str) and _is_date(review_by) and review_by < as_of:
        ck.fail(where, _("the review date is before the as-of date"))
    if confidence == "high" and sources and not any(_dated_or_primary(s) for s in sources):
        ck.fail(
            where,
            _(
                'confidence "high" rests only on undated secondary sources; add a primary or '
                "dated source or lower the confidence"
            ),
        )
    instrument = raw.get("instrument")
    if kind == "instrument" and instrument not in INSTRUMENTS:
        ck.fail(where, _("unknown instrument {value}").format(value=instrument))
    time_zone = raw.get("time_zone")
    if kind == "venue":
        try:
            ZoneInfo(str(time_zone))
        except (ZoneInfoNotFoundError, ValueError):
            ck.fail(where, _("unknown time zone {value}").format(value=time_zone))
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        ck.fail(where, _("aliases must be a list of names"))
        aliases = []
    venues = raw.get("venues", [])
    if not isinstance(venues, list) or not all(isinstance(v, str) for v in venues):
        ck.fail(where, _("venues must be a list of entry ids"))
        venues = []
    addressed_to = raw.get("addressed_to")
    if addressed_to is not None and addressed_to not in SIDES:
        ck.fail(
            where,
            _("addressed_to must be respondent or holder, not {value}").format(value=addressed_to),
        )
    if len(ck.problems) > before or title is None or summary is None or applies_to is None:
        return None
    return Entry(
        id=str(entry_id),
        kind=str(kind),
        country=str(country),
        applies_in=tuple(applies_in),
        title=title,
        summary=summary,
        fields=tuple(fields),
        items=tuple(items),
        contacts=tuple(contacts),
        deadlines=tuple(deadlines),
        documents=tuple(documents),
        sources=tuple(sources),
        applies_to=applies_to,
        confidence=str(confidence),
        flags=tuple(flags),
        checked=str(checked),
        review_by=str(review_by),
        as_of=str(as_of),
        instrument=str(instrument) if kind == "instrument" else None,
        ex_parte=bool(raw.get("ex_parte", False)),
        time_zone=str(time_zone) if kind == "venue" else None,
        aliases=tuple(a.lower() for a in aliases),
        venues=tuple(venues),
        addressed_to=str(addressed_to) if addressed_to is not None else None,
        raw=raw,
    )


def parse_library(payload: Any, *, origin: str = "update") -> Library:
    """Validate a whole library payload; raise LibraryError listing the problems."""
    ck = _Checker()
    if not isinstance(payload, dict):
        raise _rejected([_("the update is not a JSON object")])
    schema = payload.get("schema_version")
    if schema != SCHEMA_VERSION:
        ck.fail(
            _("library"),
            _(
                "schema version {found} is not supported (this FairDesk reads "
                "version {supported}); update FairDesk"
            ).format(found=schema, supported=SCHEMA_VERSION),
        )
    version = payload.get("library_version")
    if not isinstance(version, int) or version < 1:
        ck.fail(_("library"), _("library_version must be a positive whole number"))
    edition = payload.get("edition")
    if not isinstance(edition, str) or not edition.strip():
        ck.fail(_("library"), _("the edition is missing"))
    raw_entries = payload.get("entries")
    if not isinstance(raw_entries, list) or not raw_entries:
        ck.fail(_("library"), _("the list of entries is missing or empty"))
        raw_entries = []
    if len(raw_entries) > MAX_ENTRIES:
        ck.fail(_("library"), _("too many entries ({count})").format(count=len(raw_entries)))
        raw_entries = []
    entries: list[Entry] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_entries):
        entry = _check_entry(ck, raw, index)
        if entry is None:
            continue
        if entry.id in seen:
            ck.fail(_("entry {id}").format(id=entry.id), _("the id is used twice"))
        seen.add(entry.id)
        entries.append(entry)
    venue_ids = {e.id for e in entries if e.kind == "venue"}
    for entry in entries:
        for venue in entry.venues:
            if venue not in venue_ids:
                ck.fail(
                    _("entry {id}").format(id=entry.id),
                    _("refers to the venue {venue}, which is not in the library").format(
                        venue=venue
                    ),
                )
    # Entries named by an older edition's notes may since have been removed: not an error.
    changelog = _check_changelog(ck, payload.get("changelog"))
    if ck.problems:
        raise _rejected(ck.problems)
    if origin != "shipped":
        entries = _sides_from_shipped(entries)
    assert isinstance(version, int) and isinstance(edition, str)
    return Library(
        SCHEMA_VERSION,
        version,
        edition.strip(),
        str(payload.get("published_at", "")),
        tuple(entries),
        origin,
        changelog,
    )


def _sides_from_shipped(entries: list[Entry]) -> list[Entry]:
    """An update's entries that do not say who they are for (no ``addressed_to`` key at all)
    take the side the shipped library gives the same entry id. Whether an objection to an
    injunction is the respondent's is a fact of procedure, not an edition's choice: a library
    HQ published before the key existed must not list the other side's remedies among ours.
    ``"addressed_to": null`` says "either side" on purpose and is kept."""
    shipped = {e.id: e.addressed_to for e in load_shipped().entries if e.addressed_to}
    return [
        replace(e, addressed_to=shipped[e.id])
        if e.id in shipped and "addressed_to" not in e.raw
        else e
        for e in entries
    ]


def _rejected(problems: list[str]) -> LibraryError:
    shown = "; ".join(problems[:MAX_PROBLEMS_SHOWN])
    more = len(problems) - MAX_PROBLEMS_SHOWN
    if more > 0:
        shown += " " + _("(and {count} more)").format(count=more)
    return LibraryError(
        _(
            "The reference library update was rejected as a whole and nothing was changed; the "
            "library you had stays in use. Problems: {problems}"
        ).format(problems=shown),
        problems,
    )


# ---------------------------------------------------------------------------------------------
# Loading


_lock = threading.Lock()
_shipped: Library | None = None
_active_cache: dict[tuple[str, int], Library] = {}


def shipped_payload() -> dict[str, Any]:
    """The shipped library's files merged into one update-shaped payload."""
    folder = resource_path("reference")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    entries: list[Any] = []
    for name in manifest["files"]:
        data = json.loads((folder / name).read_text(encoding="utf-8"))
        if data.get("schema_version") != manifest["schema_version"]:
            raise LibraryError(
                _("The shipped reference file {name} has the wrong schema version.").format(
                    name=name
                ),
                [name],
            )
        entries += data["entries"]
    return {
        "schema_version": manifest["schema_version"],
        "library_version": manifest["library_version"],
        "edition": manifest["edition"],
        "published_at": manifest.get("published_at", ""),
        "entries": entries,
        "changelog": manifest.get("changelog", []),
    }


def load_shipped() -> Library:
    """The library installed with the app (validated once per process)."""
    global _shipped
    with _lock:
        if _shipped is None:
            _shipped = parse_library(shipped_payload(), origin="shipped")
        return _shipped


def _versions_dir(store: Store) -> Path:
    return store.data_dir / "reference" / "versions"


def _read_version_file(store: Store, version: int, file_name: str, sha256: str) -> Library:
    data = (_versions_dir(store) / file_name).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise LibraryError(
            _("The stored library version {version} is damaged.").format(version=version),
            [file_name],
        )
    return parse_library(json.loads(data), origin="update")


def load_active(store: Store) -> Library:
    """The library in use on this device: the newest valid applied update, or the shipped one.

    A damaged stored version is skipped (logged), falling back to the one before it; the
    shipped library is always there as the last resort. Callers pass the result on explicitly
    (levels, guidance): there is no process-wide "current" library.
    """
    shipped = load_shipped()
    with store.read() as session:
        rows = [
            (r.library_version, r.file_name, r.sha256)
            for r in session.scalars(
                select(LibraryVersion)
                .where(LibraryVersion.library_version > shipped.library_version)
                .order_by(LibraryVersion.library_version.desc())
            )
        ]
    library = shipped
    for version, file_name, sha256 in rows:
        key = (str(store.data_dir), version)
        cached = _active_cache.get(key)
        if cached is not None:
            library = cached
            break
        try:
            library = _read_version_file(store, version, file_name, sha256)
        except (OSError, ValueError, ValidationError) as exc:
            log.warning("reference library version %s unusable: %s", version, exc)
            continue
        _active_cache[key] = library
        break
    return library


# ---------------------------------------------------------------------------------------------
# Updates


@dataclass(frozen=True)
class LibraryDiff:
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[tuple[str, tuple[str, ...]], ...]  # (entry id, names of changed keys)

    def as_json(self) -> dict[str, Any]:
        return {
            "added": list(self.added),
            "removed": list(self.removed),
            "changed": {entry_id: list(keys) for entry_id, keys in self.changed},
        }

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def diff(old: Library, new: Library) -> LibraryDiff:
    """What changed between two versions, entry by entry (top-level keys of each entry)."""
    old_raw = {e.id: e.raw for e in old.entries}
    new_raw = {e.id: e.raw for e in new.entries}
    changed: list[tuple[str, tuple[str, ...]]] = []
    for entry_id in sorted(old_raw.keys() & new_raw.keys()):
        a, b = old_raw[entry_id], new_raw[entry_id]
        keys = tuple(sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k)))
        if keys:
            changed.append((entry_id, keys))
    return LibraryDiff(
        tuple(sorted(new_raw.keys() - old_raw.keys())),
        tuple(sorted(old_raw.keys() - new_raw.keys())),
        tuple(changed),
    )


@dataclass(frozen=True)
class AppliedUpdate:
    library_version: int
    edition: str
    previous_version: int
    changes: LibraryDiff


def _merge_incremental(current: Library, payload: dict[str, Any]) -> dict[str, Any]:
    base = payload.get("base_version")
    if base != current.library_version:
        raise _rejected(
            [
                _(
                    "it applies to library version {base}, but this device has version {have}"
                ).format(base=base, have=current.library_version)
            ]
        )
    upsert = payload.get("upsert", [])
    delete = payload.get("delete", [])
    if not isinstance(upsert, list) or not isinstance(delete, list):
        raise _rejected([_("upsert and delete must be lists")])
    merged: dict[str, Any] = {e.id: e.raw for e in current.entries}
    for entry_id in delete:
        if entry_id not in merged:
            raise _rejected(
                [_("it deletes the entry {id}, which does not exist").format(id=entry_id)]
            )
        del merged[entry_id]
    problems = [
        _("entry {n}").format(n=n + 1) + ": " + _("must be an object with an id")
        for n, raw in enumerate(upsert)
        if not isinstance(raw, dict) or "id" not in raw
    ]
    if problems:
        raise _rejected(problems)
    for raw in upsert:
        merged[raw["id"]] = raw
    full = {
        key: payload.get(key)
        for key in ("schema_version", "library_version", "edition", "published_at")
    }
    # An incremental update brings its own change log; older ones are kept with it.
    full["changelog"] = [*(payload.get("changelog") or []), *(n.raw for n in current.changelog)]
    full["entries"] = list(merged.values())
    return full


def apply_reference_update(store: Store, payload: dict[str, Any]) -> AppliedUpdate:
    """Validate and install a library version from HQ (see the module docstring for the shape).

    All or nothing: any problem raises LibraryError (a ValidationError with a readable
    message) before anything is written. The new version is written to a temp file in the data
    folder, fsynced and renamed into place, and only then recorded in the database.
    """
    current = load_active(store)
    if not isinstance(payload, dict):
        raise _rejected([_("the update is not a JSON object")])
    if "entries" not in payload and ("upsert" in payload or "delete" in payload):
        payload = _merge_incremental(current, payload)
    new = parse_library(payload, origin="update")
    if new.library_version <= current.library_version:
        raise _rejected(
            [
                _("it is version {new}, not newer than the version {have} in use").format(
                    new=new.library_version, have=current.library_version
                )
            ]
        )
    changes = diff(current, new)
    data = json.dumps(new.as_payload(), ensure_ascii=False, sort_keys=True).encode("utf-8")
    file_name = f"{new.library_version}.json"
    write_atomic(_versions_dir(store) / file_name, data)
    with store.write() as session:
        session.add(
            LibraryVersion(
                library_version=new.library_version,
                edition=new.edition,
                schema_version=new.schema_version,
                published_at=new.published_at,
                applied_at=utcnow(),
                sha256=hashlib.sha256(data).hexdigest(),
                file_name=file_name,
                entry_count=len(new.entries),
                previous_version=current.library_version,
                changes=changes.as_json(),
            )
        )
    _active_cache[(str(store.data_dir), new.library_version)] = new
    from fairdesk import events  # late: events has no dependencies, this only keeps imports flat

    events.emit(events.Change.REFERENCE, str(new.library_version))
    return AppliedUpdate(new.library_version, new.edition, current.library_version, changes)


@dataclass(frozen=True)
class VersionRow:
    library_version: int
    edition: str
    published_at: str
    applied_at: str
    entry_count: int
    previous_version: int
    changes: dict[str, Any]


def history(store: Store) -> list[VersionRow]:
    """Every version applied on this device, newest first, with what each one changed."""
    with store.read() as session:
        rows = session.scalars(
            select(LibraryVersion).order_by(LibraryVersion.library_version.desc())
        )
        return [
            VersionRow(
                r.library_version,
                r.edition,
                r.published_at,
                r.applied_at.isoformat(),
                r.entry_count,
                r.previous_version,
                dict(r.changes),
            )
            for r in rows
        ]
