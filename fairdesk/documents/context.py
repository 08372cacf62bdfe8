"""The values a template sees: what the case already holds plus what the user types in.

``prepare`` reads the case (parties, rights, deadlines in the fair's local time with a
countdown, fair, booth), the selected evidence and the documents already produced, then
merges the user's fields over them and lists every required field that is still empty —
before anything is rendered. With ``allow_blanks`` the empty ones become the visible marker
in the document's language (``［待填写］``, ``[TO BE COMPLETED]``, ``[NOCH AUSZUFÜLLEN]``)
instead of an error. Words (role names, "yes", month names)
and date formats come from ``labels/<lang>.toml`` in the document's language, which is
independent of the language of the app.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fairdesk import cases
from fairdesk.documents import templates
from fairdesk.documents.blocks import blank_mark
from fairdesk.documents.evidence_view import EvidenceView, list_evidence
from fairdesk.documents.placenames import fair_texts
from fairdesk.documents.rows import list_documents
from fairdesk.documents.templates import FieldDef, TemplateInfo
from fairdesk.errors import ValidationError
from fairdesk.geo import country_name
from fairdesk.i18n import _, current_language
from fairdesk.model import Direction, PartyRole
from fairdesk.store import Store
from fairdesk.timeutil import utcnow


@dataclass(frozen=True)
class MissingField:
    name: str
    label: str  # in the app's language
    detail: str = ""  # e.g. which table row lacks an answer

    def describe(self) -> str:
        return f"{self.label} ({self.name})" + (f": {self.detail}" if self.detail else "")


@dataclass(frozen=True)
class Prepared:
    """Everything needed to render one document, computed before rendering."""

    info: TemplateInfo
    case_id: str
    case_number: str
    values: Mapping[str, Any]
    user_fields: Mapping[str, str]  # as typed: the snapshot stored with the document
    missing: tuple[MissingField, ...]
    evidence: tuple[EvidenceView, ...]
    labels: Mapping[str, Any]
    now: datetime
    time_zone: str
    blanks_used: tuple[str, ...] = field(default=())


def ui_language() -> str:
    return "zh" if current_language().startswith("zh") else "en"


# --------------------------------------------------------------------------------------------
# Formatting in the document's language


class Formatter:
    def __init__(self, labels: Mapping[str, Any], tz: str) -> None:
        self.labels = labels
        self.zone = ZoneInfo(tz)
        self.tz = tz
        self.formats: Mapping[str, Any] = labels.get("formats", {})
        self.words: Mapping[str, Any] = labels.get("words", {})

    def word(self, key: str) -> str:
        return str(self.words.get(key, key))

    def label(self, section: str, value: object) -> str:
        key = getattr(value, "value", value)
        table = self.labels.get(section, {})
        return str(table.get(str(key), str(key).replace("_", " ")))

    def office(self, token: str) -> str:
        """The granting office as a lawyer writes it ("European Patent Office (EP)"); an
        office the labels do not know is printed as recorded."""
        names = self.labels.get("office", {})
        return str(names.get(token.strip().upper(), token.strip()))

    def _parts(self, moment: date) -> dict[str, Any]:
        months = list(self.formats.get("months", [])) or [str(i) for i in range(1, 13)]
        return {
            "y": moment.year,
            "m": f"{moment.month:02d}",
            "d": f"{moment.day:02d}",
            "dn": moment.day,
            "mn": moment.month,
            "month": months[moment.month - 1],
            "H": f"{getattr(moment, 'hour', 0):02d}",
            "M": f"{getattr(moment, 'minute', 0):02d}",
        }

    def date(self, value: Any) -> str:
        if value is None:
            return ""
        return str(self.formats.get("date", "{y}-{m}-{d}")).format(**self._parts(value))

    def when(self, moment: datetime | None, *, with_zone: bool = True) -> str:
        if moment is None:
            return ""
        local = moment.astimezone(self.zone)
        text = str(self.formats.get("datetime", "{y}-{m}-{d} {H}:{M}")).format(**self._parts(local))
        if with_zone:
            offset = local.strftime("%z")
            text += f" ({self.tz}, UTC{offset[:3]}:{offset[3:]})"
        return text

    def stamp(self, moment: datetime) -> str:
        """A compact time that still carries its zone: ``25 Nov 2026, 09:00 UTC+08:00``."""
        local = moment.astimezone(self.zone)
        text = str(self.formats.get("datetime", "{y}-{m}-{d} {H}:{M}")).format(**self._parts(local))
        offset = local.strftime("%z")
        return f"{text} UTC{offset[:3]}:{offset[3:]}"

    def camera_time(self, local_text: str, offset: str) -> str:
        """A capture time written by the camera: with its own offset, or said to lack one."""
        try:
            naive = datetime.fromisoformat(local_text.replace(" ", "T"))
        except ValueError:
            return local_text
        text = str(self.formats.get("datetime", "{y}-{m}-{d} {H}:{M}")).format(**self._parts(naive))
        if offset:
            return f"{text} UTC{offset}"
        return f"{text} ({self.word('zone_unknown')})"

    def duration(self, delta: timedelta) -> str:
        seconds = int(abs(delta.total_seconds()))
        days, rest = divmod(seconds, 86400)
        hours, minutes = rest // 3600, (rest % 3600) // 60
        key = "duration_days" if days else "duration_hours"
        default = "{d} d {h} h" if days else "{h} h {m:02d} min"
        return str(self.formats.get(key, default)).format(d=days, h=hours, m=minutes)

    def countdown(self, due: datetime, now: datetime) -> str:
        delta = due - now
        template = self.word("remaining") if delta.total_seconds() >= 0 else self.word("overdue")
        return template.format(t=self.duration(delta))


# --------------------------------------------------------------------------------------------
# Values from the case


def _party_text(p: cases.PartyRow) -> str:
    if p.organisation and p.organisation != p.name:
        return f"{p.name} ({p.organisation})"
    return p.name


def role_code(party: cases.PartyRow) -> str:
    """The party's role as plain text, so roles added later (notary, …) compare safely."""
    return str(getattr(party.role, "value", party.role))


