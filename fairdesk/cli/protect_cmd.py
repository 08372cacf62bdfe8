"""``fairdesk protect`` (encrypt a data folder, change passphrase, status, open a protected export)
and ``fairdesk travel`` (remove local copies of evidence HQ verifiably holds)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from fairdesk.cli.common import add_subcommand, open_from_args, print_json, print_recovery_key
from fairdesk.crypto import blobcrypt, keys
from fairdesk.i18n import _
from fairdesk.paths import resolve_data_dir
from fairdesk.protect import passphrase


def _data_dir(args: argparse.Namespace) -> Path:
    return resolve_data_dir(getattr(args, "data_dir", None)).expanduser().resolve()


def _required_passphrase(args: argparse.Namespace, attr: str = "passphrase_file") -> str:
    source = passphrase.passphrase_file(getattr(args, attr, None))
    if not source:
        raise keys.ProtectError(
            _("Give the passphrase in a file: --passphrase-file FILE or FAIRDESK_PASSPHRASE_FILE.")
        )
    return passphrase.read_passphrase_file(source)


def _protect(args: argparse.Namespace) -> int:
    from fairdesk.protect import migrate

    data_dir = _data_dir(args)
    secret = _required_passphrase(args)

    def progress(what: str, done: int, total: int) -> None:
        if what == "vault" and total and done % 50 == 0:
            print(
                _("Encrypting evidence files: {done} of {total}").format(done=done, total=total),
                file=sys.stderr,
            )

    result = migrate.protect_existing_folder(data_dir, secret, progress=progress)
    print(
        _("{path} is now encrypted ({count} evidence files checked).").format(
            path=data_dir, count=result.items_verified
        )
    )
    for sha in result.already_damaged:
        print(
            _("Note: the original {sha} was already damaged before; it was kept as it was.").format(
                sha=sha[:12]
            ),
            file=sys.stderr,
        )
    print_recovery_key(result.recovery_key)
    return 0


def _change(args: argparse.Namespace) -> int:
    data_dir = _data_dir(args)
    if getattr(args, "recovery_key_file", None):
        text = Path(args.recovery_key_file).read_text(encoding="utf-8")
        data_key = keys.unlock_with_recovery_key(data_dir, text)
    else:
        data_key = keys.unlock_with_passphrase(data_dir, _required_passphrase(args))
    keys.change_passphrase(data_dir, data_key, _required_passphrase(args, "new_passphrase_file"))
    print(_("The passphrase was changed; the old one no longer opens this data."))
    return 0


def _status(args: argparse.Namespace) -> int:
    info = keys.status(_data_dir(args))
    info["data_dir"] = str(_data_dir(args))
    if getattr(args, "json", False):
        print_json(info)
    elif info["encrypted"]:
        print(_("Encrypted (key {key_id}).").format(key_id=info["key_id"]))
    else:
        print(_("Not encrypted."))
    return 0


def _open_export(args: argparse.Namespace) -> int:
    source = Path(args.file)
    target = Path(args.out) if args.out else source.with_suffix("")
    secret = _required_passphrase(args, "password_file")
    blobcrypt.decrypt_file_with_password(source, target, secret)
    print(_("Opened: {path}").format(path=target))
    return 0


def _travel(args: argparse.Namespace) -> int:
    from fairdesk.protect import travel

    store = open_from_args(args, create=False)
    try:
        cases = None if args.all_synced else [args.case]
        the_plan = travel.plan(store, cases)
        payload: dict[str, Any] = {
            "removable": len(the_plan.removable),
            "bytes": the_plan.bytes_freed,
            "kept_not_at_hq": len(the_plan.kept),
            "dry_run": bool(args.dry_run),
        }
        if not args.dry_run:
            payload["removed"] = travel.remove_local_copies(store, the_plan)
    finally:
        store.close()
    if args.json:
        print_json(payload)
    else:
        print(
            _(
                "{count} evidence files ({mb} MB) are safely at HQ and {verb}; {kept} stay on "
                "this computer because HQ has not confirmed them yet."
            ).format(
                count=payload["removable"],
                mb=round(payload["bytes"] / 1e6, 1),
                verb=_("would be removed") if args.dry_run else _("were removed"),
                kept=payload["kept_not_at_hq"],
            )
        )
    return 0


def register(subparsers: Any) -> None:
    """Add this group's subcommands to the ``fairdesk`` parser."""
    protect = add_subcommand(
        subparsers,
        "protect",
        _("encrypt this data folder (in place, verified) and show the recovery key once"),
    )
    protect.set_defaults(handler=_protect)
    sub = protect.add_subparsers(dest="protect_command", metavar="ACTION")
    change = add_subcommand(sub, "change-passphrase", _("set a new passphrase"))
    change.add_argument(
        "--new-passphrase-file", metavar="FILE", required=True, help=_("the new passphrase")
    )
    change.add_argument(
        "--recovery-key-file",
        metavar="FILE",
        help=_("unlock with the recovery key instead of the old passphrase"),
    )
    change.set_defaults(handler=_change)
    status = add_subcommand(sub, "status", _("is this data folder encrypted?"))
    status.add_argument("--json", action="store_true", help=_("machine-readable output"))
    status.set_defaults(handler=_status)
    opener = add_subcommand(sub, "open-export", _("decrypt a password-protected export"))
    opener.add_argument("file", help=_("the protected file (.fdenc)"))
    opener.add_argument("--out", metavar="PATH", help=_("where to write the opened file"))
    opener.add_argument(
        "--password-file", metavar="FILE", required=True, help=_("file holding the password")
    )
    opener.set_defaults(handler=_open_export)

    trip = add_subcommand(
        subparsers, "travel", _("remove local copies of evidence that HQ verifiably holds")
    )
    which = trip.add_mutually_exclusive_group(required=True)
    which.add_argument("--case", metavar="ID", help=_("one case"))
    which.add_argument("--all-synced", action="store_true", help=_("every case"))
    trip.add_argument("--dry-run", action="store_true", help=_("only show what would be removed"))
    trip.add_argument("--json", action="store_true", help=_("machine-readable output"))
    trip.set_defaults(handler=_travel)
