"""``fairdesk enroll``, ``fairdesk sync`` and ``fairdesk conflicts``: device sync from the shell.

Plugged into the ``fairdesk`` command through the ``fairdesk.cli`` entry point (the core never
imports ``sync``); the network modules are imported inside the handlers so that other
subcommands start fast. ``case show --json`` gets the case's open conflicts under
``conflicts`` from the local table, without touching the network.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from fairdesk.cli import case_cmd
from fairdesk.cli.common import add_subcommand, open_from_args, print_json
from fairdesk.i18n import _
from fairdesk.store import Store
from fairdesk.syncmodel import conflict_json, open_conflicts
from fairdesk.timeutil import format_local
from sync.client import ondemand


def _case_conflicts(store: Store, case_id: str) -> list[dict[str, Any]]:
    with store.read() as session:
        return [conflict_json(c) for c in open_conflicts(session, case_id)]


case_cmd.SHOW_EXTENSIONS["conflicts"] = _case_conflicts


ondemand.install()  # verify, export and document commands fetch what only HQ holds


def register(subparsers: Any) -> None:
    """Add this group's subcommands to the ``fairdesk`` parser."""
    enroll = add_subcommand(subparsers, "enroll", _("enrol this device with an HQ server"))
    enroll.add_argument("--server", required=True, metavar="URL", help=_("HQ server address"))
    enroll.add_argument("--code", required=True, help=_("one-time enrolment code from HQ"))
    enroll.add_argument("--name", default="", help=_("name of this device shown at HQ"))
    enroll.add_argument("--json", action="store_true", help=_("print JSON"))
    enroll.set_defaults(handler=_enroll)

    sync = add_subcommand(subparsers, "sync", _("send changes to HQ and fetch HQ's changes"))
    mode = sync.add_mutually_exclusive_group(required=True)
    mode.add_argument(
        "--once", action="store_true", help=_("sync until nothing is left, then exit")
    )
    mode.add_argument("--status", action="store_true", help=_("show what is waiting"))
    sync.add_argument("--json", action="store_true", help=_("print JSON"))
    sync.add_argument(
        "--max-time",
        type=float,
        default=DEFAULT_MAX_TIME,
        metavar="SECONDS",
        help=_("with --once: keep retrying through network faults for at most this long"),
    )
    sync.set_defaults(handler=_sync)

    conflicts = add_subcommand(subparsers, "conflicts", _("list and resolve sync conflicts"))
    sub = conflicts.add_subparsers(dest="conflicts_command", metavar="ACTION", required=True)
    listing = add_subcommand(sub, "list", _("list open conflicts"))
    listing.add_argument("--case", default=None, help=_("only this case (id)"))
    listing.add_argument("--json", action="store_true", help=_("print JSON"))
    listing.set_defaults(handler=_conflicts_list)
    resolve = add_subcommand(sub, "resolve", _("decide a conflict"))
    resolve.add_argument("id", help=_("conflict id"))
    choice = resolve.add_mutually_exclusive_group(required=True)
    choice.add_argument("--pick", choices=("ours", "theirs"), help=_("keep one side"))
    choice.add_argument(
        "--value",
        metavar="V",
        help=_("merged value: text for a single field, or a JSON object {field: value}"),
    )
    resolve.add_argument("--json", action="store_true", help=_("print JSON"))
    resolve.set_defaults(handler=_conflicts_resolve)


def _enroll(args: argparse.Namespace) -> int:
    from sync.client.enroll import enroll

    store = open_from_args(args)
    done = enroll(store, args.server, args.code, args.name)
    if args.json:
        print_json(done.__dict__)
    else:
        print(
            _("Enrolled with {server} as {role} of {tenant}.").format(
                server=done.server_url, role=done.role, tenant=done.tenant_name
            )
        )
    return 0


# `sync --once` retries through network faults for at most this long (seconds) by default.
DEFAULT_MAX_TIME = 300.0


