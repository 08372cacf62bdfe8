"""The ``fairdesk`` command: the desktop app with no subcommand, scripting and support tools with one.

This is the composition root: it may import ``ui`` (for the window) lazily. Each group of
subcommands lives in its own module with a ``register(subparsers)`` function.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from fairdesk import __version__
from fairdesk.cli import case_cmd, common, doc_cmd, evidence_cmd, kb_cmd, protect_cmd, sync_cmd
from fairdesk.errors import FairDeskError
from fairdesk.i18n import _

GROUPS = (case_cmd, evidence_cmd, doc_cmd, sync_cmd, kb_cmd, protect_cmd)


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(args_list)
    common.apply_language(args)
    if not getattr(args, "command", None):
        from ui.app import main as gui_main  # lazy: scripting never loads Qt

        return gui_main(args_list)
    try:
        result: int = args.handler(args)
        return result
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
