"""``fairdesk demo``, ``fairdesk fair …`` and ``fairdesk case new|edit|list|show``.

JSON output (``--json``) is a stable contract for scripts; it is documented in the README.
Times are ISO 8601 with an offset: deadlines in the fair's local time, others in UTC.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fairdesk import cases, demo
from fairdesk.cases import (
    CaseDetail,
    CaseEdit,
    CaseFilter,
    CaseInput,
    DeadlineInput,
    FairInput,
    FairRow,
    PartyInput,
    RightInput,
)
from fairdesk.cli.common import add_subcommand, open_from_args, print_json
from fairdesk.errors import ValidationError
from fairdesk.i18n import N_, _
from fairdesk.model import (
    LABELS,
    DeadlineRule,
    Direction,
    Level,
    PartyRole,
    RightKind,
    Status,
    Trigger,
)
from fairdesk.situation import SituationReading, describe
from fairdesk.store import Store
from fairdesk.timeutil import format_local, parse_instant, utcnow

# Keys for `case show --json` added by the packages above the core (device sync's conflicts),
# which plug in through the `fairdesk.cli` entry point; each gets the store and the case id.
# This stays a registry although sync always ships: the core must not import `sync` (the
# import-linter contract "The domain core knows nothing of the UI, sync or Qt"), so sync adds
# its section from above (sync/client/cli.py) when the `fairdesk.cli` entry point loads it.
SHOW_EXTENSIONS: dict[str, Any] = {}


def _case_sections(store: Store, case_id: str) -> dict[str, Any]:
    """The case's documents, evidence and guidance, as `case show --json` adds them."""
    from fairdesk.cli import doc_cmd, evidence_cmd, kb_cmd  # they import this module

    return {
        "documents": doc_cmd.documents_json(store, case_id),
        "evidence": evidence_cmd.evidence_json(store, case_id),
        "guidance": kb_cmd.case_guidance_json(store, case_id),
    }


def _values(enum_cls: Any) -> list[str]:
    return [member.value for member in enum_cls]


def _local_iso(moment: datetime | None, tz: str) -> str | None:
    return moment.astimezone(ZoneInfo(tz)).isoformat() if moment else None


def case_row_json(row: cases.CaseRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "number": row.number,
        "title": row.title,
        "direction": row.direction.value,
        "trigger": row.trigger.value,
        "status": row.status.value,
        "level": row.level.value,
        "fair": row.fair_name or None,
        "fair_time_zone": row.fair_time_zone,
        "next_deadline": _local_iso(row.next_deadline, row.fair_time_zone),
        "needs_review": row.needs_review,
        "updated_at": row.updated_at.isoformat(),
    }


