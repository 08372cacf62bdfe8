"""The feature pages of the main window and the feature tabs of the case page, listed once.

Every part always ships, so they are named here directly (no registry): the main window adds
``PAGES`` between Cases and Settings, the case page adds ``CASE_PANELS`` after its own tabs.
Each factory imports its widgets when called, and the window and the case page call it only
when the page or tab is first shown (``ui.lazy``): building them all at start imported every
feature's libraries (sync alone: requests and pydantic, ~1.4 s) before the window appeared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from fairdesk.i18n import _

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from fairdesk.store import Store


class Page(NamedTuple):
    key: str
    title: Callable[[], str]  # translated at display time
    factory: Callable[[Store], QWidget]


class CasePanel(NamedTuple):
    key: str
    title: Callable[[], str]
    factory: Callable[[Store, str], QWidget]  # (store, case_id) -> widget


def _alerts(store: Store) -> QWidget:
    from ui.knowledge.alerts_page import AlertsPage

    return AlertsPage(store)


def _library(store: Store) -> QWidget:
    from ui.knowledge.library_page import LibraryPage

    return LibraryPage(store)


def _riskmaps(store: Store) -> QWidget:
    from ui.knowledge.riskmaps_page import RiskMapsPage

    return RiskMapsPage(store)


def _sync(store: Store) -> QWidget:
    from ui.sync import sync_page

    return sync_page(store)


def _security(store: Store) -> QWidget:
    from ui.protect.page import SecurityPage

    return SecurityPage(store)


def _guidance(store: Store, case_id: str) -> QWidget:
    from ui.knowledge.guidance_panel import GuidancePanel

    return GuidancePanel(store, case_id)


def _evidence(store: Store, case_id: str) -> QWidget:
    from ui.evidence.panel import EvidencePanel

    return EvidencePanel(store, case_id)


def _documents(store: Store, case_id: str) -> QWidget:
    from ui.documents.panel import DocumentsPanel

    return DocumentsPanel(store, case_id)


def _conflicts(store: Store, case_id: str) -> QWidget:
    from ui.sync.conflicts import ConflictsPanel

    return ConflictsPanel(store, case_id)


PAGES: tuple[Page, ...] = (
    Page("alerts", lambda: _("Alerts"), _alerts),
    Page("library", lambda: _("Library"), _library),
    Page("riskmaps", lambda: _("Risk maps"), _riskmaps),
    Page("sync", lambda: _("Sync"), _sync),
    Page("security", lambda: _("Security"), _security),
)
CASE_PANELS: tuple[CasePanel, ...] = (
    CasePanel("guidance", lambda: _("Guidance"), _guidance),
    CasePanel("evidence", lambda: _("Evidence"), _evidence),
    CasePanel("documents", lambda: _("Documents"), _documents),
    CasePanel("conflicts", lambda: _("Conflicts"), _conflicts),
)
