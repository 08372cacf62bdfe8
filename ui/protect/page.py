"""The Security page: encryption status, lock now, change passphrase, travel mode."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fairdesk.i18n import _
from fairdesk.protect import travel
from fairdesk.store import Store
from ui.pages.common import page_header, page_layout
from ui.protect.dialogs import ChangePassphraseDialog
from ui.tasks import runner
from ui.theme import SPACING


class SecurityPage(QWidget):
    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        layout = page_layout(self)
        header, _title, _subtitle = page_header(_("Security"), str(store.data_dir))
        layout.addWidget(header)
        encrypted = store.data_key is not None

        card = QFrame()
        card.setObjectName("card")
        card_layout = QVBoxLayout(card)
        card_layout.setContentsMargins(SPACING, SPACING, SPACING, SPACING)
        # The state in words first (bold), then what it means: colour is never the only cue.
        self.state = QLabel(_("Encrypted") if encrypted else _("Not encrypted"))
        self.state.setObjectName("sectionTitle" if encrypted else "formError")
        self.status = QLabel(
            _("Your cases and evidence are encrypted on this computer.")
            if encrypted
            else _(
                "Your data is NOT encrypted. Restart FairDesk and choose a passphrase to "
                "protect it."
            )
        )
        self.status.setWordWrap(True)
        card_layout.addWidget(self.state)
        card_layout.addWidget(self.status)
        layout.addWidget(card)

        self.lock_button = QPushButton(_("Lock now (Ctrl+L)"))
        self.change_button = QPushButton(_("Change passphrase…"))
        self.travel_button = QPushButton(_("Travel mode: remove evidence already safe at HQ…"))
        hints = {
            self.lock_button: _(
                "Hides everything until the passphrase is typed again; FairDesk also locks "
                "itself after a while without use."
            ),
            self.change_button: _(
                "The recovery key you wrote down keeps working; the old passphrase stops "
                "working at once."
            ),
            self.travel_button: _(
                "Before a border crossing: only originals HQ has confirmed are removed, and "
                "they can be downloaded again."
            ),
        }
        actions = QGridLayout()
        actions.setHorizontalSpacing(SPACING)
        actions.setVerticalSpacing(SPACING)
        for row, (button, hint_text) in enumerate(hints.items()):
            button.setEnabled(encrypted or button is self.travel_button)
            hint = QLabel(hint_text)
            hint.setObjectName("subtitle")
            hint.setWordWrap(True)
            actions.addWidget(button, row, 0, Qt.AlignmentFlag.AlignTop)
            actions.addWidget(hint, row, 1)
        actions.setColumnStretch(1, 1)
        layout.addLayout(actions)
        layout.addStretch(1)
        self.lock_button.clicked.connect(self._lock)
        self.change_button.clicked.connect(self._change)
        self.travel_button.clicked.connect(self._travel)

    def _lock(self) -> None:
        from ui.protect import lock_now

        lock_now()

    def _change(self) -> None:
        assert self.store.data_key is not None
        ChangePassphraseDialog(self.store.data_dir, self.store.data_key, self).exec()

    def _travel(self) -> None:
        runner().run(travel.plan, self.store, None, pool="db", on_done=self._confirm_travel)

    def _confirm_travel(self, plan: travel.TravelPlan) -> None:
        answer = QMessageBox.question(
            self,
            _("Travel mode"),
            _(
                "{count} evidence files ({mb} MB) are confirmed at HQ and can be removed from "
                "this computer; {kept} are not confirmed yet and stay. They can be downloaded "
                "again later. Remove them now?"
            ).format(
                count=len(plan.removable), mb=round(plan.bytes_freed / 1e6, 1), kept=len(plan.kept)
            ),
        )
        if answer == QMessageBox.StandardButton.Yes:
            runner().run(travel.remove_local_copies, self.store, plan, pool="db")
