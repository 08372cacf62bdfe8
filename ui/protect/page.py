"""The Security page: encryption status, lock now, change passphrase, travel mode."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget

from fairdesk.i18n import _
from fairdesk.protect import travel
from fairdesk.store import Store
from ui.protect.dialogs import ChangePassphraseDialog
from ui.tasks import runner


class SecurityPage(QWidget):
    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        layout = QVBoxLayout(self)
        title = QLabel(_("Security"))
        title.setStyleSheet("font-size: 16pt; font-weight: bold;")
        layout.addWidget(title)
        encrypted = store.data_key is not None
        self.status = QLabel(
            _("Your cases and evidence are encrypted on this computer.")
            if encrypted
            else _(
                "Your data is NOT encrypted. Restart FairDesk and choose a passphrase to "
                "protect it."
            )
        )
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.lock_button = QPushButton(_("Lock now (Ctrl+L)"))
        self.change_button = QPushButton(_("Change passphrase…"))
        self.travel_button = QPushButton(_("Travel mode: remove evidence already safe at HQ…"))
        for button in (self.lock_button, self.change_button, self.travel_button):
            button.setEnabled(encrypted or button is self.travel_button)
            layout.addWidget(button)
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
