"""The Alerts page: HQ risk alerts, a banner while any is unacknowledged, and acknowledgement.

New unacknowledged alerts are also announced once as a system notification when the platform
has a tray (``QSystemTrayIcon.isSystemTrayAvailable()``). Acknowledging runs on the db pool
and writes the outbox entry that carries it back to HQ.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QSystemTrayIcon,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from fairdesk.events import Change
from fairdesk.geo import country_name
from fairdesk.i18n import N_, _
from fairdesk.knowledge import alerts
from fairdesk.knowledge.alerts import AlertRow
from fairdesk.model import Level
from fairdesk.store import Store
from ui.formatting import label
from ui.pages.common import page_header, page_layout
from ui.qt_events import bridge
from ui.tasks import runner
from ui.theme import GREEN, LEVEL_BACKGROUND, LEVEL_FOREGROUND, MUTED_TEXT, level_icon

# Strings used inside f-strings below (the extractor cannot see those), so that the
# translation catalog and its completeness test cover them.
_IN_F_STRINGS = (
    N_("Published {date}"),
    N_("Countries"),
    N_("Fairs"),
    N_("Goods"),
    N_("Acknowledged {when} by {user}"),
)


class AlertBanner(QFrame):
    """A strip in the level's colour naming the most urgent unacknowledged alert."""

    acknowledge = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alertBanner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.button = QPushButton(_("Acknowledge"))
        layout.addWidget(self.text, 1)
        layout.addWidget(self.button)
        self.alert_id = ""
        self.button.clicked.connect(lambda: self.acknowledge.emit(self.alert_id))
        self.hide()

    def show_alerts(self, pending: list[AlertRow]) -> None:
        if not pending:
            self.alert_id = ""
            self.hide()
            return
        top = pending[0]
        self.alert_id = top.id
        more = (
            " " + _("({count} more unacknowledged)").format(count=len(pending) - 1)
            if len(pending) > 1
            else ""
        )
        self.text.setText(
            f"<b>{escape(label(top.level))} · {escape(top.title())}</b>{escape(more)}"
        )
        self.setStyleSheet(
            f"QFrame#alertBanner {{ background: {LEVEL_BACKGROUND[top.level]}; "
            f"border-radius: 6px; }} QFrame#alertBanner QLabel {{ color: "
            f"{LEVEL_FOREGROUND[top.level]}; font-size: 11pt; }}"
        )
        self.show()


def alert_html(alert: AlertRow) -> str:
    lines = [
        f"<h3>{escape(alert.title())}</h3>",
        f'<p style="color:{MUTED_TEXT}">{escape(label(alert.level))} · '
        f"{escape(_('Published {date}').format(date=alert.published_at.date().isoformat()))}",
    ]
    if alert.valid_until:
        lines.append(
            " · "
            + escape(_("valid until {date}").format(date=alert.valid_until.date().isoformat()))
        )
    lines.append("</p>")
    lines.append(f"<p>{escape(alert.text()).replace(chr(10), '<br/>')}</p>")
    if alert.countries:
        names = ", ".join(f"{country_name(c)} ({c})" for c in alert.countries)
        lines.append(f"<p><b>{escape(_('Countries'))}:</b> {escape(names)}</p>")
    if alert.fairs:
        lines.append(f"<p><b>{escape(_('Fairs'))}:</b> {escape(', '.join(alert.fairs))}</p>")
    if alert.goods:
        lines.append(f"<p><b>{escape(_('Goods'))}:</b> {escape(', '.join(alert.goods))}</p>")
    if alert.acknowledged_at:
        lines.append(
            f'<p style="color:{GREEN}">{escape(_("Acknowledged {when} by {user}").format(when=alert.acknowledged_at.strftime("%Y-%m-%d %H:%M UTC"), user=alert.acknowledged_by or "—"))}</p>'
        )
    return "".join(lines)


