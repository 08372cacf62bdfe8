"""Editing a case through its typed input (``CaseEdit``): a field not given keeps its value,
``None`` clears what may be cleared, and creation and edits share one set of length limits."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from fairdesk import cases, fairs
from fairdesk.cases import KEEP, CaseEdit, CaseInput, FairInput
from fairdesk.errors import ValidationError
from fairdesk.model import Direction, Level, Status, Trigger
from fairdesk.store import Store, open_store
from fairdesk.timeutil import utcnow
from fairdesk.validation import PLACE_MAX


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(tmp_path / "data")


def _case(store: Store) -> str:
    fair_id = fairs.create_fair(
        store, FairInput("Hannover Messe 2027", "Europe/Berlin", city="Hannover", country="DE")
    )
    return cases.create_case(
        store,
        CaseInput(
            "Injunction, booth C12",
            Direction.AGAINST_US,
            Trigger.COURT_ORDER,
            fair_id=fair_id,
            hall="4",
            booth="C12",
            summary="Bailiff at the booth",
            served_at=utcnow() - timedelta(hours=1),
        ),
    )


def test_fields_not_given_keep_their_values(store: Store) -> None:
    case_id = _case(store)
    before = cases.get_case(store, case_id)
    cases.edit_case(store, case_id, CaseEdit(booth="C14"))
    after = cases.get_case(store, case_id)
    assert after.booth == "C14"
    assert (after.hall, after.summary, after.case.title) == (
        "4",
        "Bailiff at the booth",
        before.case.title,
    )
    assert after.fair == before.fair and after.served_at == before.served_at
    assert after.level_override is None
    assert CaseEdit(booth="C14").given() == {"booth": "C14"}
    assert CaseEdit().given() == {} and CaseEdit().title is KEEP


def test_none_clears_fair_and_time_of_service(store: Store) -> None:
    case_id = _case(store)
    cases.edit_case(store, case_id, CaseEdit(fair_id=None, served_at=None))
    detail = cases.get_case(store, case_id)
    assert detail.fair is None and detail.served_at is None
    assert detail.booth == "C12"


def test_level_override_set_and_lifted_with_members(store: Store) -> None:
    case_id = _case(store)
    cases.edit_case(store, case_id, CaseEdit(level=Level.YELLOW), reason="counsel on the way")
    assert cases.get_case(store, case_id).level_override is Level.YELLOW
    cases.edit_case(store, case_id, CaseEdit(level=None), reason="back to the rules")
    assert cases.get_case(store, case_id).level_override is None


def test_a_stored_string_from_a_script_is_checked_like_a_member(store: Store) -> None:
    case_id = _case(store)
    cases.edit_case(store, case_id, CaseEdit(status=Status("responding")))
    assert cases.get_case(store, case_id).case.status is Status.RESPONDING
    bad: dict[str, object] = {"status": "on fire"}  # as `fairdesk case edit --status` could pass
    with pytest.raises(ValidationError, match="Unknown status: on fire"):
        cases.edit_case(store, case_id, CaseEdit(**bad))  # type: ignore[arg-type]
    assert cases.get_case(store, case_id).case.status is Status.RESPONDING  # nothing saved


def test_creation_and_edit_refuse_the_same_too_long_booth(store: Store) -> None:
    case_id = _case(store)
    too_long = "B" * (PLACE_MAX + 1)
    with pytest.raises(ValidationError) as on_edit:
        cases.edit_case(store, case_id, CaseEdit(booth=too_long, hall="5"))
    with pytest.raises(ValidationError) as on_create:
        cases.create_case(
            store, CaseInput("Copy", Direction.BY_US, Trigger.COPY_SPOTTED, booth=too_long)
        )
    assert str(on_edit.value) == str(on_create.value)
    assert f"at most {PLACE_MAX}" in str(on_edit.value)
    assert cases.get_case(store, case_id).hall == "4"  # the valid field was not saved half
    cases.edit_case(store, case_id, CaseEdit(booth="B" * PLACE_MAX))


def test_an_edit_refuses_a_time_of_service_in_the_future_like_creation(store: Store) -> None:
    # Deadlines such as "48 hours from service" count from this time: a future date (a typo
    # in the year) would show them later than they are.
    case_id = _case(store)
    before = cases.get_case(store, case_id)
    tomorrow = utcnow() + timedelta(days=1)
    with pytest.raises(ValidationError) as on_edit:
        cases.edit_case(store, case_id, CaseEdit(served_at=tomorrow, booth="C14"))
    with pytest.raises(ValidationError) as on_create:
        cases.create_case(
            store,
            CaseInput("Copy", Direction.AGAINST_US, Trigger.COURT_ORDER, served_at=tomorrow),
        )
    assert str(on_edit.value) == str(on_create.value)
    after = cases.get_case(store, case_id)
    assert (after.served_at, after.booth) == (before.served_at, before.booth)
    earlier = utcnow() - timedelta(hours=3)
    cases.edit_case(store, case_id, CaseEdit(served_at=earlier))
    assert cases.get_case(store, case_id).served_at == earlier