def case_detail_json(detail: cases.CaseDetail) -> dict[str, Any]:
    tz = detail.case.fair_time_zone
    out = case_row_json(detail.case)
    out.update(
        {
            "fair": None
            if detail.fair is None
            else {
                "id": detail.fair.id,
                "name": detail.fair.name,
                "city": detail.fair.city,
                "country": detail.fair.country,
                "venue": detail.fair.venue,
                "time_zone": detail.fair.time_zone,
                "starts_on": detail.fair.starts_on.isoformat() if detail.fair.starts_on else None,
                "ends_on": detail.fair.ends_on.isoformat() if detail.fair.ends_on else None,
                "opening_time": detail.fair.opening_time or None,
                "closing_time": detail.fair.closing_time or None,
                "name_zh": detail.fair.name_zh,
                "organiser": detail.fair.organiser,
                "ip_desk": detail.fair.ip_desk,
                "library_venue": detail.fair.library_venue or None,
                "catalogue_key": detail.fair.catalogue_key or None,
            },
            "computed_level": detail.computed_level.value,
            "level_rule": detail.level_rule,
            "level_override": detail.level_override.value if detail.level_override else None,
            "override_reason": detail.override_reason,
            "hall": detail.hall,
            "booth": detail.booth,
            "products": detail.products,
            "summary": detail.summary,
            "served_at": _local_iso(detail.served_at, tz),
            "created_at": detail.created_at.isoformat(),
            "parties": [
                {
                    "id": p.id,
                    "role": p.role.value,
                    "name": p.name,
                    "organisation": p.organisation,
                    "contact": p.contact,
                    "file_number": p.reference,
                }
                for p in detail.parties
            ],
            "rights": [
                {
                    "id": r.id,
                    "kind": r.kind.value,
                    "number": r.number,
                    "office": r.office,
                    "owner": r.owner,
                    "status": r.right_status,
                    "valid_from": r.valid_from.isoformat() if r.valid_from else None,
                    "valid_until": r.valid_until.isoformat() if r.valid_until else None,
                    "asserted_by_us": r.asserted_by_us,
                    "whose": "ours" if r.asserted_by_us else "theirs",
                }
                for r in detail.rights
            ],
            "deadlines": [
                {
                    "id": d.id,
                    "what": d.what,
                    "due": _local_iso(d.due_at, tz),
                    "due_utc": d.due_at.isoformat(),
                    "rule": d.rule.value,
                    "source": d.source,
                    "done": d.done,
                }
                for d in detail.deadlines
            ],
            "notes": [
                {
                    "id": n.id,
                    "text": n.text,
                    "author": n.author,
                    "created_at": n.created_at.isoformat(),
                }
                for n in detail.notes
            ],
            "timeline": [
                {
                    "id": t.id,
                    "kind": t.kind,
                    "old": t.old_value,
                    "new": t.new_value,
                    "reason": t.reason,
                    "author": t.author,
                    "created_at": t.created_at.isoformat(),
                }
                for t in detail.timeline
            ],
            "conflicts": [],
            "situation": situation_json(detail.situation),
        }
    )
    return out


def situation_json(reading: SituationReading | None) -> dict[str, Any] | None:
    """``situation`` in ``case show --json``: what everything downstream follows."""
    if reading is None:
        return None
    current = reading.situation
    return {
        "key": current.key(),
        "role": current.role.value,
        "event": current.event.value,
        "jurisdiction": current.jurisdiction or None,
        "label": describe(current),
        "computed": reading.computed.key(),
        "corrected": reading.corrected,
    }


# ---------------------------------------------------------------------------------------------


def _cmd_demo(args: argparse.Namespace) -> int:
    store = open_from_args(args)
    created = demo.fill_demo(store)
    if created:
        print(
            _("Demo data created: {count} cases in {path}").format(
                count=created, path=store.data_dir
            )
        )
    else:
        print(_("{path} already holds cases; demo data not added.").format(path=store.data_dir))
    return 0


_FAIR_OPTIONS = (
    # (option, FairInput field, help)
    ("--name", "name", N_("the fair's name in English (must be unique)")),
    ("--time-zone", "time_zone", N_("IANA time zone, e.g. Europe/Berlin")),
    ("--city", "city", N_("city")),
    ("--country", "country", N_("two-letter ISO country code, e.g. DE")),
    ("--venue", "venue", N_("exhibition grounds")),
    ("--starts", "starts_on", N_("first day this year (2026-04-20)")),
    ("--ends", "ends_on", N_("last day this year (2026-04-24)")),
    ("--opening-time", "opening_time", N_("usual opening time, fair-local (09:00)")),
    (
        "--closing-time",
        "closing_time",
        N_("usual closing time, fair-local (18:00); '' = not known"),
    ),
    ("--name-zh", "name_zh", N_("Chinese name")),
    ("--name-local", "name_local", N_("name in the local language")),
    ("--organiser", "organiser", N_("organiser")),
    ("--ip-desk", "ip_desk", N_("the organiser's IP desk, if it has one")),
    ("--source-url", "source_url", N_("where these facts come from (https://…)")),
    ("--notes", "notes", N_("notes")),
)


