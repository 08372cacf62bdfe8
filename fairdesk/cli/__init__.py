"""The ``fairdesk`` command: the desktop app with no subcommand, scripting and support tools with one.

Each group of subcommands lives in its own module with a ``register(subparsers)`` function.
The core never imports ``ui`` or ``sync``: the packages that sit above it plug in through
entry points declared in pyproject.toml — group ``fairdesk.cli`` adds subcommands (device
sync), group ``fairdesk.gui`` names the window to open when no subcommand is given. These two
are the only plug-in points left (issue 17): every other part always ships and is imported
plainly.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import Any

from fairdesk import __version__
from fairdesk.cli import (
    case_cmd,
    common,
    doc_cmd,
    evidence_cmd,
    kb_cmd,
    protect_cmd,
    receive_cmd,
)
from fairdesk.errors import FairDeskError
from fairdesk.i18n import _

GROUPS = (case_cmd, evidence_cmd, doc_cmd, kb_cmd, protect_cmd, receive_cmd)


def _plugged_in(group: str) -> list[Callable[..., Any]]:
    """The callables other packages register for ``group`` (sorted by name: stable help)."""
    return [point.load() for point in sorted(entry_points(group=group), key=lambda p: p.name)]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fairdesk",
        description=_("FairDesk: IP emergencies at trade fairs. Without a command, opens the app."),
    )
    parser.add_argument("--version", action="version", version=f"FairDesk {__version__}")
    common.add_global_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in GROUPS:
        group.register(subparsers)
    for register in _plugged_in("fairdesk.cli"):
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(args_list)
    common.apply_language(args)
    if not getattr(args, "command", None):
        try:
            windows = _plugged_in("fairdesk.gui")  # loaded only here: scripting never loads Qt
        except ImportError as exc:  # a damaged install (Qt or a part of the app missing)
            print(
                _(
                    "fairdesk: the window cannot be opened: this installation is incomplete "
                    "({error}). Reinstall FairDesk; the commands (fairdesk --help) still work."
                ).format(error=exc),
                file=sys.stderr,
            )
            return 1
        if not windows:
            parser.print_help()
            return 2
        result: int = windows[0](args_list)
        return result
    try:
        handled: int = args.handler(args)
        return handled
    except FairDeskError as exc:
        print(f"fairdesk: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into `head`: not an error
        return 0
    except KeyboardInterrupt:
        print(_("Interrupted; everything confirmed as saved is kept."), file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
