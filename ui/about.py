"""The About dialog (Help > About FairDesk): version, where the data and crash reports are, and licences.

The licence list comes from :mod:`fairdesk.about`; reading ~50 packages' metadata takes a
few hundred milliseconds on a slow laptop, so it is loaded on a worker thread.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fairdesk import about
from fairdesk.i18n import _
from fairdesk.resources import resource_path
from ui.tasks import runner


def _kind_label(kind: str) -> str:
    return {"font": _("Font"), "runtime": _("Runtime"), "library": _("Library")}.get(kind, kind)


class AboutDialog(QDialog):
    """Version and build facts for support, and every bundled component with its licence."""

    def __init__(self, parent: QWidget | None = None, data_dir: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("About FairDesk"))
        self.resize(760, 620)
        self.components: list[about.Component] = []
        self.data_dir = data_dir

        icon = QLabel()
        icon.setPixmap(QIcon(str(resource_path("icons", "fairdesk.svg"))).pixmap(72, 72))
        title = QLabel(f"FairDesk {about.version()}")
        title.setObjectName("pageTitle")
        title.setStyleSheet("font-size: 17pt; font-weight: bold;")
        tagline = QLabel(
            _("IP emergencies at trade fairs: record, secure, respond, hand over to headquarters.")
        )
        tagline.setWordWrap(True)
        heading = QVBoxLayout()
        heading.addWidget(title)
        heading.addWidget(tagline)
        top = QHBoxLayout()
        top.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        top.addLayout(heading, 1)

        self.facts = QLabel(self._facts_text())
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.facts.setWordWrap(True)

        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(
            [_("Component"), _("Kind"), _("Version"), _("Licence")]
        )
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._show_selected)

        self.licence_text = QPlainTextEdit()
        self.licence_text.setReadOnly(True)
        self.licence_text.setPlaceholderText(_("Loading the licence list…"))

        lgpl = QLabel(
            _(
                "Qt and PySide6 are used under the GNU LGPL version 3. Their libraries are "
                "separate files in the installation folder and may be replaced with "
                "compatible versions."
            )
        )
        lgpl.setWordWrap(True)
        lgpl.setObjectName("subtitle")

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton(_("Copy version details"))
        self.copy_button.setToolTip(_("For your support contact: version, system, data folder."))
        self.copy_button.clicked.connect(self.copy_details)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.facts)
        layout.addWidget(QLabel(_("Bundled fonts and libraries")))
        layout.addWidget(self.table, 3)
        layout.addWidget(self.licence_text, 2)
        layout.addWidget(lgpl)
        layout.addWidget(buttons)

        runner().run(about.components, pool="read", on_done=self._loaded, on_error=self._failed)

    def _facts_text(self) -> str:
        info = about.build_info()
        lines = [
            _("Version {version} · {platform} · Python {python}").format(**info),
        ]
        if self.data_dir is not None:
            lines.append(_("Data folder: {path}").format(path=self.data_dir))
            lines.append(
                _("Crash reports (if any): {path}").format(path=Path(self.data_dir) / "logs")
            )
        return "\n".join(lines)

    def details(self) -> str:
        """Plain text a user can paste into an e-mail to support; no case content."""
        info = about.build_info()
        lines = [f"FairDesk {info['version']}", f"{info['platform']} ({info['machine']})"]
        lines.append(f"Python {info['python']}, installer build: {info['frozen']}")
        if self.data_dir is not None:
            lines.append(f"Data folder: {self.data_dir}")
        return "\n".join(lines)

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details())
        self.copy_button.setText(_("Copied"))

    def _loaded(self, components: list[about.Component]) -> None:
        self.components = components
        self.table.setRowCount(len(components))
        for row, item in enumerate(components):
            values = (item.name, _kind_label(item.kind), item.version, item.licence)
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self.licence_text.setPlaceholderText(_("Select a component to read its licence."))
        if components:
            self.table.selectRow(0)

    def _failed(self, exc: BaseException) -> None:
        self.licence_text.setPlainText(
            _("The licence list could not be read ({error}).").format(error=exc)
        )

    def _show_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        item = self.components[rows[0].row()]
        if item.text:
            self.licence_text.setPlainText(item.text)
        elif item.url:
            self.licence_text.setPlainText(
                _("{name} is distributed under {licence}. Full terms: {url}").format(
                    name=item.name, licence=item.licence, url=item.url
                )
            )
        else:
            self.licence_text.setPlainText(
                _("{name} is distributed under {licence}.").format(
                    name=item.name, licence=item.licence
                )
            )


def show_about(parent: QWidget | None = None) -> AboutDialog:
    """Open the About dialog (modal to ``parent``); the data folder comes from ``parent.store``."""
    store = getattr(parent, "store", None)
    data_dir = getattr(store, "data_dir", None)
    dialog = AboutDialog(parent, data_dir)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