def _fair_changes(args: argparse.Namespace) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for _option, name, _help in _FAIR_OPTIONS:
        value = getattr(args, name)
        if value is None:
            continue
        changes[name] = _date(value) if name in ("starts_on", "ends_on") else value
    return changes


def _print_fair(fair: FairRow, as_json: bool) -> None:
    if as_json:
        print_json(fair.as_json())
    else:
        print(fair.id)


def _cmd_fair_add(args: argparse.Namespace) -> int:
    store = open_from_args(args)
    changes = _fair_changes(args)
    fair_id = cases.create_fair(store, FairInput(**changes))
    _print_fair(cases.get_fair(store, fair_id), args.json)
    return 0


def _cmd_fair_edit(args: argparse.Namespace) -> int:
    store = open_from_args(args)
    fair = cases.find_fair(store, args.fair)
    changes = _fair_changes(args)
    if not changes:
        raise ValidationError(_("Nothing to change: give at least one option, e.g. --starts."))
    _print_fair(cases.edit_fair(store, fair.id, changes), args.json)
    return 0


def _cmd_fair_list(args: argparse.Namespace) -> int:
    store = open_from_args(args)
    fairs = cases.list_fairs(store)
    if args.json:
        print_json([f.as_json() for f in fairs])
    else:
        for f in fairs:
            dates = f"{f.starts_on}–{f.ends_on}" if f.starts_on and f.ends_on else ""
            print(f"{f.id}  {f.name}  {f.city} {f.country}  {f.time_zone}  {dates}".rstrip())
    return 0


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(
            _("Not a valid date: {text} (use 2026-03-05)").format(text=text)
        ) from exc


def _fair_id(store: Any, text: str | None) -> str | None:
    return cases.find_fair(store, text).id if text else None


def _fair_zone(store: Any, fair_id: str | None) -> str:
    if not fair_id:
        return "UTC"
    return cases.find_fair(store, fair_id).time_zone


def _party(text: str, role: PartyRole, file_number: str = "") -> PartyInput:
    name, _sep, org = text.partition("@")
    return PartyInput(role, name.strip(), org.strip(), reference=file_number)


# One option per role: (option stem, role, help). `case new --court X`, `case edit --add-court X`.
ROLE_OPTIONS = (
    ("complainant", PartyRole.COMPLAINANT, N_("rights holder / applicant / complainant")),
    ("respondent", PartyRole.RESPONDENT, N_("the party the proceeding is against")),
    ("their-counsel", PartyRole.THEIR_COUNSEL, N_("the other side's lawyer")),
    ("us", PartyRole.US, N_("our own company (the exhibitor)")),
    ("our-counsel", PartyRole.OUR_COUNSEL, N_("our lawyer")),
    ("court", PartyRole.COURT, N_("court or authority that issued the order (see --file-number)")),
    ("bailiff", PartyRole.BAILIFF, N_("bailiff / court officer who served or enforced it")),
    ("customs", PartyRole.CUSTOMS, N_("customs officer or office")),
    ("police", PartyRole.POLICE, N_("police officer or unit")),
    ("organiser-desk", PartyRole.ORGANISER_IP_DESK, N_("the organiser's IP desk")),
    ("witness", PartyRole.WITNESS, N_("witness")),
    ("notary", PartyRole.NOTARY, N_("notary")),
)


def _parties(args: argparse.Namespace, prefix: str) -> list[PartyInput]:
    parties: list[PartyInput] = []
    for stem, role, _help in ROLE_OPTIONS:
        for text in getattr(args, prefix + stem.replace("-", "_")):
            file_number = ""
            if role is PartyRole.COURT and not any(p.role is role for p in parties):
                file_number = args.file_number or ""
            parties.append(_party(text, role, file_number))
    if args.file_number and not any(p.role is PartyRole.COURT for p in parties):
        raise ValidationError(
            _("--file-number belongs to a court or authority: give it with --court NAME.")
        )
    return parties


