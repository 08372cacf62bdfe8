"""Fairs: the shipped catalogue, seeding it into a store, and adding and editing fairs.

The catalogue (``resources/fairs/catalogue.json``) lists major fairs where Chinese exhibitors
go, each with a source and the date it was checked; an empty field is a gap, never a guess.
It is seeded into every store when the store opens (new or upgraded), so fairs are there on
the very first start, offline.

Fairs are synced rows. A catalogue fair's id is ``uuid5(CATALOGUE_NAMESPACE, key)``: two
laptops seeding the same fair hold the same row, so a case made on one finds its fair on the
other. Seeding writes no outbox entry (every device has the catalogue already); the first edit
of a catalogue fair on a device is pushed as an ``insert`` carrying only the edited fields —
HQ creates the row if it is new there, and otherwise treats it as an edit made against the
catalogue (version 0), so two devices changing the same field still meet as a conflict while
edits of different fields merge. A catalogue fair is not seeded when the user already has a
fair of that name (no duplicates); a fair the user deleted stays deleted.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, fields, replace
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from fairdesk import events, outbox
from fairdesk.errors import NotFoundError, ValidationError
from fairdesk.i18n import _
from fairdesk.ids import new_id
from fairdesk.model import Fair, FairCatalogueSeed, OutboxEntry
from fairdesk.resources import resource_path
from fairdesk.timeutil import utcnow, zone
from fairdesk.validation import clean_text

if TYPE_CHECKING:  # the store opens through seed_catalogue: no import cycle at run time
    from fairdesk.store import Store

CATALOGUE_NAMESPACE = uuid.UUID("6f3d2c1e-9a57-5b7e-8c21-4fa1d0e7b3a9")
_TIME = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")

# Fields a fair carries on the wire (docs/sync.md); all user-editable.
FAIR_FIELDS = (
    "name",
    "city",
    "country",
    "venue",
    "starts_on",
    "ends_on",
    "time_zone",
    "closing_time",
    "opening_time",
    "name_zh",
    "name_local",
    "organiser",
    "ip_desk",
    "library_venue",
    "source_url",
    "source_checked",
    "catalogue_key",
    "notes",
)


@dataclass
class FairInput:
    name: str
    time_zone: str
    city: str = ""
    country: str = ""
    venue: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    closing_time: str = ""  # "" = not known: "end of the fair day" then asks, never guesses
    opening_time: str = ""
    name_zh: str = ""
    name_local: str = ""
    organiser: str = ""
    ip_desk: str = ""
    library_venue: str = ""
    source_url: str = ""
    source_checked: str = ""
    notes: str = ""


@dataclass(frozen=True)
class FairRow:
    id: str
    name: str
    city: str
    country: str
    venue: str
    time_zone: str
    starts_on: date | None
    ends_on: date | None
    closing_time: str
    opening_time: str = ""
    name_zh: str = ""
    name_local: str = ""
    organiser: str = ""
    ip_desk: str = ""
    library_venue: str = ""
    source_url: str = ""
    source_checked: str = ""
    catalogue_key: str = ""
    notes: str = ""

    def display_name(self, language: str = "en") -> str:
        """The name in the UI language (Chinese name when there is one), with the city."""
        name = self.name_zh if language.startswith("zh") and self.name_zh else self.name
        return f"{name} ({self.city})" if self.city else name

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = value.isoformat() if isinstance(value, date) else value
        return out


def fair_row(fair: Fair) -> FairRow:
    return FairRow(**{f.name: getattr(fair, f.name) for f in fields(FairRow)})


def catalogue_id(key: str) -> str:
    return str(uuid.uuid5(CATALOGUE_NAMESPACE, key))


# ---------------------------------------------------------------------------------------------
# Checking what a user (or the catalogue) gives


def _iso_country(text: str) -> str:
    # pycountry is not a dependency: two capital letters, and the catalogue test checks every
    # shipped code against the ISO list in tzdata's iso3166.tab.
    code = text.strip().upper()
    if code and not re.fullmatch(r"[A-Z]{2}", code):
        raise ValidationError(
            _("Country must be a two-letter ISO code such as DE or CN, not {value}.").format(
                value=text.strip()
            )
        )
    return code


def _clock(label: str, text: str) -> str:
    value = text.strip()
    if value and not _TIME.match(value):
        raise ValidationError(
            _("{field} must look like 09:00 or 18:30, not {value}.").format(
                field=label, value=value
            )
        )
    return value


def check_fair(data: FairInput) -> FairInput:
    """The input cleaned, or a ValidationError naming the first problem (nothing is saved)."""
    name = clean_text(_("Fair name"), data.name, required=True)
    tz = (data.time_zone or "").strip()
    if not tz:
        raise ValidationError(_("Give the fair's time zone, e.g. Europe/Berlin."))
    zone(tz)  # "Unknown time zone: …"
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise ValidationError(
            _("The fair cannot end ({end}) before it starts ({start}).").format(
                end=data.ends_on.isoformat(), start=data.starts_on.isoformat()
            )
        )
    opening = _clock(_("Opening time"), data.opening_time)
    closing = _clock(_("Closing time"), data.closing_time)
    if opening and closing and closing <= opening:
        raise ValidationError(_("The fair cannot close before it opens."))
    source_url = clean_text(_("Source"), data.source_url, max_len=500)
    if source_url and not re.match(r"^https?://\S+$", source_url):
        raise ValidationError(_("The source must be a web address starting with http(s)://."))
    return FairInput(
        name=name,
        time_zone=tz,
        city=clean_text(_("City"), data.city),
        country=_iso_country(data.country),
        venue=clean_text(_("Venue"), data.venue),
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        closing_time=closing,
        opening_time=opening,
        name_zh=clean_text(_("Chinese name"), data.name_zh),
        name_local=clean_text(_("Local name"), data.name_local),
        organiser=clean_text(_("Organiser"), data.organiser),
        ip_desk=clean_text(_("Organiser's IP desk"), data.ip_desk, max_len=2000),
        library_venue=clean_text(_("Library entry"), data.library_venue, max_len=100),
        source_url=source_url,
        source_checked=clean_text(_("Checked on"), data.source_checked, max_len=10),
        notes=clean_text(_("Notes"), data.notes, max_len=2000),
    )


def _name_taken(session: Session, name: str, except_id: str | None = None) -> Fair | None:
    query = select(Fair).where(func.lower(Fair.name) == name.lower(), Fair.deleted_at.is_(None))
    if except_id:
        query = query.where(Fair.id != except_id)
    return session.scalars(query).first()


def _duplicate(name: str) -> ValidationError:
    return ValidationError(
        _("There is already a fair called {name}; edit that one or choose another name.").format(
            name=name
        )
    )


# ---------------------------------------------------------------------------------------------
# The catalogue


@dataclass(frozen=True)
class CatalogueFair:
    key: str
    data: FairInput
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Catalogue:
    version: int
    fairs: tuple[CatalogueFair, ...]


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("en", ""))
    return "" if value is None else str(value)


@cache
def _raw_catalogue() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        resource_path("fairs", "catalogue.json").read_text(encoding="utf-8")
    )
    return data


def catalogue_entry(key: str) -> dict[str, Any] | None:
    """The catalogue's own entry for ``key`` with every language it holds (names, city,
    IP desk), or None for a fair the user added. Documents pick their language from it."""
    if not key:
        return None
    return next((e for e in _raw_catalogue()["fairs"] if e["key"] == key), None)


@cache
def load_catalogue() -> Catalogue:
    """The shipped catalogue, each entry checked like a user's input."""
    raw = _raw_catalogue()
    entries = []
    for item in raw["fairs"]:
        desk = item.get("ip_desk") or {}
        data = FairInput(
            name=item["name"]["en"],
            time_zone=item["time_zone"],
            city=_text(item.get("city")),
            country=item.get("country", ""),
            venue=item.get("venue", ""),
            closing_time=item.get("closing_time", ""),
            opening_time=item.get("opening_time", ""),
            name_zh=item["name"].get("zh", ""),
            name_local=item["name"].get("local", ""),
            organiser=item.get("organiser", ""),
            ip_desk=_text(desk),
            library_venue=item.get("library_venue") or "",
            source_url=item["source"]["url"],
            source_checked=item["source"]["checked"],
            notes=item.get("notes", ""),
        )
        entries.append(CatalogueFair(item["key"], check_fair(data), tuple(item.get("aliases", []))))
    return Catalogue(int(raw["catalogue_version"]), tuple(entries))