def _sync(args: argparse.Namespace) -> int:
    from sync.client.engine import SyncResult, sync_until_drained
    from sync.client.status import read_status

    store = open_from_args(args, create=False)
    if args.status:
        status = read_status(store)
        if args.json:
            print_json(status.to_json())
        else:
            _print_status(status)
        return 0
    totals = SyncResult(ok=True)

    def add_up(one: SyncResult) -> None:
        for name in ("pushed", "conflicts", "rejected", "pulled", "uploaded", "upload_bytes"):
            setattr(totals, name, getattr(totals, name) + getattr(one, name))

    result, attempts = sync_until_drained(store, max_time=args.max_time, on_result=add_up)
    status = result.status or read_status(store)
    reason = ""
    if not result.ok:
        reason = result.error
    elif status.unsent or status.uploads_pending:
        reason = _("{count} changes and {uploads} files are still waiting.").format(
            count=status.unsent, uploads=status.uploads_pending
        )
    elif status.uploads_failed:
        reason = _("{uploads} files could not be sent; see the Sync page.").format(
            uploads=status.uploads_failed
        )
    if args.json:
        print_json(
            {
                "ok": not reason,
                "error_kind": result.error_kind,
                "reason": reason,
                "pushed": totals.pushed,
                "conflicts": totals.conflicts,
                "rejected": totals.rejected,
                "pulled": totals.pulled,
                "uploaded": totals.uploaded,
                "attempts": attempts,
                "status": status.to_json(),
            }
        )
    else:
        _print_status(status)
    if reason:
        print(f"fairdesk: {reason}", file=sys.stderr)
        return 2
    return 0


def _print_status(status: Any) -> None:
    if not status.enrolled:
        print(_("Not enrolled with HQ."))
    counts = status.outbox
    print(
        _(
            "Waiting {waiting} · sending {sending} · sent {sent} · rejected {rejected} · "
            "conflict {conflict}"
        ).format(**counts)
    )
    print(_("Files to upload: {count}").format(count=status.uploads_pending))
    # In this computer's zone, with its offset: never a bare UTC time.
    last = format_local(status.last_success_at, None) if status.last_success_at else "—"
    print(_("Last successful sync: {when}").format(when=last))
    for problem in getattr(status, "feed_problems", {}).values():
        print(problem)


def _conflicts_list(args: argparse.Namespace) -> int:
    from sync.client.conflicts import list_conflicts

    store = open_from_args(args, create=False)
    found = list_conflicts(store, args.case)
    if args.json:
        print_json(found)
        return 0
    if not found:
        print(_("No open conflicts."))
    for item in found:
        names = ", ".join(sorted(item["fields"]))
        print(f"{item['id']}  {item['entity']} {item['entity_id']}  [{names}]")
        for name, info in sorted(item["fields"].items()):
            if isinstance(info, dict):
                print(
                    "    "
                    + _("{field}: base {base} · HQ {server} · ours {client}").format(
                        field=name,
                        base=repr(info.get("base")),
                        server=repr(info.get("server")),
                        client=repr(info.get("client")),
                    )
                )
    return 0


def _conflicts_resolve(args: argparse.Namespace) -> int:
    from sync.client.conflicts import resolve
    from sync.client.errors import SyncError

    store = open_from_args(args, create=False)
    value: dict[str, Any] | None = None
    if args.value is not None:
        try:
            parsed = json.loads(args.value)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            value = parsed
        else:
            with store.read() as session:
                from fairdesk.syncmodel import SyncConflict

                conflict = session.get(SyncConflict, args.id)
                names = [n for n in (conflict.fields if conflict else {}) if n != "_deleted"]
            if len(names) != 1:
                raise SyncError(
                    _("This conflict has several fields: give --value as JSON {field: value}.")
                )
            value = {names[0]: args.value}
    mutation_id = resolve(store, args.id, pick=args.pick, value=value)
    if args.json:
        print_json({"conflict_id": args.id, "mutation_id": mutation_id})
    else:
        print(_("Decision saved; it goes to HQ with the next sync."))
    return 0