def _warn_rights(rights: list[RightInput]) -> None:
    for right in rights:
        warning = cases.right_warning(right)
        if warning:
            print(_("Warning: {text}").format(text=warning), file=sys.stderr)


def _right(text: str, *, ours: bool = False) -> RightInput:
    kind, _sep, rest = text.partition(":")
    number, _sep, office = rest.partition(":")
    try:
        return RightInput(
            RightKind(kind.strip()), number.strip(), office.strip(), asserted_by_us=ours
        )
    except ValueError as exc:
        raise ValidationError(
            _("Unknown right kind {kind}; use one of: {kinds}").format(
                kind=kind, kinds=", ".join(_values(RightKind))
            )
        ) from exc


def _deadline(args: argparse.Namespace, tz: str) -> list[DeadlineInput]:
    what = args.deadline_what or _("Response due")
    if args.deadline:
        return [DeadlineInput(what, DeadlineRule.FIXED, due_at=parse_instant(args.deadline, tz))]
    if args.deadline_hours is not None:
        return [DeadlineInput(what, DeadlineRule.HOURS_FROM_SERVICE, hours=args.deadline_hours)]
    if args.deadline_fair_day:
        return [
            DeadlineInput(
                what, DeadlineRule.END_OF_FAIR_DAY, fair_day=_date(args.deadline_fair_day)
            )
        ]
    return []


def _cmd_case_new(args: argparse.Namespace) -> int:
    store = open_from_args(args)
    fair_id = _fair_id(store, args.fair)
    tz = _fair_zone(store, fair_id)
    served_at = parse_instant(args.served_at, tz) if args.served_at else None
    if args.deadline_hours is not None and served_at is None:
        served_at = utcnow()
    parties = _parties(args, "")
    rights = [_right(r) for r in args.right] + [_right(r, ours=True) for r in args.our_right]
    _warn_rights(rights)
    data = CaseInput(
        title=args.title,
        direction=Direction(args.direction),
        trigger=Trigger(args.trigger),
        fair_id=fair_id,
        hall=args.hall,
        booth=args.booth,
        products=args.products,
        summary=args.summary,
        served_at=served_at,
        number=args.number,
        parties=parties,
        rights=rights,
        deadlines=_deadline(args, tz),
        note=args.note,
    )
    case_id = cases.create_case(store, data)
    if args.json:
        print_json(case_detail_json(cases.get_case(store, case_id)))
    else:
        print(case_id)
    return 0


def _cmd_case_edit(args: argparse.Namespace) -> int:
    store = open_from_args(args, create=False)
    detail = cases.get_case(store, args.id)
    case_id = detail.case.id
    changes: dict[str, Any] = {}
    for name in ("title", "hall", "booth", "products", "summary", "status", "direction", "trigger"):
        value = getattr(args, name)
        if value is not None:
            changes[name] = value
    if args.fair is not None:
        changes["fair_id"] = _fair_id(store, args.fair) if args.fair else None
    tz = detail.case.fair_time_zone
    if args.served_at:
        changes["served_at"] = parse_instant(args.served_at, tz)
    if args.level is not None:
        if not args.reason:
            raise ValidationError(_("Changing the warning level by hand needs --reason."))
        changes["level"] = None if args.level == "auto" else args.level
    if args.situation is not None:
        changes["situation"] = args.situation
    if changes:
        cases.edit_case(store, case_id, CaseEdit(**changes), reason=args.reason or "")
    for text in args.add_note:
        cases.add_note(store, case_id, text)
    for party in _parties(args, "add_"):
        cases.add_party(store, case_id, party)
    new_rights = [_right(r) for r in args.add_right]
    new_rights += [_right(r, ours=True) for r in args.add_our_right]
    _warn_rights(new_rights)
    for right in new_rights:
        cases.add_right(store, case_id, right)
    for party_id in args.remove_party:
        cases.remove_party(store, party_id, reason=args.reason or "")
    for right_id in args.remove_right:
        cases.remove_right(store, right_id, reason=args.reason or "")
    for deadline in _deadline(args, tz):
        cases.add_deadline(store, case_id, deadline)
    for deadline_id in args.done:
        cases.set_deadline_done(store, deadline_id)
    after = cases.get_case(store, case_id)
    if args.json:
        print_json(case_detail_json(after))
    else:
        print("\n".join(describe_edit(detail, after)))
    return 0


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    text = str(getattr(value, "value", value)).replace("\n", " ")
    return f"“{text[:57]}…”" if len(text) > 60 else f"“{text}”"


