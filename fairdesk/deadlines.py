"""Deadline rules: a fixed instant, N hours from service, or the end of a fair day.

All results are UTC instants; the fair's IANA time zone turns "end of the fair day" into one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from fairdesk.errors import ValidationError
from fairdesk.i18n import _
from fairdesk.model import DeadlineRule
from fairdesk.timeutil import zone


def resolve_due(
    rule: DeadlineRule,
    *,
    due_at: datetime | None = None,
    served_at: datetime | None = None,
    hours: int | None = None,
    fair_day: date | None = None,
    fair_time_zone: str = "UTC",
    closing_time: str = "18:00",
) -> datetime:
    """The UTC instant a deadline falls due, computed from its rule."""
    if rule is DeadlineRule.FIXED:
        if due_at is None:
            raise ValidationError(_("Give the deadline's date and time."))
        return due_at.astimezone(UTC)
    if rule is DeadlineRule.HOURS_FROM_SERVICE:
        if served_at is None:
            raise ValidationError(_("Give the time the papers were served."))
        if hours is None or not 1 <= hours <= 24 * 90:
            raise ValidationError(_("Hours from service must be between 1 and 2160."))
        return (served_at + timedelta(hours=hours)).astimezone(UTC)
    if fair_day is None:
        raise ValidationError(_("Give the fair day the deadline ends on."))
    if not closing_time.strip():
        raise ValidationError(
            _(
                "The fair's closing time is not known, so the end of the fair day cannot be "
                "worked out. Enter this year's hours under Fairs, or give a fixed time."
            )
        )
    try:
        hh, mm = (int(part) for part in closing_time.split(":"))
        closing = time(hh, mm)
    except ValueError as exc:
        raise ValidationError(
            _("Closing time must look like 18:00, not {value}.").format(value=closing_time)
        ) from exc
    return datetime.combine(fair_day, closing, tzinfo=zone(fair_time_zone)).astimezone(UTC)
