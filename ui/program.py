"""The ``fairdesk`` program as installed: the core's command line, with this package's window.

The console script and the frozen app start here. ``fairdesk.cli`` can find the window itself
through the ``fairdesk.gui`` entry point (``python -m fairdesk`` does), but that reads the
metadata of every installed package through importlib.metadata, ~15 ms before each window;
here it is named directly. The core still imports nothing of ``ui``, and no command loads Qt:
importing the ``ui`` package does not import PySide6.
"""

from __future__ import annotations

from collections.abc import Sequence

from fairdesk import cli


def _load_window() -> cli.Window:
    from ui.app import main as window  # Qt and the UI: only when the window is wanted

    return window


def main(argv: Sequence[str] | None = None) -> int:
    return cli.main(argv, load_window=_load_window)