def describe_edit(before: CaseDetail, after: CaseDetail) -> list[str]:
    """What ``case edit`` changed, one line per field ("nothing" said out loud too)."""
    fields: list[tuple[str, Callable[[CaseDetail], Any]]] = [
        (_("title"), lambda d: d.case.title),
        (_("status"), lambda d: d.case.status),
        (_("direction"), lambda d: d.case.direction),
        (_("trigger"), lambda d: d.case.trigger),
        (_("warning level"), lambda d: d.case.level),
        (_("fair"), lambda d: d.case.fair_name),
        (_("hall"), lambda d: d.hall),
        (_("booth"), lambda d: d.booth),
        (_("products"), lambda d: d.products),
        (_("summary"), lambda d: d.summary),
        (_("served at"), lambda d: d.served_at),
        (_("notes"), lambda d: len(d.notes)),
        (_("parties"), lambda d: len(d.parties)),
        (_("rights"), lambda d: len(d.rights)),
        (_("deadlines"), lambda d: len(d.deadlines)),
        (_("deadlines done"), lambda d: sum(1 for x in d.deadlines if x.done)),
    ]
    lines = []
    for label, read in fields:
        old, new = read(before), read(after)
        if old != new:
            shown = (str(old), str(new)) if isinstance(old, int) else (_shown(old), _shown(new))
            lines.append(f"  {label}: {shown[0]} → {shown[1]}")
    number = after.case.number
    if not lines:
        return [_("Nothing changed in case {number}.").format(number=number)]
    return [_("Case {number} changed:").format(number=number), *lines]


def _cmd_case_list(args: argparse.Namespace) -> int:
    store = open_from_args(args, create=False)
    flt = CaseFilter(
        search=args.search or "",
        levels=tuple(Level(v) for v in args.level),
        statuses=tuple(Status(v) for v in args.status),
        directions=tuple(Direction(v) for v in args.direction),
        fair_id=_fair_id(store, args.fair),
        include_closed=not args.open_only,
    )
    rows = cases.list_cases(store, flt, sort=args.sort, limit=args.limit)
    if args.json:
        print_json([case_row_json(r) for r in rows])
        return 0
    for r in rows:
        due = format_local(r.next_deadline, r.fair_time_zone or "UTC") or "—"
        print(f"{_(LABELS[r.level]):6}  {r.number:12}  {r.title[:60]:60}  {due}")
    if not rows:
        print(_("No cases match."), file=sys.stderr)
    return 0


