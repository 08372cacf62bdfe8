"""Outbox states and timeline kinds are StrEnums whose stored values never change: they are in
every data folder and travel to HQ and the other devices."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from fairdesk import cases
from fairdesk.cases import CaseEdit, CaseInput, PartyInput, RightInput
from fairdesk.enums import TIMELINE_LABELS, UNSENT_STATES, OutboxState, TimelineKind
from fairdesk.model import Direction, Level, PartyRole, RightKind, Trigger
from fairdesk.store import open_store


def test_stored_values_are_the_ones_already_on_disk_and_at_hq() -> None:
    assert {s.value for s in OutboxState} == {"waiting", "sending", "sent", "rejected", "conflict"}
    assert set(UNSENT_STATES) == {"waiting", "sending"}
    assert {k.value for k in TimelineKind} == {
        "created",
        "status",
        "level",
        "level_override",
        "edit",
        "situation",
        "deleted",
        "deadline_done",
        "deadline_reopened",
        "party_edited",
        "party_removed",
        "right_edited",
        "right_removed",
    }
    assert set(TIMELINE_LABELS) == set(TimelineKind)  # every line has words on the case page


def test_a_case_life_writes_known_kinds_as_plain_strings(tmp_path: Path) -> None:
    store = open_store(tmp_path / "data")
    case_id = cases.create_case(
        store,
        CaseInput(
            "Copy at booth D3",
            Direction.BY_US,
            Trigger.COPY_SPOTTED,
            parties=[PartyInput(PartyRole.RESPONDENT, "Copy Co.")],
            rights=[RightInput(RightKind.DESIGN, "DM/123 456", "EUIPO")],
        ),
    )
    detail = cases.get_case(store, case_id)
    cases.edit_party(store, detail.parties[0].id, {"organisation": "Copy Holding"})
    cases.remove_party(store, detail.parties[0].id, reason="wrong company")
    cases.remove_right(store, detail.rights[0].id, reason="not ours")
    cases.edit_case(store, case_id, CaseEdit(level=Level.RED), reason="samples seized")
    with store.read() as session:
        stored = session.execute(
            text("SELECT kind, typeof(kind) FROM timeline_event WHERE case_id = :c ORDER BY rowid"),
            {"c": case_id},
        ).all()
        states: list[str] = list(session.scalars(text("SELECT DISTINCT state FROM outbox")))
    assert [k for k, _ in stored] == [
        "created",
        "party_edited",
        "party_removed",
        "right_removed",
        "level_override",
    ]
    assert {t for _, t in stored} == {"text"}
    assert states == ["waiting"]
