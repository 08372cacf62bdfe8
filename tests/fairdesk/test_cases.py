"""Case services: one-step recording, edits with outbox entries, validation that saves nothing half."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fairdesk import cases
from fairdesk.cases import CaseFilter, CaseInput, DeadlineInput, FairInput, PartyInput, RightInput
from fairdesk.demo import fill_demo
from fairdesk.errors import NotFoundError, ValidationError
from fairdesk.model import (
    Case,
    DeadlineRule,
    Direction,
    Level,
    OutboxEntry,
    Party,
    PartyRole,
    RightKind,
    Status,
    Trigger,
)
from fairdesk.store import Store
from fairdesk.timeutil import utcnow


def _count(store: Store, model: type[object]) -> int:
    with store.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _emergency(**overrides: object) -> CaseInput:
    data = CaseInput(
        "Panel summons: juicer design",
        Direction.AGAINST_US,
        Trigger.PANEL_SUMMONS,
        served_at=utcnow() - timedelta(hours=1),
        parties=[PartyInput(PartyRole.COMPLAINANT, "示例家电有限公司（虚构）")],
        rights=[RightInput(RightKind.DESIGN, "ZL 2023 3 0000001.X", "CN")],
        deadlines=[DeadlineInput("Written statement", DeadlineRule.HOURS_FROM_SERVICE, hours=24)],
        note="Photos of the exhibit taken",
    )
    for key, value in overrides.items():
        setattr(data, key, value)
    return data


def test_new_emergency_is_saved_in_one_step_with_its_outbox(store: Store) -> None:
    case_id = cases.create_case(store, _emergency())
    detail = cases.get_case(store, case_id)
    assert detail.case.level is Level.RED  # 24 h from service, served an hour ago → R2
    assert detail.level_rule == "R2"
    assert [p.name for p in detail.parties] == ["示例家电有限公司（虚构）"]
    assert detail.served_at is not None
    assert detail.deadlines[0].due_at == detail.served_at + timedelta(hours=24)
    assert detail.notes[0].text == "Photos of the exhibit taken"
    assert detail.case.number.startswith(store.device.short_code + "-")
    with store.read() as session:
        entities = [
            e.entity for e in session.scalars(select(OutboxEntry).order_by(OutboxEntry.mutation_id))
        ]
    assert entities == ["case", "party", "ip_right", "deadline", "note", "timeline_event"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "Title is required"),
        ("title", "x" * 10_000, "too long"),
        ("title", "bad\x07bell", "control characters"),
        ("title", "spoof\u202eevil", "control characters"),
        (
            "deadlines",
            [DeadlineInput("late", due_at=datetime(2020, 1, 1, tzinfo=UTC))],
            "in the past",
        ),
        ("parties", [PartyInput(PartyRole.WITNESS, "   ")], "Give a name for the witness"),
        ("served_at", utcnow() + timedelta(days=2), "future"),
    ],
)
def test_bad_input_saves_nothing(store: Store, field: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        cases.create_case(store, _emergency(**{field: value}))
    assert _count(store, Case) == 0
    assert _count(store, Party) == 0
    assert _count(store, OutboxEntry) == 0


def test_unknown_time_zone_for_a_fair_is_refused(store: Store) -> None:
    with pytest.raises(ValidationError, match="Unknown time zone"):
        cases.create_fair(store, FairInput("Fair", "Europe/Atlantis"))


def test_duplicate_case_number_is_refused(store: Store) -> None:
    cases.create_case(store, _emergency(number="CANTON-0001"))
    with pytest.raises(ValidationError, match="already used"):
        cases.create_case(store, _emergency(number="CANTON-0001"))
    assert _count(store, Case) == 1


def test_numbers_from_two_devices_never_collide(tmp_path: Path) -> None:
    from fairdesk.store import open_store

    numbers = set()
    for name in ("laptop-a", "laptop-b"):
        device_store = open_store(tmp_path / name)
        numbers |= {
            cases.get_case(device_store, cases.create_case(device_store, _emergency())).case.number
            for _ in range(3)
        }
        device_store.close()
    assert len(numbers) == 6


def test_level_override_needs_a_reason_and_is_recorded(store: Store) -> None:
    case_id = cases.create_case(store, _emergency(deadlines=[], trigger=Trigger.RISK_NOTICE))
    assert cases.get_case(store, case_id).case.level is Level.BLUE
    with pytest.raises(ValidationError, match="needs a reason"):
        cases.edit_case(store, case_id, cases.CaseEdit(level=Level.RED))
    cases.edit_case(
        store,
        case_id,
        cases.CaseEdit(level=Level.RED),
        reason="Counsel expects an injunction tonight",
    )
    detail = cases.get_case(store, case_id)
    assert detail.case.level is Level.RED and detail.computed_level is Level.BLUE
    assert detail.timeline[-1].kind == "level_override"
    assert detail.timeline[-1].reason == "Counsel expects an injunction tonight"
    cases.edit_case(store, case_id, cases.CaseEdit(level=None), reason="Injunction refused")
    assert cases.get_case(store, case_id).case.level is Level.BLUE


def test_edit_records_base_version_and_only_changed_fields(store: Store) -> None:
    case_id = cases.create_case(store, _emergency())
    cases.edit_case(
        store, case_id, cases.CaseEdit(title="New title", booth="", status=Status.RESPONDING)
    )
    with store.read() as session:
        last = session.scalars(
            select(OutboxEntry)
            .where(OutboxEntry.entity == "case")
            .order_by(OutboxEntry.mutation_id.desc())
        ).first()
        assert last is not None and last.op == "update" and last.base_version == 0
        assert last.changes == {"title": "New title", "status": "responding"}
    kinds = [t.kind for t in cases.get_case(store, case_id).timeline]
    assert "status" in kinds and "edit" in kinds


def test_deadline_becoming_urgent_raises_the_level(store: Store) -> None:
    now = utcnow()
    case_id = cases.create_case(
        store,
        _emergency(
            trigger=Trigger.COMPLAINT,
            deadlines=[DeadlineInput("Reply", due_at=now + timedelta(hours=40))],
        ),
    )
    assert cases.get_case(store, case_id).case.level is Level.YELLOW
    assert cases.refresh_levels(store, now + timedelta(hours=20)) == 1
    detail = cases.get_case(store, case_id)
    assert detail.case.level is Level.RED
    assert detail.timeline[-1].kind == "level"
    cases.set_deadline_done(store, detail.deadlines[0].id)
    assert cases.get_case(store, case_id).case.level is Level.YELLOW


def test_the_timers_pass_names_only_the_near_cases_whose_level_changes(store: Store) -> None:
    """An overdue open deadline stays near until it is done: its case, already red (R2), is
    not re-levelled every minute; the case whose deadline has just come near is."""
    now = utcnow()
    overdue, coming, deleted = (
        cases.create_case(
            store,
            _emergency(
                trigger=Trigger.COMPLAINT,
                deadlines=[DeadlineInput("Reply", due_at=now + timedelta(hours=hours))],
            ),
        )
        for hours in (10, 40, 40)
    )
    cases.delete_case(store, deleted, reason="Recorded twice")
    assert cases.get_case(store, overdue).case.level is Level.RED
    later = now + timedelta(hours=20)  # the first deadline is 10 h overdue by then
    assert cases.cases_to_relevel(store, later) == [coming]
    assert cases.cases_to_relevel(store, now) == []
    assert cases.refresh_levels(store, later) == 1
    assert cases.cases_to_relevel(store, later) == []


def test_deleted_case_disappears_from_lists_but_stays_on_disk(store: Store) -> None:
    case_id = cases.create_case(store, _emergency())
    cases.delete_case(store, case_id, reason="Recorded twice")
    assert cases.list_cases(store) == []
    with pytest.raises(NotFoundError):
        cases.get_case(store, case_id)
    assert _count(store, Case) == 1


def test_demo_set_covers_directions_levels_and_time_zones(store: Store) -> None:
    assert fill_demo(store) >= 12
    rows = cases.list_cases(store)
    assert {r.level for r in rows} == set(Level)
    assert {r.direction for r in rows} == set(Direction)
    assert len({r.fair_time_zone for r in rows}) >= 5
    assert fill_demo(store) == 0  # never twice


def test_list_filters_and_sorting(store: Store) -> None:
    fill_demo(store)
    reds = cases.list_cases(store, CaseFilter(levels=(Level.RED,)))
    assert reds and all(r.level is Level.RED for r in reds)
    by_us = cases.list_cases(store, CaseFilter(directions=(Direction.BY_US,)))
    assert by_us and all(r.direction is Direction.BY_US for r in by_us)
    open_only = cases.list_cases(store, CaseFilter(include_closed=False))
    assert all(r.status not in (Status.CLOSED, Status.SETTLED) for r in open_only)
    levels = [r.level for r in cases.list_cases(store)]
    assert levels == sorted(levels, key=lambda lv: ["red", "yellow", "blue"].index(lv.value))
    titles = [r.title for r in cases.list_cases(store, sort="title")]
    assert titles == sorted(titles)
    deadlines = cases.open_deadlines(store)  # Today's order: red cases' first, soonest first
    assert deadlines == sorted(deadlines, key=lambda d: (d.case_level is not Level.RED, d.due_at))