def _cmd_case_show(args: argparse.Namespace) -> int:
    store = open_from_args(args, create=False)
    detail = cases.get_case(store, args.id)
    payload = case_detail_json(detail) | _case_sections(store, detail.case.id)
    for key, provider in SHOW_EXTENSIONS.items():
        payload[key] = provider(store, detail.case.id)
    if args.json:
        print_json(payload)
        return 0
    tz = detail.case.fair_time_zone
    print(f"{detail.case.number}  [{_(LABELS[detail.case.level])}]  {detail.case.title}")
    status_label, direction_label, fair_label = _("Status"), _("Direction"), _("Fair")
    print(
        f"{status_label}: {_(LABELS[detail.case.status])}   "
        f"{direction_label}: {_(LABELS[detail.case.direction])}"
    )
    if detail.fair:
        print(
            f"{fair_label}: {detail.fair.name} ({detail.fair.city}, {tz})  "
            f"{detail.hall} {detail.booth}"
        )
    if detail.situation is not None:
        print(f"{_('Situation')}: {describe(detail.situation.situation)}")
    if detail.summary:
        print(detail.summary)
    for d in detail.deadlines:
        mark = "✓" if d.done else "•"
        print(f"  {mark} {format_local(d.due_at, tz)}  {d.what}")
    for p in detail.parties:
        file_number = f"  [{p.reference}]" if p.reference else ""
        print(f"  {_(LABELS[p.role])}: {p.name} {p.organisation}{file_number}".rstrip())
    for r in detail.rights:
        whose = _("ours") if r.asserted_by_us else _("theirs")
        print(f"  {_(LABELS[r.kind])} ({whose}): {r.number} {r.office}".rstrip())
    for n in detail.notes:
        print(f"  [{format_local(n.created_at, tz)}] {n.text}")
    return 0


def _add_case_fields(parser: argparse.ArgumentParser, *, new: bool) -> None:
    default: Any = "" if new else None
    parser.add_argument("--title", required=new, default=None)
    parser.add_argument(
        "--direction",
        choices=_values(Direction),
        default=Direction.AGAINST_US.value if new else None,
    )
    parser.add_argument(
        "--trigger",
        choices=_values(Trigger),
        default=Trigger.COMPLAINT.value if new else None,
        help=_("what was served or seen"),
    )
    parser.add_argument(
        "--fair", default=None, help=_("fair id or name (English, Chinese or local)")
    )
    parser.add_argument("--hall", default=default)
    parser.add_argument("--booth", default=default)
    parser.add_argument("--products", default=default)
    parser.add_argument("--summary", default=default)
    parser.add_argument(
        "--served-at",
        default=None,
        help=_("when the papers were served (ISO 8601; fair-local if no offset)"),
    )
    parser.add_argument(
        "--deadline", default=None, help=_("deadline (ISO 8601; fair-local time if no offset)")
    )
    parser.add_argument(
        "--deadline-hours", type=int, default=None, help=_("deadline N hours after service")
    )
    parser.add_argument(
        "--deadline-fair-day",
        default=None,
        help=_("deadline at the fair's closing time on this date"),
    )
    parser.add_argument("--deadline-what", default=None)
    parser.add_argument("--json", action="store_true")


