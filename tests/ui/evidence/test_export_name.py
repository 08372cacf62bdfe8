"""The Evidence tab's Export… proposes a file named by the case number and date, not the id."""

from __future__ import annotations

import re
from pathlib import Path

from fairdesk import cases
from fairdesk.store import Store
from tests.fairdesk.evidence.conftest import new_case
from ui.evidence.panel import EvidencePanel


def test_export_dialog_proposes_case_number_and_date(qtbot: object, store: Store) -> None:
    case_id = new_case(store)
    number = cases.get_case(store, case_id).case.number
    panel = EvidencePanel(store, case_id)
    qtbot.addWidget(panel)  # type: ignore[attr-defined]

    dialog = panel.choose_export()

    proposed = Path(dialog.path_edit.text())
    assert proposed.parent == Path.home()
    assert re.fullmatch(
        rf"{re.escape(number)}-evidence-\d{{4}}-\d{{2}}-\d{{2}}\.zip", proposed.name
    )
    assert case_id[:8] not in proposed.name
    dialog.reject()
