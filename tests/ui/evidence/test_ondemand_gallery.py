"""Issue 15 item 2 in the app: the legal device's gallery shows the booth's photos after fetching
them from a real `fairdesk-hq`; with HQ stopped it says "Held at HQ — not downloaded yet
(offline)", never "restore from a backup"; verify and export in the Evidence tab fetch first or
say in one sentence that the device is offline. Rendered offscreen to PNG in both languages.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from pytestqt.qtbot import QtBot

from fairdesk.evidence.service import import_files
from fairdesk.i18n import set_language
from fairdesk.store import Store
from sync.client import ondemand as client_ondemand
from tests.fairdesk.evidence.helpers import photo
from tests.sync.devices import Node, make_node, new_case
from tests.sync.hq_harness import LiveHq, live_hq
from ui.evidence.fetching import Fetch, progress_line
from ui.evidence.panel import EvidencePanel
from ui.theme import WARNING_BACKGROUND

SHOTS = Path(__file__).resolve().parents[3] / "build" / "screenshots" / "ondemand"


@pytest.fixture
def hq(tmp_path: Path) -> Iterator[LiveHq]:
    with live_hq(f"sqlite:///{tmp_path / 'hq.sqlite3'}", tmp_path / "hq") as server:
        server.add_tenant("Acme Tools")
        yield server


@pytest.fixture(autouse=True)
def _fetcher() -> None:
    client_ondemand.install()  # what ui.sync does when the app starts


def _synced_case(hq: LiveHq, tmp_path: Path) -> tuple[Node, Node, str, list[str]]:
    booth = make_node(hq, tmp_path, "booth", "Acme Tools", "responder")
    case_id = new_case(booth.store, "Copy of our kettle, Canton Fair hall 9")
    pictures = [
        photo(tmp_path / "stand.jpg", (800, 600), seed=5, color=(200, 30, 30)),
        photo(tmp_path / "label.jpg", (800, 600), seed=6, color=(30, 90, 200)),
    ]
    import_files(booth.store, case_id, pictures)
    assert booth.sync().drained
    legal = make_node(hq, tmp_path, "legal", "Acme Tools", "legal")
    assert legal.sync().drained
    return booth, legal, case_id, [hashlib.sha256(p.read_bytes()).hexdigest() for p in pictures]


def _panel(
    qtbot: QtBot, store: Store, case_id: str, lines: list[str] | None = None
) -> EvidencePanel:
    panel = EvidencePanel(store, case_id)
    if lines is not None:  # before the first paint asks for the originals
        panel.fetches.progress.connect(lines.append)
    qtbot.addWidget(panel)
    panel.resize(1100, 650)
    panel.show()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2 and panel.model.complete)
    return panel


def _tile(panel: EvidencePanel, number: int) -> QImage:
    icon = panel.model.data(panel.model.index(number), Qt.ItemDataRole.DecorationRole)
    pixmap = icon.pixmap(128, 128) if isinstance(icon, QIcon) else icon
    assert isinstance(pixmap, QPixmap)
    return pixmap.toImage()


def _state(panel: EvidencePanel, sha: str) -> Fetch | None:
    known = panel.fetches.state(sha)
    return known.state if known is not None else None


def _offline(panel: EvidencePanel, sha: str) -> bool:
    return _state(panel, sha) is Fetch.OFFLINE


def test_gallery_on_the_legal_device_shows_the_photos_after_fetching(
    qtbot: QtBot, hq: LiveHq, tmp_path: Path
) -> None:
    booth, legal, case_id, shas = _synced_case(hq, tmp_path)
    assert not any(legal.store.vault.exists(sha) for sha in shas)
    lines: list[str] = []
    panel = _panel(qtbot, legal.store, case_id, lines)
    for sha in shas:  # the tiles asked for the originals; thumbnails are made from them here
        qtbot.waitUntil(functools.partial(panel.model.has_thumbnail, sha), timeout=30_000)
        assert legal.store.vault.hash_blob(sha) == sha
        assert _state(panel, sha) is Fetch.HERE
    for number in range(2):
        row = panel.model.row_at(number)
        assert row is not None
        tile = _tile(panel, number)
        top, bottom = tile.pixelColor(tile.width() // 2, 5), tile.pixelColor(5, tile.height() - 5)
        assert top.lightness() > 240  # the photo's white band, not a placeholder icon
        expected = (200, 30, 30) if row.original_name == "stand.jpg" else (30, 90, 200)
        assert abs(bottom.red() - expected[0]) < 40 and abs(bottom.blue() - expected[2]) < 40
    # Progress per file and for the batch, in the line above the gallery (empty when done).
    for name in ("stand.jpg", "label.jpg"):
        assert any(line.startswith(f"Downloading from HQ: {name} 100 % · file ") for line in lines)
    assert lines[-1] == "" and panel.fetch_label.isHidden()
    qtbot.waitUntil(lambda: panel.viewer.picture._pixmap is not None, timeout=30_000)
    assert "INTEGRITY" not in panel.viewer.meta_labels["note"].text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert panel.grab().save(str(SHOTS / "legal-gallery-fetched-en.png"))

    # Verify in the tab: everything is here now, all checks pass.
    panel.run_verify()
    qtbot.waitUntil(lambda: panel.last_verify is not None)
    assert panel.last_verify is not None and panel.last_verify.ok
    assert panel.last_verify.items_checked == 2
    booth.close()
    legal.close()


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_offline_gallery_says_held_at_hq_and_verify_export_say_offline(
    qtbot: QtBot, hq: LiveHq, tmp_path: Path, language: str
) -> None:
    booth, legal, case_id, shas = _synced_case(hq, tmp_path)
    hq.kill()
    set_language(language)
    try:
        panel = _panel(qtbot, legal.store, case_id)
        for sha in shas:
            qtbot.waitUntil(functools.partial(_offline, panel, sha), timeout=30_000)
        tip = panel.model.data(panel.model.index(0), Qt.ItemDataRole.ToolTipRole)
        held = "总部" if language == "zh_CN" else "Held at HQ — not downloaded yet (offline)"
        qtbot.waitUntil(lambda: held in panel.viewer.picture.text())
        assert "backup" not in tip and "备份" not in tip
        note = panel.viewer.meta_labels["note"].text()
        assert ("another device" in note) if language == "en" else ("另一台设备" in note)
        tile = _tile(panel, 0)
        assert (
            tile.pixelColor(2, 2).name() == QColor(WARNING_BACKGROUND).name()
        )  # the held-at-HQ tile
        SHOTS.mkdir(parents=True, exist_ok=True)
        assert panel.grab().save(str(SHOTS / f"legal-gallery-offline-{language}.png"))

        panel.run_verify()
        qtbot.waitUntil(lambda: panel.last_verify is not None)
        summary = panel.summary.text()
        assert ("offline" in summary) if language == "en" else ("离线" in summary)
        assert "stand.jpg" in summary and "label.jpg" in summary

        panel.export_to(tmp_path / "never.zip")
        qtbot.waitUntil(lambda: panel.export_button.isEnabled())
        assert ("offline" in panel.summary.text()) or ("离线" in panel.summary.text())
        assert not (tmp_path / "never.zip").exists() and panel.last_export is None
        assert not any(legal.store.vault.exists(sha) for sha in shas)
    finally:
        set_language("en")
        booth.close()
        legal.close()


def test_progress_line_says_this_file_and_the_whole_batch() -> None:
    line = progress_line("detail.jpg", 500_000, 1_000_000, 2, 3, 1_500_000, 3_000_000)
    assert line == "Downloading from HQ: detail.jpg 50 % · file 2 of 3 · 1.5 MB of 3.0 MB"
    set_language("zh_CN")
    try:
        line = progress_line("detail.jpg", 5_000, 10_000, 1, 1, 5_000, 10_000)
        assert (
            line == "正在从总部下载：detail.jpg 50 % · 第 1 个，共 1 个文件 · 已下载 5 KB，共 10 KB"
        )
    finally:
        set_language("en")


@pytest.mark.qt_log_ignore("does not support QPlatformServices", "propagateSizeHints")
def test_a_document_made_at_the_booth_opens_on_the_legal_device(
    qtbot: QtBot, hq: LiveHq, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtPdf import QPdfDocument
    from PySide6.QtWidgets import QFileDialog

    from fairdesk.documents import service as documents
    from ui.documents.panel import DocumentsPanel

    booth = make_node(hq, tmp_path, "booth", "Acme Tools", "responder")
    case_id = new_case(booth.store, "Warning letter at the booth")
    letter = documents.render_document(
        booth.store, case_id, "evidence_report", "en", {}, allow_blanks=True
    ).document
    assert letter is not None and booth.sync().drained
    legal = make_node(hq, tmp_path, "legal", "Acme Tools", "legal")
    offline = make_node(hq, tmp_path, "offline", "Acme Tools", "legal")
    assert legal.sync().drained and offline.sync().drained
    try:
        panel = DocumentsPanel(legal.store, case_id)
        qtbot.addWidget(panel)
        panel.refresh(select_id=letter.id)
        qtbot.waitUntil(lambda: panel.pdf.status() == QPdfDocument.Status.Ready, timeout=30_000)
        assert legal.store.vault.hash_blob(letter.sha256) == letter.sha256
        chosen = tmp_path / "saved.pdf"
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(chosen), ""))
        panel.save_as()
        assert hashlib.sha256(chosen.read_bytes()).hexdigest() == letter.sha256

        # With HQ stopped: said as held at HQ and offline, never "restore from a backup".
        hq.kill()
        away = DocumentsPanel(offline.store, case_id)
        qtbot.addWidget(away)
        away.refresh(select_id=letter.id)
        qtbot.waitUntil(lambda: "offline" in away.info.text())
        assert "backup" not in away.info.text()

    finally:
        booth.close()
        legal.close()
        offline.close()


def test_fetch_queue_serves_what_is_on_screen_first_and_forgets_what_scrolled_away(
    qtbot: QtBot, store: Store, tmp_path: Path
) -> None:
    """The queue policy alone (no HQ needed): the latest tile asked for is fetched first, and
    requests scrolled past long ago are dropped, to be asked for again when shown."""
    import dataclasses

    from fairdesk.evidence import ondemand
    from fairdesk.evidence.service import list_items
    from fairdesk.syncmodel import SyncAccount
    from fairdesk.timeutil import utcnow
    from ui.evidence.fetching import QUEUE_LIMIT, HqFetches

    case_id = new_case(store)
    import_files(store, case_id, [photo(tmp_path / "one.jpg")])
    with store.write() as session:  # enrolled as HQ legal staff (no request is made here)
        session.add(
            SyncAccount(
                id=1, server_url="http://127.0.0.1:9", device_id="d", tenant_id="t",
                role="legal", enrolled_at=utcnow(),
            )
        )  # fmt: skip
    base = list_items(store, case_id)[0]
    rows = [dataclasses.replace(base, sha256=f"{n:064x}", size=1) for n in range(QUEUE_LIMIT + 10)]
    asked: list[str] = []

    def recording(
        store: Store, wanted: object, progress: object, cancel: object
    ) -> dict[str, ondemand.Missed]:
        asked.extend(w.sha256 for w in wanted)  # type: ignore[attr-defined]
        return {}

    ondemand.install(recording)
    try:
        fetches = HqFetches(store)
        for row in rows:  # one scroll through every tile, before the event loop runs
            fetches.want(row)
        qtbot.waitUntil(lambda: len(asked) == QUEUE_LIMIT)
        assert asked[0] == rows[-1].sha256  # what is on screen now comes first
        assert rows[0].sha256 not in asked and fetches.state(rows[0].sha256) is None
        assert fetches.want(rows[0]).state is Fetch.QUEUED  # back on screen: asked again
        qtbot.waitUntil(lambda: len(asked) == QUEUE_LIMIT + 1)
        assert asked[-1] == rows[0].sha256
    finally:
        client_ondemand.install()