def register(subparsers: Any) -> None:
    demo_parser = add_subcommand(subparsers, "demo", _("fill the data folder with demo data"))
    demo_parser.set_defaults(handler=_cmd_demo)

    fair = add_subcommand(subparsers, "fair", _("fairs: the shipped catalogue and your own"))
    fair_sub = fair.add_subparsers(dest="fair_command", required=True)
    add = add_subcommand(fair_sub, "add", _("add a fair; prints its id"))
    edit_fair = add_subcommand(
        fair_sub, "edit", _("change a fair, e.g. this year's dates; prints its id")
    )
    edit_fair.add_argument("fair", help=_("fair id or name (English, Chinese or local)"))
    for option, name, help_text in _FAIR_OPTIONS:
        required = option in ("--name", "--time-zone")
        add.add_argument(option, dest=name, required=required, default=None, help=_(help_text))
        edit_fair.add_argument(option, dest=name, default=None, help=_(help_text))
    for sub in (add, edit_fair):
        sub.add_argument("--json", action="store_true", help=_("print the fair as JSON"))
    add.set_defaults(handler=_cmd_fair_add)
    edit_fair.set_defaults(handler=_cmd_fair_edit)
    flist = add_subcommand(fair_sub, "list", _("list fairs"))
    flist.add_argument(
        "--json", action="store_true", help=_("JSON: name, country, time_zone and more")
    )
    flist.set_defaults(handler=_cmd_fair_list)

    case = add_subcommand(subparsers, "case", _("record, edit and find cases"))
    case_sub = case.add_subparsers(dest="case_command", required=True)

    new = add_subcommand(case_sub, "new", _("record a new case; prints its id"))
    _add_case_fields(new, new=True)
    new.add_argument("--number", default=None, help=_("case number (default: generated)"))
    for stem, _role, help_text in ROLE_OPTIONS:
        new.add_argument(
            f"--{stem}", action="append", default=[], metavar="NAME[@ORG]", help=_(help_text)
        )
    new.add_argument(
        "--file-number",
        default=None,
        help=_("the court's or authority's file number (Aktenzeichen, 案号)"),
    )
    new.add_argument(
        "--right",
        action="append",
        default=[],
        metavar="KIND:NUMBER[:OFFICE]",
        help=_("a right asserted against us (theirs); kinds: {kinds}").format(
            kinds=", ".join(_values(RightKind))
        ),
    )
    new.add_argument(
        "--our-right",
        action="append",
        default=[],
        metavar="KIND:NUMBER[:OFFICE]",
        help=_("one of our own rights (ours)"),
    )
    new.add_argument("--note", default="")
    new.set_defaults(handler=_cmd_case_new)

    edit = add_subcommand(case_sub, "edit", _("change a case"))
    edit.add_argument("id", help=_("case id or number"))
    _add_case_fields(edit, new=False)
    edit.add_argument("--status", choices=_values(Status), default=None)
    edit.add_argument(
        "--level",
        choices=[*_values(Level), "auto"],
        default=None,
        help=_("override the warning level (needs --reason); auto lifts it"),
    )
    edit.add_argument(
        "--situation",
        default=None,
        metavar="ROLE/EVENT/WHERE",
        help=_(
            "correct the situation, e.g. respondent/ex_parte_order_served/UPC "
            "(auto goes back to the one computed from the facts)"
        ),
    )
    edit.add_argument("--reason", default=None)
    edit.add_argument("--add-note", action="append", default=[])
    for stem, _role, help_text in ROLE_OPTIONS:
        edit.add_argument(
            f"--add-{stem}", action="append", default=[], metavar="NAME[@ORG]", help=_(help_text)
        )
    edit.add_argument(
        "--file-number",
        default=None,
        help=_("file number of the court added with --add-court (Aktenzeichen, 案号)"),
    )
    edit.add_argument(
        "--add-right",
        action="append",
        default=[],
        metavar="KIND:NUMBER[:OFFICE]",
        help=_("a right asserted against us (theirs)"),
    )
    edit.add_argument(
        "--add-our-right",
        action="append",
        default=[],
        metavar="KIND:NUMBER[:OFFICE]",
        help=_("one of our own rights (ours)"),
    )
    edit.add_argument("--remove-party", action="append", default=[], metavar="PARTY_ID")
    edit.add_argument("--remove-right", action="append", default=[], metavar="RIGHT_ID")
    edit.add_argument(
        "--done", action="append", default=[], metavar="DEADLINE_ID", help=_("mark a deadline done")
    )
    edit.set_defaults(handler=_cmd_case_edit)

    lst = add_subcommand(case_sub, "list", _("list cases (red first, then by deadline)"))
    lst.add_argument("--search", default=None)
    lst.add_argument("--level", action="append", default=[], choices=_values(Level))
    lst.add_argument("--status", action="append", default=[], choices=_values(Status))
    lst.add_argument("--direction", action="append", default=[], choices=_values(Direction))
    lst.add_argument("--fair", default=None)
    lst.add_argument("--open-only", action="store_true")
    lst.add_argument("--sort", default="level", choices=cases.SORT_COLUMNS)
    lst.add_argument("--limit", type=int, default=None)
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=_cmd_case_list)

    show = add_subcommand(case_sub, "show", _("show one case with everything attached"))
    show.add_argument("id", help=_("case id or number"))
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_cmd_case_show)