def seed_catalogue(engine: Engine, catalogue: Catalogue | None = None) -> int:
    """Add the catalogue's fairs this database does not have yet; returns how many.

    Cheap when already seeded (one query). Never overwrites a fair (the user may have edited
    it), never re-creates one the user deleted, never adds a second fair of a name the user has.
    """
    table = FairCatalogueSeed.__table__
    if catalogue is None:
        with engine.connect() as connection:
            seeded = connection.execute(select(table.c.version).where(table.c.id == 1)).scalar()
        catalogue = load_catalogue()
        if seeded is not None and seeded >= catalogue.version:
            return 0
    added = 0
    now = utcnow()
    with Session(engine) as session, session.begin():
        for entry in catalogue.fairs:
            fair_id = catalogue_id(entry.key)
            if session.get(Fair, fair_id) is not None or _name_taken(session, entry.data.name):
                continue
            values = {
                name: getattr(entry.data, name)
                for name in FAIR_FIELDS
                if name in FairInput.__dataclass_fields__
            }
            session.add(
                Fair(id=fair_id, catalogue_key=entry.key, created_at=now, updated_at=now, **values)
            )
            added += 1
        marker = session.get(FairCatalogueSeed, 1)
        if marker is None:
            session.add(FairCatalogueSeed(id=1, version=catalogue.version, seeded_at=now))
        else:
            marker.version = max(marker.version, catalogue.version)
            marker.seeded_at = now
    return added