class AlertsPage(QWidget):
    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.rows: list[AlertRow] = []
        self._announced: set[str] = set()
        self.tray: QSystemTrayIcon | None = None
        layout = page_layout(self)
        header, _title, self.subtitle = page_header(_("Risk alerts from HQ"))
        layout.addWidget(header)
        self.banner = AlertBanner()
        layout.addWidget(self.banner)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.list = QListWidget()
        self.detail = QTextBrowser()
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.detail, 1)
        self.ack_button = QPushButton(_("Acknowledge"))
        self.ack_button.setObjectName("primary")
        right_layout.addWidget(self.ack_button, 0, Qt.AlignmentFlag.AlignRight)
        split.addWidget(self.list)
        split.addWidget(right)
        split.setSizes([380, 620])
        layout.addWidget(split, 1)
        self.empty = QLabel(_("No risk alerts. HQ's alerts arrive with the next sync."))
        self.empty.setObjectName("subtitle")
        layout.addWidget(self.empty)
        self.list.currentItemChanged.connect(self._show_current)
        self.ack_button.clicked.connect(self._ack_current)
        self.banner.acknowledge.connect(self.acknowledge)
        bridge().changed.connect(self._core_changed)
        self.reload()

    def _core_changed(self, kind: str, _id: str) -> None:
        if kind == Change.ALERTS:
            self.reload()

    def reload(self) -> None:
        runner().run(alerts.list_alerts, self.store, on_done=self._loaded, pool="read")

    def _loaded(self, rows: list[AlertRow]) -> None:
        current = self.current_id()
        self.rows = rows
        self.list.blockSignals(True)
        self.list.clear()
        for row in rows:
            state = _("new") if row.acknowledged_at is None else _("acknowledged")
            item = QListWidgetItem(level_icon(row.level), f"{row.title()}\n{state}")
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            if row.acknowledged_at is None:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            self.list.addItem(item)
        self.list.blockSignals(False)
        pending = [r for r in rows if r.acknowledged_at is None]
        self.banner.show_alerts(pending)
        self.subtitle.setText(_("{count} unacknowledged").format(count=len(pending)))
        self.empty.setVisible(not rows)
        ids = [r.id for r in rows]
        if pending and (current not in ids or rows[ids.index(current)].acknowledged_at):
            current = pending[0].id  # after an acknowledgement, move on to the next one
        self.list.setCurrentRow(ids.index(current) if current in ids else 0 if rows else -1)
        self._show_current(self.list.currentItem())
        self._notify(pending)

    def current_id(self) -> str | None:
        item = self.list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def _show_current(self, item: QListWidgetItem | None, _previous: object = None) -> None:
        row = next(
            (
                r
                for r in self.rows
                if item is not None and r.id == item.data(Qt.ItemDataRole.UserRole)
            ),
            None,
        )
        self.detail.setHtml(alert_html(row) if row else "")
        self.ack_button.setEnabled(row is not None and row.acknowledged_at is None)

    def _ack_current(self) -> None:
        alert_id = self.current_id()
        if alert_id:
            self.acknowledge(alert_id)

    def acknowledge(self, alert_id: str) -> None:
        if alert_id:
            runner().run(
                alerts.acknowledge,
                self.store,
                alert_id,
                pool="db",
                on_done=lambda _row: self.reload(),
            )

    def _notify(self, pending: list[AlertRow]) -> None:
        fresh = [r for r in pending if r.id not in self._announced]
        self._announced.update(r.id for r in pending)
        if not fresh or not QSystemTrayIcon.isSystemTrayAvailable():
            return
        if self.tray is None:
            self.tray = QSystemTrayIcon(level_icon(Level.RED), self)
            self.tray.show()
        top = fresh[0]
        icon = (
            QSystemTrayIcon.MessageIcon.Critical
            if top.level is Level.RED
            else QSystemTrayIcon.MessageIcon.Warning
        )
        self.tray.showMessage(_("FairDesk risk alert"), top.title(), icon, 15_000)
