"""Options and helpers shared by every subcommand: data folder, language, JSON output."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date, datetime
from typing import Any

from fairdesk.i18n import LANGUAGES, _, set_language
from fairdesk.paths import resolve_data_dir
from fairdesk.store import Store, open_store


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
    from fairdesk.protect import passphrase

    data_dir = resolve_data_dir(getattr(args, "data_dir", None))
    data_key = passphrase.data_key_for_folder(data_dir, getattr(args, "passphrase_file", None))
    store = open_store(data_dir, create=create, data_key=data_key)
    if data_key is None:
        print(
            _("fairdesk: warning: the data in {path} is not encrypted.").format(path=data_dir),
            file=sys.stderr,
        )
    return store


def to_json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(value.value, str):
        return value.value
    return value


def print_json(payload: Any) -> None:
    json.dump(payload, sys.stdout, ensure_ascii=False, indent=2, default=to_json_value)
    sys.stdout.write("\n")
