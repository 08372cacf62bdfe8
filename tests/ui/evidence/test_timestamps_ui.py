"""The Evidence tab says which items an RFC 3161 timestamp covers and which wait for one.

Tokens come from the real `openssl ts -reply` (tests/openssl_tsa.py); screenshots of the tab in
English and Chinese go to build/screens/ for a look.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from fairdesk import events
from fairdesk.evidence import service, timestamps
from fairdesk.i18n import set_language
from fairdesk.store import Store
from tests.fairdesk.evidence.conftest import new_case
from tests.fairdesk.evidence.helpers import photo
from tests.openssl_tsa import make_pki, openssl_reply
from ui.evidence.panel import EvidencePanel

SHOTS = Path(__file__).resolve().parents[3] / "build" / "screens"


def _stamp(store: Store, folder: Path) -> None:
    pki = make_pki(folder)
    with store.read() as session:
        pending = timestamps.pending_for(session, store.device.id, "HQ")
    assert pending is not None
    request, nonce = timestamps.build_request(pending.digest)
    roots = timestamps.load_pem_certs(pki.root_pem.read_bytes())
    token = timestamps.check_reply(
        openssl_reply(pki, request), digest=pending.digest, nonce=nonce, roots=roots
    )
    with store.write() as session:
        timestamps.save_token(session, pending, "HQ", "http://127.0.0.1/", token)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_evidence_tab_shows_covered_and_waiting_items(
    qtbot: object, store: Store, tmp_path: Path, language: str
) -> None:
    case_id = new_case(store)
    paths = [photo(tmp_path / f"IMG_{i}.JPG", (320, 240), seed=i) for i in range(3)]
    service.import_paths(store, case_id, paths)
    _stamp(store, tmp_path / "tsa")
    service.import_paths(store, case_id, [photo(tmp_path / "late.JPG", (320, 240), seed=7)])
    set_language(language)
    try:
        panel = EvidencePanel(store, case_id)
        qtbot.addWidget(panel)  # type: ignore[attr-defined]
        panel.resize(1100, 700)
        panel.show()
        summary = timestamps.case_coverage(store, case_id).summary()
        qtbot.waitUntil(lambda: panel.timestamp_label.text() == summary)  # type: ignore[attr-defined]
        assert ("3" in summary and "1" in summary) and panel.timestamp_label.isVisible()
        late = next(r for r in service.list_items(store, case_id) if r.original_name == "late.JPG")
        early = next(r for r in service.list_items(store, case_id) if r.id != late.id)
        panel.select(early.id)
        qtbot.waitUntil(lambda: panel.viewer.row is not None and panel.viewer.row.id == early.id)  # type: ignore[attr-defined]
        covered = panel.viewer.meta_labels["timestamp"].text()
        panel.select(late.id)
        qtbot.waitUntil(lambda: panel.viewer.row is not None and panel.viewer.row.id == late.id)  # type: ignore[attr-defined]
        waiting = panel.viewer.meta_labels["timestamp"].text()
        if language == "en":
            assert summary.startswith(
                "Independent time (RFC 3161): 3 item(s) covered by a timestamp, 1 waiting"
            )
            assert covered.startswith("In the log before ") and "token from HQ" in covered
            assert waiting.startswith("No independent timestamp yet")
        else:
            assert "3 件证据已有时间戳，1 件等待联网" in summary
            assert "之前已记入保管记录" in covered and "签发方：HQ" in covered
            assert "等待联网" in waiting
        tips = {
            panel.model.row_at(n).id: panel.model.data(  # type: ignore[union-attr]
                panel.model.index(n), Qt.ItemDataRole.ToolTipRole
            )
            for n in range(panel.model.rowCount())
        }
        assert tips[late.id].endswith(waiting) and tips[early.id].endswith(covered)
        SHOTS.mkdir(parents=True, exist_ok=True)
        panel.grab().save(str(SHOTS / f"evidence-timestamps-{language}.png"))

        # New tokens stored by a sync are announced; the tab recounts without a click.
        _stamp(store, tmp_path / "tsa2")
        events.emit(events.Change.TIMESTAMPS)
        qtbot.waitUntil(  # type: ignore[attr-defined]
            lambda: (
                panel.timestamp_label.text() == timestamps.case_coverage(store, case_id).summary()
                and timestamps.case_coverage(store, case_id).waiting == 0
            ),
            timeout=30000,
        )
    finally:
        set_language("en")
