"""Warning-level rules, deadline rules, ids and time zones: pure functions, checked exhaustively."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairdesk import triage
from fairdesk.deadlines import resolve_due
from fairdesk.errors import ValidationError
from fairdesk.ids import uuid7
from fairdesk.model import DeadlineRule, Level, Trigger
from fairdesk.timeutil import parse_instant, zone

NOW = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("trigger", "deadlines", "level", "rule"),
    [
        (Trigger.COURT_ORDER, [], Level.RED, "R1"),
        (Trigger.SEIZURE, [NOW + timedelta(days=30)], Level.RED, "R1"),
        (Trigger.CUSTOMS_ACTION, [], Level.RED, "R1"),
        (Trigger.COMPLAINT, [NOW + timedelta(hours=23, minutes=59)], Level.RED, "R2"),
        (Trigger.WATCH, [NOW - timedelta(hours=1)], Level.RED, "R2"),  # overdue
        (Trigger.COMPLAINT, [NOW + timedelta(hours=25)], Level.YELLOW, "R3"),
        (Trigger.WARNING_LETTER, [], Level.YELLOW, "R3"),
        (Trigger.PANEL_SUMMONS, [NOW + timedelta(days=2)], Level.YELLOW, "R3"),
        (Trigger.COPY_SPOTTED, [], Level.YELLOW, "R4"),
        (Trigger.RISK_NOTICE, [], Level.BLUE, "R5"),
        (Trigger.WATCH, [NOW + timedelta(days=3)], Level.BLUE, "R5"),
    ],
)
def test_level_rules(trigger: Trigger, deadlines: list[datetime], level: Level, rule: str) -> None:
    assert triage.assess(trigger, deadlines, NOW) == triage.Assessment(level, rule)


@settings(max_examples=200, derandomize=True)
@given(st.sampled_from(list(Trigger)), st.lists(st.integers(-72, 720), max_size=4))
def test_a_closer_deadline_never_lowers_the_level(trigger: Trigger, hours: list[int]) -> None:
    due = [NOW + timedelta(hours=h) for h in hours]
    base = triage.assess(trigger, due, NOW).level
    closer = triage.assess(trigger, [*due, NOW + timedelta(hours=1)], NOW).level
    assert triage.LEVEL_ORDER[closer] <= triage.LEVEL_ORDER[base]


def test_hours_from_service() -> None:
    served = datetime(2026, 4, 15, 10, 0, tzinfo=zone("Asia/Shanghai"))
    due = resolve_due(DeadlineRule.HOURS_FROM_SERVICE, served_at=served, hours=24)
    assert due == datetime(2026, 4, 16, 2, 0, tzinfo=UTC)


def test_end_of_fair_day_uses_the_fairs_zone_across_a_dst_change() -> None:
    # Europe/Berlin switches to summer time on 29 March 2026.
    before = resolve_due(
        DeadlineRule.END_OF_FAIR_DAY,
        fair_day=date(2026, 3, 28),
        fair_time_zone="Europe/Berlin",
        closing_time="18:00",
    )
    after = resolve_due(
        DeadlineRule.END_OF_FAIR_DAY,
        fair_day=date(2026, 3, 30),
        fair_time_zone="Europe/Berlin",
        closing_time="18:00",
    )
    assert before == datetime(2026, 3, 28, 17, 0, tzinfo=UTC)
    assert after == datetime(2026, 3, 30, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rule": DeadlineRule.FIXED},
        {"rule": DeadlineRule.HOURS_FROM_SERVICE, "hours": 24},
        {"rule": DeadlineRule.HOURS_FROM_SERVICE, "served_at": NOW, "hours": 0},
        {"rule": DeadlineRule.END_OF_FAIR_DAY},
        {"rule": DeadlineRule.END_OF_FAIR_DAY, "fair_day": date(2026, 3, 5), "closing_time": "6pm"},
        {
            "rule": DeadlineRule.END_OF_FAIR_DAY,
            "fair_day": date(2026, 3, 5),
            "fair_time_zone": "Mars/Base",
        },
    ],
)
def test_incomplete_deadline_rules_are_refused_with_a_message(kwargs: dict[str, object]) -> None:
    rule = kwargs.pop("rule")
    with pytest.raises(ValidationError) as err:
        resolve_due(rule, **kwargs)  # type: ignore[arg-type]
    assert str(err.value)


def test_uuid7_is_version_7_and_time_ordered() -> None:
    ids = [uuid7() for _ in range(5000)]
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    assert ids == sorted(ids, key=lambda u: u.bytes)
    assert len(set(ids)) == len(ids)


def test_parse_instant_reads_local_times_in_the_given_zone() -> None:
    assert parse_instant("2026-01-08 09:00", "America/Los_Angeles") == datetime(
        2026, 1, 8, 17, 0, tzinfo=UTC
    )
    assert parse_instant("2026-01-08T09:00+01:00") == datetime(2026, 1, 8, 8, 0, tzinfo=UTC)
    with pytest.raises(ValidationError, match="Not a valid date"):
        parse_instant("tomorrow at nine")
