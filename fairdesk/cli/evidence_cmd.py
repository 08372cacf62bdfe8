"""``fairdesk evidence import|list|log``, ``fairdesk verify [CASE]`` and ``fairdesk export CASE``.

JSON output is a stable contract for scripts:
- ``evidence import --json``: a list, one object per file: path, status
  (imported | duplicate | rejected), sha256, reason (and item_id);
- ``evidence list --json``: a list of items: id, sha256, original_name, size, mime, kind,
  capture_time (local, utc_offset, utc, is_device_clock_claim), gps {lat, lon}, make, model,
  orientation, width, height, derived_from, hidden.
Exit status: 0 when everything went through, 1 when a file was rejected or verify found a
problem.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from fairdesk import cases
from fairdesk.cli.common import add_subcommand, open_from_args, print_json
from fairdesk.evidence import ondemand, service
from fairdesk.evidence.export import default_file_name, export_case, kept_at_hq_text
from fairdesk.evidence.rows import ItemRow
from fairdesk.evidence.verify import verify
from fairdesk.evidence.vocab import ImportStatus
from fairdesk.i18n import _
from fairdesk.store import Store


def item_json(row: ItemRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "sha256": row.sha256,
        "original_name": row.original_name,
        "size": row.size,
        "mime": row.mime,
        "kind": row.kind,
        "capture_time": None
        if not row.captured_local
        else {
            "local": row.captured_local,
            "utc_offset": row.captured_offset or None,
            "utc": row.captured_at.isoformat() if row.captured_at else None,
            "is_device_clock_claim": row.capture_is_claim,
        },
        "gps": None if row.gps_lat is None else {"lat": row.gps_lat, "lon": row.gps_lon},
        "make": row.make,
        "model": row.model,
        "orientation": row.orientation,
        "width": row.width,
        "height": row.height,
        "caption": row.caption,
        "derived_from": row.derived_from,
        "hidden": row.hidden_at is not None,
        "integrity": row.integrity,
    }


def _case_id(store: Store, ref: str) -> str:
    return cases.get_case(store, ref).case.id


def _cmd_import(args: argparse.Namespace) -> int:
    store = open_from_args(args, create=False)
    try:
        case_id = _case_id(store, args.case)

        def progress(p: service.ImportProgress) -> None:
            if not args.json and p.name and p.bytes_done == 0:
                print(
                    _("[{done}/{total}] {name}").format(
                        done=p.done + 1, total=p.total, name=p.name
                    ),
                    file=sys.stderr,
                )

        report = service.import_paths(store, case_id, args.paths, progress=progress)
    finally:
        store.close()
    if args.json:
        print_json(
            [
                {
                    "path": o.path,
                    "status": o.status,
                    "sha256": o.sha256 or None,
                    "reason": o.reason,
                    "item_id": o.item_id or None,
                }
                for o in report.outcomes
            ]
        )
    else:
        labels = {
            ImportStatus.IMPORTED: _("imported"),
            ImportStatus.DUPLICATE: _("already present"),
            ImportStatus.REJECTED: _("REJECTED"),
        }
        for o in report.outcomes:
            line = f"{labels[o.status]}: {o.path}"
            print(line + (f" — {o.reason}" if o.reason else ""))
        print(
            _("{imported} imported, {dup} already present, {rejected} rejected.").format(
                imported=report.imported, dup=report.duplicates, rejected=report.rejected
            )
        )
    return 1 if report.rejected else 0


def _cmd_list(args: argparse.Namespace) -> int:
    store = open_from_args(args, create=False)
    try:
        rows = service.list_items(
            store, _case_id(store, args.case), service.ItemFilter(include_hidden=args.all)
        )
    finally:
        store.close()
    if args.json:
        print_json([item_json(r) for r in rows])
        return 0
    for r in rows:
        when = r.captured_local.replace("T", " ") if r.captured_local else "—"
        print(f"{r.sha256[:12]}  {r.kind:5}  {when:23}  {r.size:>12,}  {r.display_name}")
    print(_("1 item.") if len(rows) == 1 else _("{count} items.").format(count=len(rows)))
    return 0


def _cmd_log(args: argparse.Namespace) -> int:
    store = open_from_args(args, create=False)
    try:
        rows = service.custody_log(store, _case_id(store, args.case))
    finally:
        store.close()
    if args.json:
        print_json([r.__dict__ for r in rows])
    else:
        for r in rows:
            print(f"#{r.seq:<5} {r.at}  {r.action:22} {r.item_sha256[:12]}  {r.actor}")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    store = open_from_args(args, create=False)
    try:
        case_id = _case_id(store, args.case) if args.case else None
        recovered = service.recover(store)
        fetched, not_fetched = (
            ([], "") if args.no_fetch else _fetch_held_elsewhere(store, case_id, args.fetch)
        )
        report = verify(store, case_id)
    finally:
        store.close()
    notes = sys.stderr if args.json else sys.stdout  # --json: stdout is only the JSON
    for sha in recovered.restored:
        print(
            _(
                "Moved {sha} back from vault/quarantine: a generated document or original that "
                "an earlier version had set aside (its SHA-256 checks out)."
            ).format(sha=sha[:12]),
            file=notes,
        )
    for moved in recovered.quarantined:
        print(
            _(
                "Moved an unfinished or unknown file from an earlier crash to "
                "vault/quarantine: {name}"
            ).format(name=moved),
            file=notes,
        )
    if args.json:
        print_json(
            {
                "ok": report.ok,
                "database": report.database,
                "items_checked": report.items_checked,
                "log_entries": report.log_entries,
                "problems": [p.__dict__ for p in report.problems],
                "quarantined": list(recovered.quarantined),
                "restored": list(recovered.restored),
                "kept_at_hq": [p.__dict__ for p in report.kept_at_hq],
                "not_downloaded": [p.__dict__ for p in report.not_downloaded],
                "fetched": sorted(fetched),
                "not_fetched": not_fetched or None,
            }
        )
        if not_fetched:
            print(not_fetched, file=sys.stderr)
        return 0 if report.ok and not not_fetched else 1
    for kept in report.kept_at_hq:  # removed for travel: a fact to show, not a problem
        print(kept.what + f" [item {kept.item_id}, sha256 {kept.sha256}]")
    for remote in report.not_downloaded:  # pulled from HQ, not downloaded: not a problem
        print(remote.what + f" [item {remote.item_id}, sha256 {remote.sha256}]")
    if report.database != "ok":
        print(_("DATABASE DAMAGED: {detail}").format(detail=report.database))
    for problem in report.problems:
        print(
            _("PROBLEM: {what}").format(what=problem.what)
            + (f" [item {problem.item_id}, sha256 {problem.sha256}]" if problem.item_id else "")
        )
    if not_fetched:  # what is here may check out, but the case is not complete here
        print(not_fetched, file=sys.stderr)
        return 1
    if report.ok:
        print(
            _(
                "Everything checks out: database intact, {items} originals re-hashed, custody "
                "log of {entries} entries intact."
            ).format(items=report.items_checked, entries=report.log_entries)
        )
        return 0
    print(
        _("{count} problem(s) found.").format(
            count=len(report.problems) + (report.database != "ok")
        )
    )
    return 1


def _fetch_held_elsewhere(
    store: Store, case_id: str | None, explicit: bool
) -> tuple[list[str], str]:
    """Download the originals and documents HQ holds that are not here, before checking.

    A device whose role reads the case does so by itself; on another one only ``--fetch``
    asks (and is told why not). Returns (SHA-256s fetched, one sentence about the rest or "").
    """
    wanted = ondemand.missing(store, case_id)
    if not wanted or not (explicit or ondemand.may_fetch(store)):
        return [], ""
    missed = ondemand.fetch(store, wanted)
    names = {w.sha256: w.name for w in wanted}
    sentence = ondemand.missed_sentence(missed, names) if missed else ""
    return [w.sha256 for w in wanted if w.sha256 not in missed], sentence


def _cmd_export(args: argparse.Namespace) -> int:
    password = None
    if args.password_file:  # a file, never an argument: it would show in ps and history
        from fairdesk.protect.passphrase import read_passphrase_file

        password = read_passphrase_file(args.password_file)
    store = open_from_args(args, create=False)
    try:
        case_id = _case_id(store, args.case)
        out = Path(args.out) if args.out else Path.cwd() / default_file_name(store, case_id)
        from fairdesk.documents.service import export_entries  # loads the template engine

        result = export_case(store, case_id, out, documents=export_entries, password=password)
    finally:
        store.close()
    if result.how_to_open is not None:
        print(
            _(
                "Exported {items} items and {documents} documents, protected with a password, "
                "to {path}. The recipient opens it with “fairdesk protect open-export” and the "
                "password (send it separately); instructions: {how_to}"
            ).format(
                items=result.items,
                documents=result.documents,
                path=result.path,
                how_to=result.how_to_open,
            )
        )
        _print_kept(result.kept_at_hq)
        return 0
    print(
        _(
            "Exported {items} items and {documents} documents to {path} (SHA-256 {sha}). "
            "Unpack it and run “python3 verify.py” to check it."
        ).format(
            items=result.items, documents=result.documents, path=result.path, sha=result.sha256
        )
    )
    _print_kept(result.kept_at_hq)
    return 0


def _print_kept(count: int) -> None:
    if count:  # travel mode removed these originals here: listed, not a failure
        print(kept_at_hq_text(count))


def evidence_json(store: Store, case_id: str) -> dict[str, Any]:
    rows = service.list_items(store, case_id)
    return {"count": len(rows), "items": [item_json(r) for r in rows]}


def register(subparsers: Any) -> None:
    """Add this group's subcommands to the ``fairdesk`` parser."""
    group = add_subcommand(subparsers, "evidence", _("import, list and inspect evidence"))
    sub = group.add_subparsers(dest="evidence_command", metavar="ACTION", required=True)

    imp = add_subcommand(sub, "import", _("import files and folders into a case"))
    imp.add_argument("case", metavar="CASE", help=_("case id or number"))
    imp.add_argument("paths", metavar="PATH", nargs="+", help=_("files or folders"))
    imp.add_argument("--json", action="store_true", help=_("print one JSON result per file"))
    imp.set_defaults(handler=_cmd_import)

    lst = add_subcommand(sub, "list", _("list a case's evidence"))
    lst.add_argument("case", metavar="CASE", help=_("case id or number"))
    lst.add_argument("--json", action="store_true", help=_("print JSON"))
    lst.add_argument("--all", action="store_true", help=_("include hidden items"))
    lst.set_defaults(handler=_cmd_list)

    log = add_subcommand(sub, "log", _("show the custody log of a case"))
    log.add_argument("case", metavar="CASE", help=_("case id or number"))
    log.add_argument("--json", action="store_true", help=_("print JSON"))
    log.set_defaults(handler=_cmd_log)

    ver = add_subcommand(
        subparsers, "verify", _("check the database, re-hash every original, check the custody log")
    )
    ver.add_argument("case", metavar="CASE", nargs="?", help=_("only this case (id or number)"))
    ver.add_argument("--json", action="store_true", help=_("print JSON"))
    fetching = ver.add_mutually_exclusive_group()
    fetching.add_argument(
        "--fetch",
        action="store_true",
        help=_(
            "first download from HQ the originals held there and not on this computer (an HQ "
            "device does this by itself)"
        ),
    )
    fetching.add_argument(
        "--no-fetch",
        action="store_true",
        help=_("check only what is on this computer; download nothing"),
    )
    ver.set_defaults(handler=_cmd_verify)

    exp = add_subcommand(subparsers, "export", _("export a case's evidence as a verifiable zip"))
    exp.add_argument("case", metavar="CASE", help=_("case id or number"))
    exp.add_argument(
        "--out",
        metavar="FILE.zip",
        help=_(
            "where to write the zip (default: <case number>-evidence-<date>.zip in the "
            "current folder)"
        ),
    )
    exp.add_argument(
        "--password-file",
        metavar="FILE",
        help=_("protect the bundle with the password held in FILE (writes FILE.zip.fdenc)"),
    )
    exp.set_defaults(handler=_cmd_export)
