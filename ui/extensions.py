"""Where parts of the app plug panels into the case page and pages into the main window.

Each feature package (``ui.evidence``, ``ui.documents``, ``ui.sync``, ``ui.knowledge``, ...)
calls ``register_case_panel`` / ``register_page`` when imported; ``ui.app`` imports them at
start-up. This keeps the case page free of knowledge about every feature.

Registering must stay cheap (no heavy imports at package import time): pages and panels are
built from their factories only when the user first opens them (``ui.lazy``), so a factory is
the place to import a feature's widgets and libraries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow, QWidget

    from fairdesk.store import Store


@dataclass(frozen=True)
class CasePanel:
    key: str
    title: Callable[[], str]  # translated at display time
    factory: Callable[[Store, str], QWidget]  # (store, case_id) -> widget
    order: int = 100


@dataclass(frozen=True)
class Page:
    key: str
    title: Callable[[], str]
    factory: Callable[[Store], QWidget]
    order: int = 100
    shortcut: str = ""


CASE_PANELS: list[CasePanel] = []
PAGES: list[Page] = []
# Called with (main window, store) once each main window is built: for what must run without
# the user opening a page (the sync indicator and worker). Keep them cheap; defer real work.
WINDOW_HOOKS: dict[str, Callable[[QMainWindow, Store], None]] = {}


def register_case_panel(panel: CasePanel) -> None:
    CASE_PANELS[:] = sorted(
        [p for p in CASE_PANELS if p.key != panel.key] + [panel], key=lambda p: p.order
    )


def register_page(page: Page) -> None:
    PAGES[:] = sorted([p for p in PAGES if p.key != page.key] + [page], key=lambda p: p.order)


def register_window_hook(key: str, hook: Callable[[QMainWindow, Store], None]) -> None:
    WINDOW_HOOKS[key] = hook
