"""Documents in the app: a case panel listing generated documents, the New-document dialog,
an in-app PDF preview (QtPdf), open in the system viewer, save as and print.

Importing this package registers the panel with :mod:`ui.extensions`.
"""

from __future__ import annotations

from fairdesk.i18n import _
from ui.extensions import CasePanel, register_case_panel


def _factory(store, case_id):  # type: ignore[no-untyped-def]
    from ui.documents.panel import DocumentsPanel

    return DocumentsPanel(store, case_id)


register_case_panel(CasePanel("documents", lambda: _("Documents"), _factory, order=40))