# ---------------------------------------------------------------------------------------------
# Services


def create_fair(store: Store, data: FairInput) -> str:
    clean = check_fair(data)
    now = utcnow()
    with store.write() as session:
        if _name_taken(session, clean.name):
            raise _duplicate(clean.name)
        fair = Fair(id=new_id(), created_at=now, updated_at=now, **vars(clean))
        outbox.insert_row(session, fair, entity="fair", case_id=None, fields=FAIR_FIELDS)
        fair_id = fair.id
    events.emit(events.Change.FAIR, fair_id)
    return fair_id


def edit_fair(store: Store, fair_id: str, changes: dict[str, Any]) -> FairRow:
    """Change fields of a fair (any of ``FairInput``'s); all are checked before any is saved."""
    unknown = set(changes) - set(FairInput.__dataclass_fields__)
    if unknown:
        raise ValidationError(
            _("These fields cannot be edited: {names}").format(names=", ".join(sorted(unknown)))
        )
    now = utcnow()
    with store.write() as session:
        fair = session.get(Fair, fair_id)
        if fair is None or fair.deleted_at is not None:
            raise NotFoundError(_("No fair with id {id}.").format(id=fair_id))
        current = FairInput(
            **{name: getattr(fair, name) for name in FairInput.__dataclass_fields__}
        )
        clean = check_fair(replace(current, **changes))
        if _name_taken(session, clean.name, except_id=fair.id):
            raise _duplicate(clean.name)
        changed = {
            name: value for name, value in vars(clean).items() if getattr(fair, name) != value
        }
        if not changed:
            return fair_row(fair)
        base_version = fair.version
        first_push = (
            fair.catalogue_key
            and fair.version == 0
            and session.scalars(
                select(OutboxEntry.mutation_id).where(
                    OutboxEntry.entity == "fair", OutboxEntry.entity_id == fair.id
                )
            ).first()
            is None
        )
        for name, value in changed.items():
            setattr(fair, name, value)
        fair.updated_at = now
        if first_push:
            # HQ may not have this catalogue row yet: see the module docstring.
            outbox.record(
                session,
                entity="fair",
                entity_id=fair.id,
                op="insert",
                case_id=None,
                changes={**changed, "catalogue_key": fair.catalogue_key},
            )
        else:
            outbox.record(
                session,
                entity="fair",
                entity_id=fair.id,
                op="update",
                case_id=None,
                base_version=base_version,
                changes=changed,
            )
        row = fair_row(fair)
    events.emit(events.Change.FAIR, fair_id)
    return row


def list_fairs(store: Store) -> list[FairRow]:
    """Live fairs: those with dates first (latest first), then by name."""
    with store.read() as session:
        found = session.scalars(
            select(Fair)
            .where(Fair.deleted_at.is_(None))
            .order_by(Fair.starts_on.is_(None), Fair.starts_on.desc(), func.lower(Fair.name))
        )
        return [fair_row(f) for f in found]


def get_fair(store: Store, fair_id: str) -> FairRow:
    with store.read() as session:
        fair = session.get(Fair, fair_id)
        if fair is None or fair.deleted_at is not None:
            raise NotFoundError(_("No fair with id {id}.").format(id=fair_id))
        return fair_row(fair)


def find_fair(store: Store, id_or_name: str) -> FairRow:
    """A fair by id, name (any language), catalogue key or catalogue alias; case-insensitive."""
    wanted = id_or_name.strip()
    lowered = wanted.lower()
    with store.read() as session:
        fair = session.get(Fair, wanted)
        if fair is None:
            live = select(Fair).where(Fair.deleted_at.is_(None))
            for column in (Fair.name, Fair.name_zh, Fair.name_local, Fair.catalogue_key):
                fair = session.scalars(live.where(func.lower(column) == lowered)).first()
                if fair is not None:
                    break
        if fair is None:
            keys = [
                e.key for e in load_catalogue().fairs if lowered in (a.lower() for a in e.aliases)
            ]
            if keys:
                fair = session.scalars(
                    select(Fair).where(Fair.catalogue_key.in_(keys), Fair.deleted_at.is_(None))
                ).first()
        if fair is None or fair.deleted_at is not None:
            raise NotFoundError(
                _(
                    "No fair named {name}. `fairdesk fair list` shows the fairs; "
                    "`fairdesk fair add` adds one."
                ).format(name=wanted)
            )
        return fair_row(fair)
