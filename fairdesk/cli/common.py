"""Options and helpers shared by every subcommand: data folder, language, JSON output."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

from fairdesk.i18n import LANGUAGES, _, set_language
from fairdesk.paths import resolve_data_dir
from fairdesk.store import DB_NAME, Store, open_store


def add_global_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help=_("data folder (default: FAIRDESK_DATA_DIR or the app-data folder)"),
    )
    parser.add_argument(
        "--passphrase-file",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help=_(
            "file holding the passphrase of an encrypted data folder "
            "(default: FAIRDESK_PASSPHRASE_FILE)"
        ),
    )
    parser.add_argument(
        "--lang",
        choices=sorted(LANGUAGES),
        default=argparse.SUPPRESS,
        help=_("language of messages (default: from the environment)"),
    )


def add_subcommand(subparsers: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    """A subcommand parser that also accepts the global options after the command name."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=help_text, description=help_text
    )
    add_global_options(parser)
    return parser


def apply_language(args: argparse.Namespace) -> None:
    lang = getattr(args, "lang", None)
    if lang is None:
        env = os.environ.get("FAIRDESK_LANG") or os.environ.get("LANG", "")
        lang = "zh_CN" if env.startswith("zh") else "en"
    set_language(lang)


def open_from_args(args: argparse.Namespace, *, create: bool = True) -> Store:
    from fairdesk.crypto import keys as protect_keys
    from fairdesk.protect import passphrase

    data_dir = resolve_data_dir(getattr(args, "data_dir", None)).expanduser().resolve()
    source = passphrase.passphrase_file(getattr(args, "passphrase_file", None))
    if (
        create
        and source
        and not (data_dir / DB_NAME).exists()
        and not protect_keys.is_encrypted(data_dir)  # never write a second key file
    ):
        # A passphrase given for a folder that does not exist yet means "encrypt it": never
        # create plaintext data the user believed protected.
        _create_encrypted(data_dir, passphrase.read_passphrase_file(source))
    data_key = passphrase.data_key_for_folder(data_dir, getattr(args, "passphrase_file", None))
    store = open_store(data_dir, create=create, data_key=data_key)
    if data_key is None:
        print(
            _("fairdesk: warning: the data in {path} is not encrypted.").format(path=data_dir),
            file=sys.stderr,
        )
        if source:
            print(
                _(
                    "fairdesk: the passphrase file was not used; to encrypt this folder run "
                    "`fairdesk protect --passphrase-file FILE`."
                ),
                file=sys.stderr,
            )
    return store


def _create_encrypted(data_dir: Path, secret: str) -> None:
    from fairdesk.protect import migrate

    result = migrate.protect_new_folder(data_dir, secret)
    # stderr: stdout may be a command's JSON answer; the key must still reach the person.
    print(
        _("fairdesk: {path} was created encrypted with your passphrase.").format(path=data_dir),
        file=sys.stderr,
    )
    print_recovery_key(result.recovery_key, file=sys.stderr)


def print_recovery_key(recovery_key: str, *, file: TextIO | None = None) -> None:
    """The recovery key block, shown once when a folder is encrypted (default: stdout)."""
    file = file or sys.stdout
    print(
        _("RECOVERY KEY (shown only now; print it or write it down and keep it apart):"),
        file=file,
    )
    print(file=file)
    print("    " + recovery_key, file=file)
    print(file=file)
    print(
        _(
            "With it you can open your data if you forget the passphrase. FairDesk cannot "
            "show it again."
        ),
        file=file,
    )


def to_json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(value.value, str):
        return value.value
    return value


def print_json(payload: Any) -> None:
    json.dump(payload, sys.stdout, ensure_ascii=False, indent=2, default=to_json_value)
    sys.stdout.write("\n")
