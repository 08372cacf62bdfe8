"""A rejected HQ library update is said on the Sync page (it has no outbox row to point at)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fairdesk.i18n import set_language
from sync.server import admin
from sync.server.db import open_database
from tests.sync.devices import make_node
from tests.sync.hq_harness import LiveHq, live_hq

SHOTS = Path(__file__).resolve().parents[3] / "build" / "screens"


@pytest.fixture
def hq(tmp_path: Path) -> Iterator[LiveHq]:
    with live_hq(f"sqlite:///{tmp_path / 'hq.sqlite3'}", tmp_path / "hq") as server:
        server.add_tenant("Acme Tools")
        db = open_database(server.db_url)
        try:
            with db.writing() as session:
                bad = {"schema_version": 1, "library_version": 9, "edition": "x", "entries": 3}
                admin.publish_reference(session, "library", "9", bad, None)
        finally:
            db.dispose()
        yield server


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_sync_page_says_why_it_needs_attention(  # type: ignore[no-untyped-def]
    qtbot, hq: LiveHq, tmp_path: Path, language: str
) -> None:
    from ui.main_window import MainWindow
    from ui.sync.controller import ATTENTION, controller_for
    from ui.sync.page import SyncPage

    set_language(language)
    node = make_node(hq, tmp_path, "laptop", "Acme Tools")
    window = MainWindow(node.store)
    qtbot.addWidget(window)
    window.show()
    window.show_page("sync")
    controller = controller_for(node.store)
    controller.sync_now()  # tasks run inline in tests
    page = window.findChild(SyncPage)
    assert page is not None
    assert controller.state == ATTENTION
    words = "9" if language == "en" else "总部发来的参考资料更新 9 未被采用"
    assert words in page.summary.text()
    if language == "en":
        assert "rejected as a whole" in page.summary.text()
    qtbot.waitUntil(page.isVisible)
    qtbot.wait(50)  # let the page lay out and paint before the picture
    SHOTS.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(SHOTS / f"sync-feed-problem-{language}.png"))
    controller.stop()
    window.close()
    node.close()
