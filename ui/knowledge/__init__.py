"""The knowledge UI: Library, Risk maps and Alerts pages, and the Guidance tab of a case.

Registers with ``ui.extensions`` when imported (``ui.app`` imports it at start-up). Widgets
are imported lazily so that registering costs nothing until a page is shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fairdesk.i18n import _
from ui.extensions import CasePanel, Page, register_case_panel, register_page

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from fairdesk.store import Store


def _library(store: Store) -> QWidget:
    from ui.knowledge.library_page import LibraryPage

    return LibraryPage(store)


def _riskmaps(store: Store) -> QWidget:
    from ui.knowledge.riskmaps_page import RiskMapsPage

    return RiskMapsPage(store)


def _alerts(store: Store) -> QWidget:
    from ui.knowledge.alerts_page import AlertsPage

    return AlertsPage(store)


def _guidance(store: Store, case_id: str) -> QWidget:
    from ui.knowledge.guidance_panel import GuidancePanel

    return GuidancePanel(store, case_id)


register_page(Page("alerts", lambda: _("Alerts"), _alerts, order=40))
register_page(Page("library", lambda: _("Library"), _library, order=50))
register_page(Page("riskmaps", lambda: _("Risk maps"), _riskmaps, order=60))
register_case_panel(CasePanel("guidance", lambda: _("Guidance"), _guidance, order=10))
