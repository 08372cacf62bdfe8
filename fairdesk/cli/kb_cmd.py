"""``fairdesk kb …`` (reference library, guidance, alerts) and ``fairdesk risk map …``.

JSON output is a stable contract for scripts. An entry's JSON carries its ``sources`` (url,
type, published, checked, confidence); gaps are ``{"gap": true}`` and say so in text output.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fairdesk.cli.common import add_subcommand, open_from_args, print_json
from fairdesk.errors import NotFoundError, ValidationError
from fairdesk.i18n import N_, _
from fairdesk.knowledge import alerts, guidance, library, riskmaps
from fairdesk.knowledge import search as kb_search
from fairdesk.knowledge.library import (
    CONFIDENCE_LABELS,
    FIELD_LABELS,
    FLAG_LABELS,
    PUBLISHED_UNKNOWN,
    SIDE_NOTES,
    SOURCE_TYPE_LABELS,
    Contact,
    Entry,
    Library,
    Text,
)
from fairdesk.knowledge.situation_rules import ANCHORS
from fairdesk.model import LABELS, RightKind
from fairdesk.situation import describe
from fairdesk.store import Store
from fairdesk.timeutil import format_local, parse_instant, utcnow

# ---------------------------------------------------------------------------------------------
# JSON shapes


def _text_json(text: Text) -> Any:
    if text.gap:
        return {"gap": True}
    out: dict[str, Any] = {"en": text.en, "zh": text.zh, "refs": list(text.refs)}
    if text.unverified:
        out["unverified"] = True
    return out


def entry_json(entry: Entry, *, full: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": entry.id,
        "kind": entry.kind,
        "country": entry.country,
        "title": _text_json(entry.title),
        "summary": _text_json(entry.summary),
        "confidence": entry.confidence,
        "flags": list(entry.flags),
        "addressed_to": entry.addressed_to,  # None: either side
        "as_of": entry.as_of or entry.checked,
        "review_by": entry.review_by,
        "check_before_relying": entry.is_outdated(_today()),
    }
    if not full:
        return out
    out.update(
        {
            "applies_in": list(entry.applies_in),
            "instrument": entry.instrument,
            "ex_parte": entry.ex_parte,
            "time_zone": entry.time_zone,
            "applies_to": _text_json(entry.applies_to),
            "fields": {name: _text_json(text) for name, text in entry.fields},
            "items": [_text_json(t) for t in entry.items],
            "contacts": [
                {
                    "name": _text_json(c.name),
                    "role": {"en": c.role.en, "zh": c.role.zh},
                    "url": c.url,
                    "refs": list(c.refs),
                    "phone": c.phone or None,
                    "email": c.email or None,
                    "address": c.address or None,
                    "hours": c.hours or None,
                    "language": c.language or None,
                }
                for c in entry.contacts
            ],
            "deadlines": [
                {
                    "id": d.id,
                    "what": _text_json(d.what),
                    "rule": d.rule,
                    "party": d.party,
                    "hours": d.hours,
                    "days": d.days,
                    "months": d.months,
                    "business_days": d.business_days,
                    "from": d.counted_from,
                    "refs": list(d.refs),
                }
                for d in entry.deadlines
            ],
            "documents": list(entry.documents),
            "venues": list(entry.venues),
            "checked": entry.checked,
            "sources": [
                {
                    "ref": s.ref,
                    "url": s.url,
                    "type": s.type,
                    "published": s.published,
                    "checked": s.checked,
                    "confidence": s.confidence,
                    "title": s.title,
                }
                for s in entry.sources
            ],
        }
    )
    return out


def guidance_json(g: guidance.Guidance) -> dict[str, Any]:
    return {
        "country": g.country or None,
        "fair": g.fair_name or None,
        "has_data": g.has_data,
        "message": g.message,
        "library_edition": g.edition,
        "library_version": g.library_version,
        "venue": entry_json(g.venue, full=False) if g.venue else None,
        "cards": [entry_json(e) for e in g.cards],
        # Procedures only the other side can use: what to expect, not steps for us.
        "other_side": [entry_json(e) for e in g.other_side],
        "proposed_deadlines": [
            {
                "id": d.spec_id,
                "entry": d.entry_id,
                "what": d.what,
                "party": d.party,
                "whose": guidance.whose_deadline(d.party, g.defending),  # ours / theirs / authority
                "due_utc": d.due_at.astimezone(UTC).isoformat() if d.due_at else None,
                "rule": d.input.rule.value if d.input else None,
                "hours": d.input.hours if d.input else None,
                "can_add": d.input is not None,
                "alternative": d.alternative,
                "note": d.note,
                "sources": [{"ref": s.ref, "url": s.url} for s in d.sources],
                "anchor": d.anchor,
                "anchor_label": _(ANCHORS.get(d.anchor, "")) if d.anchor in ANCHORS else None,
            }
            for d in g.deadlines
        ],
        "situation": g.situation.key() if g.situation is not None else None,
        "situation_label": describe(g.situation) if g.situation is not None else None,
        "covered": g.covered,
        "situation_note": g.note,
        "situation_sources": [{"ref": s.ref, "url": s.url} for s in g.note_sources],
        "gaps": list(g.gaps),
        "documents": list(g.documents),
        "level_hint": None
        if g.level_hint is None
        else {
            "level": g.level_hint.level.value,
            "reason": g.level_hint.reason,
            "entries": list(g.level_hint.entries),
        },
        "checklists": [entry_json(e) for e in g.checklists],
        "past_cases": [entry_json(e, full=False) for e in g.past_cases],
        "institutions": [entry_json(e, full=False) for e in g.institutions],
    }


def case_guidance_json(store: Store, case_id: str) -> dict[str, Any]:
    return guidance_json(guidance.guidance_for_case(store, case_id))


# ---------------------------------------------------------------------------------------------
# Text output


def _today() -> date:
    return utcnow().date()


def _flags_text(entry: Entry) -> str:
    return ", ".join(_(FLAG_LABELS[f]) for f in entry.flags)


def _outdated_mark(entry: Entry) -> str:
    """The visible "check before relying" mark of an entry past its review date, else ""."""
    if not entry.is_outdated(_today()):
        return ""
    return _("CHECK BEFORE RELYING: review date {date} has passed").format(date=entry.review_by)


def contact_lines(contact: Contact) -> list[str]:
    """A contact as printable lines; a missing phone number is said, never left blank."""
    lines = [f"{contact.name.get()} — {contact.role.get()}".rstrip(" —")]
    if contact.phone:
        lines.append(f"{_('Phone')}: {contact.phone}")
    else:
        lines.append(_("No verified phone number: use the official page or e-mail."))
    for label, value in (
        (_("E-mail"), contact.email),
        (_("Address"), contact.address),
        (_("Opening hours"), contact.hours),
        (_("Language"), contact.language),
        (_("Web"), contact.url or ""),
    ):
        if value:
            lines.append(f"{label}: {value}")
    lines.append(_("Source") + ": " + "".join(f"[{r}]" for r in contact.refs))
    return lines


# Strings used inside f-strings below (the extractor cannot see those), so that the
# translation catalog and its completeness test cover them.
_IN_F_STRINGS = (
    N_("Country"),
    N_("Confidence"),
    N_("As of"),
    N_("Applies to"),
    N_("Flags"),
    N_("Contact"),
    N_("published"),
    N_("checked"),
    N_("Phone"),
    N_("E-mail"),
    N_("Address"),
    N_("Opening hours"),
    N_("Language"),
    N_("Web"),
    N_("Source"),
    N_("Review by"),
)


def print_entry(entry: Entry) -> None:
    print(f"{entry.title.get()}  [{entry.id}]")
    print(
        f"{_('Country')}: {entry.country}   "
        f"{_('Confidence')}: {_(CONFIDENCE_LABELS[entry.confidence])}   "
        f"{_('As of')}: {entry.as_of or entry.checked}   {_('Review by')}: {entry.review_by}   "
        f"{_('Applies to')}: {entry.applies_to.get()}"
    )
    mark = _outdated_mark(entry)
    if mark:
        print(f"!! {mark}")
    if entry.flags:
        print(f"{_('Flags')}: {_flags_text(entry)}")
    if entry.addressed_to is not None:
        print(_(SIDE_NOTES[entry.addressed_to]))
    print(entry.summary.get())
    for name, text in entry.fields:
        refs = "".join(f"[{r}]" for r in text.refs)
        print(f"  {_(FIELD_LABELS.get(name, name))}: {text.get()} {refs}".rstrip())
    for item in entry.items:
        print(f"  - {item.get()} {''.join(f'[{r}]' for r in item.refs)}")
    for contact in entry.contacts:
        first, *rest = contact_lines(contact)
        print(f"  {_('Contact')}: {first}")
        for line in rest:
            print(f"      {line}")
    print(_("Sources:"))
    for s in entry.sources:
        published = _(PUBLISHED_UNKNOWN) if s.published == "unknown" else s.published
        print(
            f"  [{s.ref}] {s.url} ({_(SOURCE_TYPE_LABELS[s.type])}; {_('published')} "
            f"{published}; {_('checked')} {s.checked})"
        )


# ---------------------------------------------------------------------------------------------
# Handlers


def _library(args: argparse.Namespace) -> tuple[Store, Library]:
    store = open_from_args(args)
    return store, library.load_active(store)


def _cmd_search(args: argparse.Namespace) -> int:
    store, lib = _library(args)
    try:
        hits = kb_search.search(lib, args.text, country=args.country, limit=args.limit)
    finally:
        store.close()
    if args.json:
        print_json(
            {
                "query": args.text,
                "edition": lib.edition,
                "results": [entry_json(h.entry, full=False) for h in hits],
            }
        )
        return 0
    if not hits:
        print(
            _('Nothing found for "{text}" in library edition {edition}.').format(
                text=args.text, edition=lib.edition
            )
        )
        return 0
    for hit in hits:
        mark = "  !! " + _("check before relying") if hit.entry.is_outdated(_today()) else ""
        print(f"{hit.entry.id:32} {hit.entry.country:4} {hit.entry.title.get()}{mark}")
    return 0


def changes_json(lib: Library) -> dict[str, Any]:
    return {
        "library_version": lib.library_version,
        "edition": lib.edition,
        "changelog": [
            {
                "edition": note.edition,
                "published_at": note.published_at,
                "title": _text_json(note.title),
                "items": [
                    {"entries": list(item.entries), "en": item.text.en, "zh": item.text.zh}
                    for item in note.items
                ],
            }
            for note in lib.changelog
        ],
    }


def _cmd_changes(args: argparse.Namespace) -> int:
    store, lib = _library(args)
    store.close()
    notes = [n for n in lib.changelog if args.edition in (None, n.edition)]
    if args.json:
        data = changes_json(lib)
        data["changelog"] = [c for c in data["changelog"] if args.edition in (None, c["edition"])]
        print_json(data)
        return 0
    if not notes:
        print(_("No change log for edition {edition}.").format(edition=args.edition or lib.edition))
        return 0
    for note in notes:
        print(f"{note.title.get()} ({note.published_at})")
        for item in note.items:
            print(f"  - {item.text.get()}")
            print(f"    [{', '.join(item.entries)}]")
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    store, lib = _library(args)
    store.close()
    entry = lib.get(args.id)
    if entry is None:
        raise NotFoundError(_("No library entry with id {id}.").format(id=args.id))
    if args.json:
        print_json(entry_json(entry))
    else:
        print_entry(entry)
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    store, lib = _library(args)
    store.close()
    entries = lib.for_country(args.country) if args.country else list(lib.entries)
    if args.kind:
        entries = [e for e in entries if e.kind == args.kind]
    if args.json:
        print_json(
            {
                "edition": lib.edition,
                "library_version": lib.library_version,
                "origin": lib.origin,
                "entries": [entry_json(e, full=False) for e in entries],
            }
        )
        return 0
    print(
        _("Library edition {edition} (version {version}), {count} entries.").format(
            edition=lib.edition, version=lib.library_version, count=len(entries)
        )
    )
    for entry in entries:
        flags = f"  ({_flags_text(entry)})" if entry.flags else ""
        print(f"{entry.id:32} {entry.country:4} {entry.title.get()}{flags}")
    return 0


def _cmd_guidance(args: argparse.Namespace) -> int:
    store = open_from_args(args)
    try:
        g = guidance.guidance_for_case(store, args.case)
    finally:
        store.close()
    if args.json:
        print_json(guidance_json(g))
        return 0
    if g.situation is not None:
        print(f"{_('Situation')}: {describe(g.situation)}")
    print(g.message)
    if g.note:
        print(g.note)
    for gap in g.gaps:
        print(gap)
    if g.level_hint:
        print(g.level_hint.reason)
    for entry in g.cards:
        print()
        print_entry(entry)
    if g.other_side:
        print()
        print(_(guidance.OTHER_SIDE_TITLE))
        print(_(guidance.OTHER_SIDE_NOTE))
        for entry in g.other_side:
            print()
            print_entry(entry)
    if g.deadlines:
        print()
        print(_("Proposed deadlines (add them from the case page):"))
        for d in g.deadlines:
            when = format_local(d.due_at, g.time_zone) if d.due_at else "—"
            print(f"  {when}  {d.what}  ({d.note})")
    print()
    print(_("Suggested documents: {kinds}").format(kinds=", ".join(g.documents)))
    for checklist in g.checklists:
        print()
        print_entry(checklist)
    return 0


def _cmd_apply(args: argparse.Namespace) -> int:
    try:
        payload = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationError(
            _("Cannot read the update file {path}: {error}").format(path=args.file, error=exc)
        ) from exc
    store = open_from_args(args)
    try:
        result = library.apply_reference_update(store, payload)
    finally:
        store.close()
    changes = result.changes.as_json()
    if args.json:
        print_json(
            {
                "library_version": result.library_version,
                "edition": result.edition,
                "previous_version": result.previous_version,
                "changes": changes,
            }
        )
        return 0
    print(
        _(
            "Library version {version} ({edition}) is now in use: {added} added, {removed} "
            "removed, {changed} changed."
        ).format(
            version=result.library_version,
            edition=result.edition,
            added=len(changes["added"]),
            removed=len(changes["removed"]),
            changed=len(changes["changed"]),
        )
    )
    return 0


def _cmd_versions(args: argparse.Namespace) -> int:
    store, lib = _library(args)
    try:
        rows = library.history(store)
    finally:
        store.close()
    if args.json:
        print_json(
            {
                "active": {
                    "library_version": lib.library_version,
                    "edition": lib.edition,
                    "origin": lib.origin,
                },
                "applied": [vars(r) for r in rows],
            }
        )
        return 0
    origin = _("shipped with the app") if lib.origin == "shipped" else _("update from HQ")
    print(
        _("In use: version {version} ({edition}, {origin}).").format(
            version=lib.library_version, edition=lib.edition, origin=origin
        )
    )
    for r in rows:
        print(
            f"{r.library_version:5} {r.edition:16} {r.applied_at}  "
            f"+{len(r.changes.get('added', []))} -{len(r.changes.get('removed', []))} "
            f"~{len(r.changes.get('changed', {}))}"
        )
    return 0


def _alert_json(a: alerts.AlertRow) -> dict[str, Any]:
    return {
        "id": a.id,
        "level": a.level.value,
        "title": {"en": a.title_en, "zh": a.title_zh},
        "text": {"en": a.text_en, "zh": a.text_zh},
        "countries": list(a.countries),
        "fairs": list(a.fairs),
        "goods": list(a.goods),
        "valid_from": a.valid_from,
        "valid_until": a.valid_until,
        "published_at": a.published_at,
        "acknowledged_at": a.acknowledged_at,
        "acknowledged_by": a.acknowledged_by,
    }


def _cmd_alerts(args: argparse.Namespace) -> int:
    store = open_from_args(args)
    try:
        rows = alerts.list_alerts(store, include_inactive=args.all)
    finally:
        store.close()
    if args.json:
        print_json({"alerts": [_alert_json(a) for a in rows]})
        return 0
    for a in rows:
        state = _("acknowledged") if a.acknowledged_at else _("NEW")
        print(f"[{_(LABELS[a.level])}] {state:8} {a.id}  {a.title()}")
    return 0


def _cmd_ack(args: argparse.Namespace) -> int:
    store = open_from_args(args)
    try:
        row = alerts.acknowledge(store, args.id)
    finally:
        store.close()
    print(_("Alert acknowledged: {title}").format(title=row.title()))
    return 0


def _instant_arg(value: str | None) -> datetime | None:
    return parse_instant(value) if value else None


def _cmd_risk_map(args: argparse.Namespace) -> int:
    flt = riskmaps.RiskFilter(
        _instant_arg(args.since),
        _instant_arg(args.until),
        RightKind(args.right_kind) if args.right_kind else None,
    )
    store = open_from_args(args)
    try:
        risk_map = riskmaps.compute(store, args.map, flt)
    finally:
        store.close()
    if args.csv:
        riskmaps.export_csv(risk_map, Path(args.csv))
    if args.pdf:
        riskmaps.export_pdf(risk_map, Path(args.pdf))
    if args.json:
        print_json(
            {
                "map": risk_map.kind,
                "cases_counted": risk_map.cases_counted,
                "rows": [
                    {
                        "rank": n,
                        "key": r.key,
                        "name": r.label(),
                        "name_en": r.label_en,
                        "name_zh": r.label_zh,
                        "cases": r.count,
                        "red_cases": r.red,
                        "score": r.score,
                        "detail": r.detail,
                        "open_cases": r.open,
                        "open_exposure": r.open_score,
                        "level": str(r.level),
                        "rule": r.rule,
                        "trend": dict(sorted(r.months.items())),
                    }
                    for n, r in enumerate(risk_map.rows, start=1)
                ],
                "level": str(risk_map.level),
                "rule": risk_map.rule,
                "level_set_by": risk_map.level_row,
                "counterparties": [
                    {"rank": n, "name": r.label_en, "cases": r.count, "detail": r.detail}
                    for n, r in enumerate(risk_map.counterparties, start=1)
                ],
                "industries": [
                    {
                        "key": r.key,
                        "name": r.label_en,
                        "cases": r.count,
                        "open_cases": r.open,
                        "level": str(r.level),
                        "rule": r.rule,
                    }
                    for r in risk_map.industries
                ],
                "fairs": [
                    {"rank": n, "name": r.label_en, "cases": r.count, "score": r.score}
                    for n, r in enumerate(risk_map.fairs, start=1)
                ],
                "unclassified_cases": (risk_map.unclassified.count if risk_map.unclassified else 0),
            }
        )
        return 0
    if not (args.csv or args.pdf):
        for line in riskmaps.table(risk_map):
            print("\t".join(line))
        print()
        print(_("Map level: {text}").format(text=riskmaps.level_text(risk_map)))
        for title, lines in riskmaps.extra_tables(risk_map):
            print()
            print(title)
            for line in lines:
                print("\t".join(line))
        note = riskmaps.unclassified_note(risk_map)
        if note:
            print()
            print(note)
    return 0


def register(subparsers: Any) -> None:
    kb = add_subcommand(subparsers, "kb", _("reference library, guidance and risk alerts"))
    sub = kb.add_subparsers(dest="kb_command", required=True)
    p = add_subcommand(sub, "search", _("search the library (Chinese or English)"))
    p.add_argument("text")
    p.add_argument("--country", default=None, help=_("two-letter country code, or UPC"))
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_cmd_search)
    p = add_subcommand(sub, "show", _("show one library entry with its sources"))
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_cmd_show)
    p = add_subcommand(sub, "list", _("list library entries"))
    p.add_argument("--country", default=None, help=_("two-letter country code, or UPC"))
    p.add_argument("--kind", choices=library.KINDS, default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_cmd_list)
    p = add_subcommand(sub, "guidance", _("procedure, deadlines and documents for a case"))
    p.add_argument("case", help=_("case id or number"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_cmd_guidance)
    p = add_subcommand(sub, "apply", _("apply a library update from a JSON file"))
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_cmd_apply)
    p = add_subcommand(sub, "versions", _("library versions applied on this device"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_cmd_versions)
    p = add_subcommand(sub, "changes", _("what changed in the library edition in use"))
    p.add_argument("--edition", default=None, help=_("only this edition, e.g. 2026.12"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_cmd_changes)
    p = add_subcommand(sub, "alerts", _("risk alerts from HQ"))
    p.add_argument("--all", action="store_true", help=_("include expired alerts"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_cmd_alerts)
    p = add_subcommand(sub, "ack", _("acknowledge a risk alert"))
    p.add_argument("id")
    p.set_defaults(handler=_cmd_ack)

    risk = add_subcommand(subparsers, "risk", _("the three risk maps"))
    risk_sub = risk.add_subparsers(dest="risk_command", required=True)
    p = add_subcommand(risk_sub, "map", _("rank enterprises, goods or destinations by risk"))
    p.add_argument("map", choices=riskmaps.MAPS)
    p.add_argument("--since", default=None, help=_("only cases recorded from this date"))
    p.add_argument("--until", default=None, help=_("only cases recorded until this date"))
    p.add_argument("--right-kind", choices=[k.value for k in RightKind], default=None)
    p.add_argument("--json", action="store_true")
    p.add_argument("--csv", metavar="FILE", default=None)
    p.add_argument("--pdf", metavar="FILE", default=None)
    p.set_defaults(handler=_cmd_risk_map)
