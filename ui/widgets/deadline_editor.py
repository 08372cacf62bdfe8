"""Entering a deadline the way it is written on the papers: a fixed fair-local time, N hours
from service, or the end of a fair day. Produces a ``cases.DeadlineInput``."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from PySide6.QtCore import QDate, QDateTime, QTime
from PySide6.QtWidgets import (
    QDateEdit,
    QDateTimeEdit,
    QHBoxLayout,
    QSpinBox,
    QStackedWidget,
    QWidget,
)

from fairdesk.cases import DeadlineInput
from fairdesk.i18n import _
from fairdesk.model import DeadlineRule
from fairdesk.timeutil import zone
from ui.widgets.combo import EnumCombo

DATETIME_FORMAT = "yyyy-MM-dd HH:mm"


def to_qdatetime(moment: datetime) -> QDateTime:
    """A wall-clock QDateTime showing ``moment`` as it reads in its own time zone."""
    return QDateTime(
        QDate(moment.year, moment.month, moment.day), QTime(moment.hour, moment.minute)
    )


def from_qdatetime(value: QDateTime, tz_name: str) -> datetime:
    """The instant the wall-clock ``value`` names in ``tz_name``."""
    d, t = value.date(), value.time()
    return datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), tzinfo=zone(tz_name))


def from_qdate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class DeadlineEditor(QWidget):
    """Rule combo plus the one input that rule needs; ``allow_none`` offers "no deadline yet"."""

    def __init__(
        self,
        now: datetime,
        fair_zone: str = "UTC",
        *,
        allow_none: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.fair_zone = fair_zone
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.rule: EnumCombo[DeadlineRule] = EnumCombo(
            DeadlineRule, none_text=_("No deadline yet") if allow_none else None
        )
        self.stack = QStackedWidget()
        local_now = now.astimezone(zone(fair_zone))
        suggested = (local_now + timedelta(hours=24)).replace(minute=0, second=0, microsecond=0)
        self.fixed = QDateTimeEdit(to_qdatetime(suggested))
        self.fixed.setDisplayFormat(DATETIME_FORMAT)
        self.fixed.setCalendarPopup(True)
        self.hours = QSpinBox()
        self.hours.setRange(1, 24 * 90)
        self.hours.setValue(24)
        self.hours.setSuffix(" " + _("hours after service"))
        self.fair_day = QDateEdit(QDate(local_now.year, local_now.month, local_now.day))
        self.fair_day.setDisplayFormat("yyyy-MM-dd")
        self.fair_day.setCalendarPopup(True)
        self.none = QWidget()
        for widget in (self.none, self.fixed, self.hours, self.fair_day):
            self.stack.addWidget(widget)
        layout.addWidget(self.rule)
        layout.addWidget(self.stack, 1)
        self.rule.currentIndexChanged.connect(self._rule_changed)
        self._rule_changed()
        self.setFocusProxy(self.rule)

    def _rule_changed(self) -> None:
        rule = self.rule.value()
        pages = {
            None: self.none,
            DeadlineRule.FIXED: self.fixed,
            DeadlineRule.HOURS_FROM_SERVICE: self.hours,
            DeadlineRule.END_OF_FAIR_DAY: self.fair_day,
        }
        self.stack.setCurrentWidget(pages[rule])

    def set_rule(self, rule: DeadlineRule | None) -> None:
        self.rule.set_value(rule)

    def value(self, what: str, source: str = "") -> DeadlineInput | None:
        rule = self.rule.value()
        if rule is None:
            return None
        if rule is DeadlineRule.FIXED:
            return DeadlineInput(
                what,
                rule,
                due_at=from_qdatetime(self.fixed.dateTime(), self.fair_zone),
                source=source,
            )
        if rule is DeadlineRule.HOURS_FROM_SERVICE:
            return DeadlineInput(what, rule, hours=self.hours.value(), source=source)
        return DeadlineInput(what, rule, fair_day=from_qdate(self.fair_day.date()), source=source)
