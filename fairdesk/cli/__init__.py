"""The ``fairdesk`` command: the desktop app with no subcommand, scripting and support tools with one.

Each group of subcommands lives in its own module with a ``register(subparsers)`` function.
The core never imports ``ui`` or ``sync``: the packages that sit above it plug in through
entry points declared in pyproject.toml — group ``fairdesk.cli`` adds subcommands (device
sync), group ``fairdesk.gui`` names the window to open when no subcommand is given. These two
are the only plug-in points left (issue 17): every other part always ships and is imported
plainly.

The window is what users start (the installed program and the desktop entry run this command
with no subcommand), so that path builds no parser of subcommands: the command modules import
the ORM, the reference library and document rendering, ~0.3 s before the window could open.
The installed program (``ui.program``) also hands ``main`` the window's loader, which spares
the entry-point lookup (importlib.metadata reads every installed package: ~15 ms).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from fairdesk import __version__
from fairdesk.cli import common
from fairdesk.errors import FairDeskError
from fairdesk.i18n import _

Window = Callable[[list[str]], int]


def _plugged_in(group: str) -> list[Callable[..., Any]]:
    """The callables other packages register for ``group`` (sorted by name: stable help)."""
    from importlib.metadata import entry_points

    return [point.load() for point in sorted(entry_points(group=group), key=lambda p: p.name)]


class _GlobalOptionsOnly(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse would print and exit
        raise ValueError(message)


def window_request(args: Sequence[str]) -> argparse.Namespace | None:
    """The global options when ``args`` hold nothing else (open the window), else None.

    Anything more — a command, ``--help``, ``--version``, a mistake — goes to the full parser,
    which answers or explains it as before.
    """
    parser = _GlobalOptionsOnly(add_help=False)
    common.add_global_options(parser)
    try:
        options, rest = parser.parse_known_args(list(args))
    except ValueError:
        return None
    return None if rest else options


def build_parser() -> argparse.ArgumentParser:
    from fairdesk.cli import (
        case_cmd,
        doc_cmd,
        evidence_cmd,
        kb_cmd,
        protect_cmd,
        receive_cmd,
    )

    parser = argparse.ArgumentParser(
        prog="fairdesk",
        description=_("FairDesk: IP emergencies at trade fairs. Without a command, opens the app."),
    )
    parser.add_argument("--version", action="version", version=f"FairDesk {__version__}")
    common.add_global_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in (case_cmd, evidence_cmd, doc_cmd, kb_cmd, protect_cmd, receive_cmd):
        group.register(subparsers)
    for register in _plugged_in("fairdesk.cli"):
        register(subparsers)
    return parser


def open_window(args_list: list[str], load_window: Callable[[], Window] | None) -> int:
    """Load the window (Qt is imported only here: scripting never loads it) and run it."""
    try:
        windows = [load_window()] if load_window is not None else _plugged_in("fairdesk.gui")
    except ImportError as exc:  # a damaged install (Qt or a part of the app missing)
        print(
            _(
                "fairdesk: the window cannot be opened: this installation is incomplete "
                "({error}). Reinstall FairDesk; the commands (fairdesk --help) still work."
            ).format(error=exc),
            file=sys.stderr,
        )
        return 1
    if not windows:  # installed without the desktop part
        build_parser().print_help()
        return 2
    result: int = windows[0](args_list)
    return result


def main(
    argv: Sequence[str] | None = None, *, load_window: Callable[[], Window] | None = None
) -> int:
    """Run a command, or open the window when none is given (``load_window`` returns it;
    without one it is found through the ``fairdesk.gui`` entry point)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    window_options = window_request(args_list)
    if window_options is not None:
        common.apply_language(window_options)
        return open_window(args_list, load_window)
    parser = build_parser()
    args = parser.parse_args(args_list)
    common.apply_language(args)
    if not getattr(args, "command", None):  # only global options after all: the window
        return open_window(args_list, load_window)
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
