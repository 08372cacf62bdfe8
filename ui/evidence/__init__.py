"""The evidence UI: registers the Evidence tab of the case page (see ui.extensions)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fairdesk.i18n import _
from ui.extensions import CasePanel, register_case_panel

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from fairdesk.store import Store


def _factory(store: Store, case_id: str) -> QWidget:
    from ui.evidence.panel import EvidencePanel  # Qt widgets only when a case is opened

    return EvidencePanel(store, case_id)


register_case_panel(CasePanel("evidence", lambda: _("Evidence"), _factory, order=20))