def _first(parties: Sequence[cases.PartyRow], role: PartyRole | str) -> str:
    code = str(getattr(role, "value", role))
    return next((_party_text(p) for p in parties if role_code(p) == code), "")


def _all(parties: Sequence[cases.PartyRow], code: str) -> str:
    return "; ".join(_party_text(p) for p in parties if role_code(p) == code)


def _gps(view: EvidenceView) -> str:
    if view.gps_lat is None or view.gps_lon is None:
        return ""
    return f"{view.gps_lat:.6f}, {view.gps_lon:.6f}"


def _custody_row(fmt: Formatter, at: str, action: str, actor: str) -> list[str]:
    try:
        moment = datetime.fromisoformat(at)
        # The log writes UTC; an entry without an offset is UTC too, and is printed as such.
        when = fmt.stamp(moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC")))
    except ValueError:
        when = at
    return [when, fmt.label("custody_action", action), actor or "—"]


def _presence(fmt: Formatter, present: bool, names: str) -> str:
    """ "yes: Name" / "yes (name not recorded)" / "no"."""
    if not present:
        return fmt.word("no")
    return f"{fmt.word('yes')}: {names}" if names else fmt.word("yes_unnamed")


def _evidence_values(
    fmt: Formatter, items: Sequence[EvidenceView], parties: Sequence[cases.PartyRow] = ()
) -> list[dict[str, Any]]:
    witnesses = _all(parties, "witness")
    notaries = _all(parties, "notary")
    photographer = _all(parties, "photographer")
    out = []
    for n, e in enumerate(items, 1):
        if e.captured_at is not None:
            captured = fmt.stamp(e.captured_at)
        elif e.captured_local:
            captured = fmt.camera_time(e.captured_local, e.captured_offset)
        else:
            captured = ""
        custody_rows = [_custody_row(fmt, at, action, actor) for at, action, actor in e.custody]
        if photographer:
            taken_by = photographer
        elif e.imported_by:
            taken_by = fmt.word("imported_by").format(name=e.imported_by)
        else:
            taken_by = ""
        out.append(
            {
                "n": n,
                "id": e.id,
                "sha256": e.sha256,
                "sha_short": e.sha256[:16],
                "kind": fmt.label("evidence_kind", e.kind),
                "original_name": e.original_name,
                "caption": e.caption,
                "shows": e.shows,
                "supports": e.supports,
                "captured": captured,
                "clock": fmt.word("clock_device")
                if e.capture_is_claim
                else fmt.word("clock_trusted"),
                "timestamp": fmt.word("timestamp_before").format(
                    time=fmt.when(e.timestamp[0]), tsa=e.timestamp[1]
                )
                if e.timestamp is not None
                else fmt.word("timestamp_waiting"),
                "gps": _gps(e),
                "camera": e.camera,
                "place": " ".join(p for p in (e.hall, e.booth) if p),
                "notary": _presence(fmt, e.notary_present, notaries),
                "witness": _presence(fmt, e.witness_present, witnesses),
                "photographer": taken_by,
                "custody": [" · ".join(row) for row in custody_rows],
                "custody_rows": custody_rows,
                "available": e.path is not None,
            }
        )
    return out


def _documents_values(fmt: Formatter, store: Store, case_id: str) -> list[dict[str, Any]]:
    out = []
    for d in list_documents(store, case_id):
        out.append(
            {
                "kind": d.kind,
                "title": d.title,
                "language": d.language,
                "format": d.format.upper(),
                "version": d.version,
                "created": fmt.stamp(d.created_at),  # every time in a document has its zone
                "sha_short": d.sha256[:16],
            }
        )
    return out


def case_values(
    store: Store,
    detail: cases.CaseDetail,
    fmt: Formatter,
    now: datetime,
    evidence: Sequence[EvidenceView],
    language: str = "en",
) -> dict[str, Any]:
    """Everything a template can use from the case, already formatted for the document.

    The fair's name, city, venue and IP desk are in the document's ``language`` (see
    :mod:`placenames`): never "Guangzhou" in a Chinese complaint or 广州 in a German one.
    """
    c = detail.case
    fair = detail.fair
    place = fair_texts(fair, language)
    parties = detail.parties
    ours = [r for r in detail.rights if r.asserted_by_us]
    theirs = [r for r in detail.rights if not r.asserted_by_us]

    def right(r: cases.RightRow) -> dict[str, Any]:
        return {
            "kind": fmt.label("right_kind", r.kind),
            "number": r.number,
            "office": r.office,
            # As a lawyer writes it: "European Patent Office (EP)", not the bare token.
            "office_name": fmt.office(r.office),
            "owner": r.owner,
            "status": fmt.label("right_status", r.right_status or "-"),
            "valid_from": fmt.date(r.valid_from),
            "valid_until": fmt.date(r.valid_until),
            "ours": r.asserted_by_us,
        }

    open_deadlines = [d for d in detail.deadlines if not d.done]
    deadlines = [
        {
            "what": d.what,
            "due": fmt.when(d.due_at),
            "source": d.source,
            "done": d.done,
            "overdue": d.due_at < now,
            "countdown": fmt.word("done") if d.done else fmt.countdown(d.due_at, now),
        }
        for d in detail.deadlines
    ]
    next_due = min(open_deadlines, key=lambda d: d.due_at, default=None)
    opponent_role = (
        PartyRole.COMPLAINANT if c.direction == Direction.AGAINST_US else PartyRole.RESPONDENT
    )
    ev = _evidence_values(fmt, evidence, parties)
    return {
        "case_id": c.id,
        "case_number": c.number,
        "case_title": c.title,
        "case_summary": detail.summary,
        "products": detail.products,
        "hall": detail.hall,
        "booth": detail.booth,
        "booth_text": " / ".join(
            p
            for p in (
                detail.hall and f"{fmt.word('hall')} {detail.hall}",
                detail.booth and f"{fmt.word('booth')} {detail.booth}",
            )
            if p
        ),
        "level": fmt.label("level", c.level),
        "level_code": c.level.value,
        "direction": fmt.label("direction", c.direction),
        "direction_code": c.direction.value,
        "trigger": fmt.label("trigger", c.trigger),
        "status": fmt.label("status", c.status),
        "served_at": fmt.when(detail.served_at),
        "time_since_served": fmt.duration(now - detail.served_at) if detail.served_at else "",
        "generated_at": fmt.when(now),
        "today": fmt.date(now.astimezone(fmt.zone)),
        "fair_name": place.name,
        "fair_city": place.city,
        "fair_country": fair.country if fair else "",  # the ISO code, for the templates' tests
        "fair_country_name": country_name(fair.country, language) if fair else "",
        "fair_venue": place.venue,
        "fair_time_zone": fmt.tz,
        "fair_dates": (
            f"{fmt.date(fair.starts_on)} – {fmt.date(fair.ends_on)}"
            if fair and fair.starts_on and fair.ends_on
            else ""
        ),
        "parties": [
            {
                "role": fmt.label("party_role", p.role),
                "name": p.name,
                "organisation": p.organisation,
                "contact": p.contact,
                "file_number": p.reference,
                "text": _party_text(p),
            }
            for p in parties
        ],
        "complainant": _first(parties, PartyRole.COMPLAINANT),
        "respondent": _first(parties, PartyRole.RESPONDENT),
        "opponent": _first(parties, opponent_role),
        "their_counsel": _first(parties, PartyRole.THEIR_COUNSEL),
        "our_counsel": _first(parties, PartyRole.OUR_COUNSEL),
        # The desk recorded on the case, else the catalogue's desk of this fair (in the
        # document's language), else empty: the template shows a blank, never a guess.
        "organiser_desk": _first(parties, PartyRole.ORGANISER_IP_DESK) or place.desk,
        "court": _first(parties, PartyRole.COURT),
        # The court's or authority's file number (Aktenzeichen, 案号) as recorded on the case.
        "court_file_number": next(
            (p.reference for p in parties if p.role == PartyRole.COURT and p.reference), ""
        ),
        "bailiff": _first(parties, PartyRole.BAILIFF),
        "court_name": _first(parties, PartyRole.COURT),
        # Roles added by the parties work are read by their text value, never required.
        "notary": _first(parties, "notary"),
        "witnesses": [_party_text(p) for p in parties if role_code(p) == "witness"],
        "notaries": [_party_text(p) for p in parties if role_code(p) == "notary"],
        "customs_office": _first(parties, PartyRole.CUSTOMS),
        "customs_authority": _first(parties, PartyRole.CUSTOMS),
        "rights": [right(r) for r in detail.rights],
        "rights_asserted": [right(r) for r in theirs],
        # The right the other side may assert, from the case, unless the user words it.
        "right_in_issue": "; ".join(
            " – ".join(p for p in (r.number, right(r)["office_name"]) if p) for r in theirs
        ),
        "our_rights": [right(r) for r in ours],
        "deadlines": deadlines,
        "open_deadlines": [d for d in deadlines if not d["done"]],
        "next_deadline": fmt.when(next_due.due_at) if next_due else "",
        "next_deadline_what": next_due.what if next_due else "",
        "countdown": fmt.countdown(next_due.due_at, now) if next_due else "",
        "notes": [n.text for n in detail.notes],
        "evidence": ev,
        "evidence_count": len(ev),
        "documents_produced": _documents_values(fmt, store, c.id),
        "w": dict(fmt.words),
        "blank": fmt.word("blank"),
    }


def _own_deadline(
    info: TemplateInfo, detail: cases.CaseDetail, fmt: Formatter, now: datetime
) -> dict[str, str]:
    """The open deadline this document answers (by the kind's deadline words), or nothing.

    A statement must not call the case's next deadline — removing an exhibit, instructing
    counsel — its own deadline.
    """
    words = [w.lower() for w in info.declaration.deadline_words]
    mine = [
        d
        for d in detail.deadlines
        if not d.done and words and any(w in f"{d.what} {d.source}".lower() for w in words)
    ]
    first = min(mine, key=lambda d: d.due_at, default=None)
    if first is None:
        return {"own_deadline": "", "own_deadline_what": "", "own_deadline_countdown": ""}
    return {
        "own_deadline": fmt.when(first.due_at),
        "own_deadline_what": first.what,
        "own_deadline_countdown": fmt.countdown(first.due_at, now),
    }


# --------------------------------------------------------------------------------------------
# Values the user types


def parse_field(fdef: FieldDef, raw: str) -> Any:
    """What the user typed, in the shape the field's type promises the template."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
    if fdef.type == "line":
        return " ".join(text.split())
    if fdef.type == "text":
        return text
    if fdef.type == "lines":
        return [line.strip() for line in text.split("\n") if line.strip()]
    rows = []
    for line in text.split("\n"):
        if line.strip():
            rows.append([cell.strip() for cell in line.split("|")])
    width = len(fdef.column_names("en")) or max((len(r) for r in rows), default=1)
    # Rows too short get empty cells, which the missing-field check then names.
    return [
        (r + [""] * width)[:width]
        if len(r) <= width
        else [*r[: width - 1], " | ".join(r[width - 1 :])]
        for r in rows
    ]


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _blank_for(fdef: FieldDef, mark: str) -> Any:
    if fdef.type == "lines":
        return [mark]
    if fdef.type == "rows":
        return [[mark] * max(1, len(fdef.column_names("en")))]
    return mark


def prepare(
    store: Store,
    case_id: str,
    kind: str,
    language: str,
    fields: Mapping[str, str] | None = None,
    *,
    evidence_ids: Sequence[str] | None = None,
    evidence: Sequence[EvidenceView] | None = None,
    allow_blanks: bool = False,
    now: datetime | None = None,
) -> Prepared:
    """Gather the values for one document and list what is missing (nothing is rendered)."""
    info = templates.load(kind, language, store.data_dir)
    detail = cases.get_case(store, case_id)
    now = now or utcnow()
    tz = detail.fair.time_zone if detail.fair else "UTC"
    lab = templates.labels(language, store.data_dir)
    fmt = Formatter(lab, tz)
    if evidence is None:
        evidence = list_evidence(store, detail.case.id, evidence_ids) if info.uses_evidence else []
    values = case_values(store, detail, fmt, now, evidence, language)
    values.update(_own_deadline(info, detail, fmt, now))
    user = {k: v for k, v in (fields or {}).items() if v is not None}
    unknown = [k for k in user if k not in info.fields]
    if unknown:
        raise ValidationError(
            _("Unknown field(s) for this document: {names}. Known fields: {known}.").format(
                names=", ".join(sorted(unknown)), known=", ".join((*info.required, *info.optional))
            )
        )
    for name, raw in user.items():
        parsed = parse_field(info.fields[name], raw)
        if not _empty(parsed):
            values[name] = parsed  # the user's text wins over what the case holds
    ui = ui_language()
    missing: list[MissingField] = []
    blanks: list[str] = []
    for name in (*info.required, *info.optional):
        fdef = info.fields[name]
        required = name in info.required
        if _empty(values.get(name)):
            if required:
                missing.append(MissingField(name, fdef.label(ui)))
                if allow_blanks:
                    values[name] = _blank_for(fdef, blank_mark(language))
                    blanks.append(name)
            else:
                values.setdefault(name, [] if fdef.type in ("lines", "rows") else "")
                if _empty(values[name]):
                    values[name] = [] if fdef.type in ("lines", "rows") else ""
        elif fdef.type == "rows" and fdef.required_columns:
            cols = fdef.column_names(ui)
            for row_no, row in enumerate(values[name], 1):
                for col in fdef.required_columns:
                    if col < len(row) and not row[col]:
                        col_name = cols[col] if col < len(cols) else str(col + 1)
                        missing.append(MissingField(name, fdef.label(ui), f"{row_no} · {col_name}"))
                        if allow_blanks:
                            row[col] = blank_mark(language)
                            blanks.append(name)
    return Prepared(
        info=info,
        case_id=detail.case.id,
        case_number=detail.case.number,
        values=values,
        user_fields=dict(user),
        missing=tuple(missing),
        evidence=tuple(evidence),
        labels=lab,
        now=now,
        time_zone=tz,
        blanks_used=tuple(dict.fromkeys(blanks)),
    )
