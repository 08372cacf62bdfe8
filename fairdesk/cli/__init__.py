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
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from fairdesk import __version__
from fairdesk.cli import common
from fairdesk.errors import FairDeskError
from fairdesk.i18n import _

Window = Callable[[list[str]], int]

# The core's commands and the module (in this package) that registers each, in help order. A
# command line naming one of them builds only that module's parser (and the plug-ins'): each
# module imports what its commands need (the ORM, documents, the library, imaging).
CORE_COMMANDS = {
    "demo": "case_cmd",
    "fair": "case_cmd",
    "case": "case_cmd",
    "evidence": "evidence_cmd",
    "verify": "evidence_cmd",
    "export": "evidence_cmd",
    "doc": "doc_cmd",
    "kb": "kb_cmd",
    "risk": "kb_cmd",
    "protect": "protect_cmd",
    "travel": "protect_cmd",
    "receive": "receive_cmd",
}


def _plugged_in(group: str) -> list[Callable[..., Any]]:
    """The callables other packages register for ``group`` (sorted by name: stable help)."""
    from importlib.metadata import entry_points

    return [point.load() for point in sorted(entry_points(group=group), key=lambda p: p.name)]


class _GlobalOptionsOnly(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse would print and exit
        raise ValueError(message)


def _global_options(args: Sequence[str]) -> tuple[argparse.Namespace, list[str]] | None:
    """The global options in ``args`` and what is left, or None if they are given wrongly."""
    parser = _GlobalOptionsOnly(add_help=False)
    common.add_global_options(parser)
    try:
        return parser.parse_known_args(list(args))
    except ValueError:
        return None


def window_request(args: Sequence[str]) -> argparse.Namespace | None:
    """The global options when ``args`` hold nothing else (open the window), else None.

    Anything more — a command, ``--help``, ``--version``, a mistake — goes to the full parser,
    which answers or explains it as before.
    """
    split = _global_options(args)
    return split[0] if split is not None and not split[1] else None


def named_core_command(args: Sequence[str]) -> str | None:
    """The core command ``args`` name (``case`` in ``--lang zh_CN case show X``), if any."""
    split = _global_options(args)
    if split is None or not split[1] or split[1][0] not in CORE_COMMANDS:
        return None
    return split[1][0]


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of only the module that registers ``command``."""
    if command is not None:
        modules = [CORE_COMMANDS[command]]
    else:
        modules = list(dict.fromkeys(CORE_COMMANDS.values()))
    parser = argparse.ArgumentParser(
        prog="fairdesk",
        description=_("FairDesk: IP emergencies at trade fairs. Without a command, opens the app."),
    )
    parser.add_argument("--version", action="version", version=f"FairDesk {__version__}")
    common.add_global_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in modules:
        importlib.import_module(f"fairdesk.cli.{name}").register(subparsers)
    # Always: a plug-in may serve the core's commands too (sync lets verify, export and doc
    # fetch what only HQ holds).
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
    parser = build_parser(named_core_command(args_list))
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
