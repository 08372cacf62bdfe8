"""The Library page: search the reference library offline, browse by country, read an entry.

The active library (shipped or updated from HQ) is loaded once on the read pool; searching
the loaded library is an in-memory FTS5 query that takes well under a millisecond, so it runs
as the user types. The header shows the edition and its "as of" date; "What changed" shows the
edition's change log. Entries past their review date are marked "check before relying".
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from fairdesk.events import Change
from fairdesk.geo import country_name
from fairdesk.i18n import _
from fairdesk.knowledge import library
from fairdesk.knowledge.library import KIND_LABELS, Entry, Library
from fairdesk.knowledge.search import search
from fairdesk.store import Store
from ui.clock import clock
from ui.knowledge.entry_view import changelog_html, entry_html
from ui.pages.common import page_header, page_layout
from ui.qt_events import bridge
from ui.tasks import runner


class LibraryPage(QWidget):
    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.library: Library | None = None
        layout = page_layout(self)
        header, _title, self.subtitle = page_header(_("Reference library"))
        layout.addWidget(header)

        bar = QHBoxLayout()
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText(
            _("Search in Chinese or English, e.g. 禁令 or protective letter")
        )
        self.search_box.setClearButtonEnabled(True)
        self.country = QComboBox()
        self.kind = QComboBox()
        self.kind.addItem(_("All kinds"), "")
        for key, text in KIND_LABELS.items():
            self.kind.addItem(_(text), key)
        bar.addWidget(self.search_box, 1)
        bar.addWidget(QLabel(_("Country")))
        bar.addWidget(self.country)
        bar.addWidget(self.kind)
        self.changes_button = QPushButton(_("What changed"))
        self.changes_button.clicked.connect(self.show_changes)
        bar.addWidget(self.changes_button)
        layout.addLayout(bar)

        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.count_label = QLabel()
        self.count_label.setObjectName("subtitle")
        self.results = QListWidget()
        left_layout.addWidget(self.count_label)
        left_layout.addWidget(self.results, 1)
        self.view = QTextBrowser()
        self.view.setOpenExternalLinks(True)
        split.addWidget(left)
        split.addWidget(self.view)
        split.setStretchFactor(1, 2)
        split.setSizes([340, 660])
        layout.addWidget(split, 1)

        self.search_box.textChanged.connect(self.refresh)
        self.country.currentIndexChanged.connect(self.refresh)
        self.kind.currentIndexChanged.connect(self.refresh)
        self.results.currentItemChanged.connect(self._show_current)
        bridge().changed.connect(self._core_changed)
        self.reload()

    def reload(self) -> None:
        runner().run(library.load_active, self.store, on_done=self._loaded, pool="read")

    def _core_changed(self, kind: str, _id: str) -> None:
        if kind == Change.REFERENCE:
            self.reload()

    def _loaded(self, lib: Library) -> None:
        self.library = lib
        subtitle = (
            _("Edition {edition} · as of {date} · 1 entry")
            if len(lib.entries) == 1
            else _("Edition {edition} · as of {date} · {count} entries")
        )
        self.subtitle.setText(
            subtitle.format(edition=lib.edition, date=lib.published_at, count=len(lib.entries))
        )
        current = self.country.currentData()
        self.country.blockSignals(True)
        self.country.clear()
        self.country.addItem(_("All countries"), "")
        for code in lib.countries():
            self.country.addItem(f"{code} · {country_name(code)}", code)
        index = self.country.findData(current)
        self.country.setCurrentIndex(max(index, 0))
        self.country.blockSignals(False)
        self.refresh()

    def entries(self) -> list[Entry]:
        """What the list shows for the current search text and filters."""
        if self.library is None:
            return []
        code = self.country.currentData() or None
        kind = self.kind.currentData() or None
        text = self.search_box.text().strip()
        if text:
            found = [
                h.entry
                for h in search(
                    self.library, text, country=code, kinds=(kind,) if kind else None, limit=200
                )
            ]
        else:
            found = self.library.for_country(code) if code else list(self.library.entries)
            if kind:
                found = [e for e in found if e.kind == kind]
        return found

    def refresh(self) -> None:
        entries = self.entries()
        self.results.clear()
        today = clock().now().date()
        for entry in entries:
            line = f"{entry.title.get()}\n{entry.country} · {_(KIND_LABELS[entry.kind])}"
            outdated = entry.is_outdated(today)
            if outdated:
                line = "\u26a0 " + line + " · " + _("check before relying")
            item = QListWidgetItem(line)
            item.setData(Qt.ItemDataRole.UserRole, entry.id)
            if outdated:
                item.setForeground(Qt.GlobalColor.darkRed)
            elif entry.is_gap:
                item.setForeground(Qt.GlobalColor.darkGray)
            self.results.addItem(item)
        if self.search_box.text().strip() and not entries:
            self.count_label.setText(_("Nothing found. Try fewer words, or the other language."))
        else:
            self.count_label.setText(
                _("1 entry")
                if len(entries) == 1
                else _("{count} entries").format(count=len(entries))
            )
        if entries:
            self.results.setCurrentRow(0)
        else:
            self.view.clear()

    def show_entry(self, entry_id: str) -> None:
        if self.library is None:
            return
        entry = self.library.get(entry_id)
        if entry is not None:
            self.view.setHtml(entry_html(entry, today=clock().now().date()))

    def show_changes(self) -> None:
        """The readable change log of the edition in use ("What changed in 2026.12")."""
        if self.library is None:
            return
        self.results.blockSignals(True)
        self.results.setCurrentRow(-1)
        self.results.blockSignals(False)
        self.view.setHtml(changelog_html(self.library))

    def _show_current(self, item: QListWidgetItem | None, _previous: object = None) -> None:
        if item is not None:
            self.show_entry(str(item.data(Qt.ItemDataRole.UserRole)))
