"""The Evidence tab's export after travel mode: the summary says which originals HQ keeps."""

from __future__ import annotations

import zipfile
from pathlib import Path

from fairdesk.evidence import service
from fairdesk.protect import travel
from fairdesk.store import Store
from tests.fairdesk.evidence.conftest import new_case
from tests.fairdesk.evidence.helpers import photo
from tests.fairdesk.protect.test_travel_verify import _verified_at_hq
from ui.evidence.panel import EvidencePanel


def test_export_summary_names_originals_kept_at_hq(
    qtbot: object, store: Store, tmp_path: Path
) -> None:
    case_id = new_case(store)
    paths = [photo(tmp_path / f"{n}.jpg", (160, 120), seed=n) for n in range(2)]
    away = service.import_paths(store, case_id, paths).outcomes[0].sha256
    _verified_at_hq(store, away)
    assert travel.remove_local_copies(store, travel.plan(store, [case_id])) == 1
    panel = EvidencePanel(store, case_id)
    qtbot.addWidget(panel)  # type: ignore[attr-defined]

    panel.export_to(tmp_path / "bundle.zip")  # tasks run inline in UI tests

    text = panel.summary.text()
    assert "Exported 2 items" in text, text
    assert "Originals not included (kept at HQ, removed for travel): 1." in text
    assert "could not be written" not in text
    with zipfile.ZipFile(tmp_path / "bundle.zip") as bundle:
        assert not any(away in name for name in bundle.namelist())
