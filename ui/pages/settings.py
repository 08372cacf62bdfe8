"""Settings: language, home time zone, and where the data lives (shown, not changed here).

A language change rebuilds the main window in the new language without quitting (the
``language_changed`` signal is handled by ``ui.app``); an unknown time zone is refused with
the core's message next to the field.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from fairdesk.errors import ValidationError
from fairdesk.i18n import LANGUAGES, _, current_language
from fairdesk.store import Store
from fairdesk.timeutil import zone
from ui import settings
from ui.pages.common import page_header, page_layout, time_zone_names
from ui.widgets.forms import FieldWithError


class SettingsPage(QWidget):
    language_changed = Signal(str)
    saved = Signal()

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        layout = page_layout(self)
        header, _title, _subtitle = page_header(_("Settings"))
        layout.addWidget(header)
        box = QWidget()
        box.setMaximumWidth(820)  # a readable form, not fields stretched across a wide screen
        form = QFormLayout(box)
        form.setContentsMargins(0, 0, 0, 0)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        layout.addWidget(box)
        self.language = QComboBox()
        for code, name in LANGUAGES.items():
            self.language.addItem(name, code)
        self.language.setCurrentIndex(self.language.findData(current_language()))
        form.addRow(_(settings.LANGUAGE.label), self.language)

        zone_box = QComboBox()
        zone_box.setEditable(True)
        zone_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        zone_box.setCurrentText(settings.HOME_TIME_ZONE.get())
        zone_box.setMinimumWidth(320)
        self.home_zone = FieldWithError(zone_box)
        form.addRow(_(settings.HOME_TIME_ZONE.label), self.home_zone)
        hint = QLabel(_("Deadlines are shown in the fair's time and in this time zone."))
        hint.setObjectName("subtitle")
        form.addRow("", hint)

        self.data_dir = QLineEdit(str(store.data_dir))
        self.data_dir.setReadOnly(True)
        self.data_dir.setMinimumWidth(420)
        form.addRow(_(settings.LAST_DATA_DIR.label), self.data_dir)
        folder_hint = QLabel(
            _(
                "To use another folder, start FairDesk with --data-dir FOLDER "
                "or set FAIRDESK_DATA_DIR."
            )
        )
        folder_hint.setObjectName("subtitle")
        folder_hint.setWordWrap(True)
        form.addRow("", folder_hint)
        device = QLabel(
            _("{code} (case numbers start with this code)").format(code=store.device.short_code)
        )
        form.addRow(_("This device"), device)

        buttons = QHBoxLayout()
        self.save_button = QPushButton(_("Save settings"))
        self.save_button.setObjectName("primary")
        self.save_button.clicked.connect(self.save)
        self.status = QLabel()
        self.status.setObjectName("subtitle")
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.status, 1)
        layout.addLayout(buttons)
        layout.addStretch(1)

    def showEvent(self, event: QShowEvent) -> None:
        # The ~600 zone names are read when the page is first shown, not at start-up.
        zone_box = self.home_zone.field
        if zone_box.count() == 0:
            current = zone_box.currentText()
            names = time_zone_names()
            zone_box.addItems(names)
            completer = QCompleter(names, zone_box)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            zone_box.setCompleter(completer)
            zone_box.setCurrentText(current)
        super().showEvent(event)

    def zone_text(self) -> str:
        assert isinstance(self.home_zone.field, QComboBox)
        return self.home_zone.field.currentText().strip()

    def save(self) -> None:
        self.status.setText("")
        name = self.zone_text()
        try:
            zone(name)
        except ValidationError as exc:
            self.home_zone.set_error(str(exc))
            return
        self.home_zone.set_error("")
        settings.HOME_TIME_ZONE.set(name)
        language = str(self.language.currentData())
        language_changed = language != current_language()
        settings.LANGUAGE.set(language)
        self.status.setText(_("Saved."))
        self.saved.emit()
        if language_changed:
            self.language_changed.emit(language)
