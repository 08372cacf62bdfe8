"""Levels are computed with the data folder's library, passed in: after a library update the
full refresh re-levels every case (and the timer's quick refresh leaves them alone)."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from fairdesk import cases
from fairdesk.cases import (
    CaseEdit,
    CaseInput,
    DeadlineInput,
    FairInput,
    PartyInput,
    RightInput,
    levels,
)
from fairdesk.knowledge import library
from fairdesk.knowledge.levels import assess_case, assess_stored_case
from fairdesk.model import Case, Direction, Level, PartyRole, RightKind, Trigger
from fairdesk.situation import CaseFacts, facts_of
from fairdesk.store import Store
from fairdesk.timeutil import utcnow

from .conftest import NOW


def test_full_refresh_follows_a_library_update(store: Store, shipped: library.Library) -> None:
    tokyo = cases.create_fair(store, FairInput("Example Expo Tokyo", "Asia/Tokyo", "Tokyo", "JP"))
    case_id = cases.create_case(
        store,
        CaseInput("Rumour of an injunction", Direction.AGAINST_US, Trigger.RISK_NOTICE, tokyo),
    )
    detail = cases.get_case(store, case_id)
    assert (detail.case.level, detail.level_rule) == (Level.BLUE, "R5")  # JP: no ex-parte entry

    payload = copy.deepcopy(shipped.as_payload())
    payload["library_version"] = shipped.library_version + 1
    payload["edition"] = "test-ex-parte-jp"
    entry = next(e for e in payload["entries"] if e["id"] == "jp.injunction")
    entry["ex_parte"] = True  # a (hypothetical) correction of the Japanese entry
    library.apply_reference_update(store, payload)

    assert cases.refresh_levels(store) == 0  # the timer's pass only looks at near deadlines
    assert cases.refresh_levels(store, full=True) == 1
    detail = cases.get_case(store, case_id)
    assert (detail.case.level, detail.level_rule) == (Level.YELLOW, "R6")
    assert cases.refresh_levels(store, full=True) == 0  # idempotent


def test_the_level_function_uses_only_the_library_it_is_given(shipped: library.Library) -> None:
    facts = CaseFacts(Trigger.RISK_NOTICE, Direction.AGAINST_US, "DE")
    assert assess_case(facts, [], NOW, shipped).rule == "R6"
    empty = library.Library(
        shipped.schema_version,
        shipped.library_version,
        shipped.edition,
        shipped.published_at,
        tuple(e for e in shipped.entries if e.country != "DE"),
        shipped.origin,
    )
    assert assess_case(facts, [], NOW, empty).rule == "R5"
    # Our own watch items are never raised; a corrected situation is levelled by its event.
    assert (
        assess_case(CaseFacts(Trigger.WATCH, Direction.BY_US, "DE"), [], NOW, shipped).rule == "R5"
    )
    corrected = CaseFacts(
        Trigger.RISK_NOTICE, Direction.AGAINST_US, "DE", correction="respondent/police_raid/DE"
    )
    assert assess_case(corrected, [], NOW, shipped).level is Level.RED


def _stale_by_orm(store: Store, now: datetime, lib: library.Library) -> set[str]:
    """The open cases ``relevel`` would change, read through the ORM as ``relevel`` reads them."""
    with store.read() as session:
        stale = set()
        for case in session.scalars(select(Case).where(Case.deleted_at.is_(None))):
            assessment = assess_stored_case(case, now, lib)
            wanted = (case.level_override or assessment.level, assessment.level, assessment.rule)
            if (case.level, case.computed_level, case.level_reason) != wanted:
                stale.add(case.id)
    return stale


def test_the_full_refresh_reads_what_relevel_reads(
    store: Store, shipped: library.Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The full refresh reads every case's facts from plain columns, a chunk at a time: the
    same facts and open deadlines as ``facts_of`` on the ORM case, and so the same stale
    cases as ``relevel`` would find."""
    monkeypatch.setattr(levels, "FULL_REFRESH_CHUNK", 3)  # many chunks, children across edges
    now = utcnow()
    essen = cases.create_fair(store, FairInput("Example Fair Essen", "Europe/Berlin", "", "DE"))
    tokyo = cases.create_fair(store, FairInput("Example Expo Tokyo", "Asia/Tokyo", "", "JP"))
    upc_court = PartyInput(PartyRole.COURT, "UPC Local Division Düsseldorf")
    unitary = RightInput(RightKind.INVENTION_PATENT, "EP 1 234 567", office="EP")
    soon = DeadlineInput("Reply", due_at=now + timedelta(hours=5))
    ours = RightInput(RightKind.INVENTION_PATENT, "EP 7", office="EP", asserted_by_us=True)
    against, by_us = Direction.AGAINST_US, Direction.BY_US

    def case(
        title: str, direction: Direction, trigger: Trigger, fair: str | None, **extra: Any
    ) -> str:
        return cases.create_case(store, CaseInput(title, direction, trigger, fair, **extra))

    ids = [
        case("Order from the UPC", against, Trigger.COURT_ORDER, tokyo, parties=[upc_court]),
        case("Unitary patent", against, Trigger.COURT_ORDER, tokyo, rights=[unitary]),
        case("Our unitary patent", by_us, Trigger.COURT_ORDER, tokyo, rights=[ours]),
        case("Risk in Germany", against, Trigger.RISK_NOTICE, essen),
        case("Our watch in Germany", by_us, Trigger.WATCH, essen),
        case("No fair", against, Trigger.COMPLAINT, None, deadlines=[soon]),
        case("Deadline done", against, Trigger.COMPLAINT, tokyo, deadlines=[soon]),
        case("Overridden", against, Trigger.WARNING_LETTER, essen),
        case("Corrected", against, Trigger.RISK_NOTICE, tokyo),
        case("Deleted", against, Trigger.RISK_NOTICE, essen),
    ]
    cases.add_party(store, ids[1], upc_court)
    cases.remove_party(store, cases.add_party(store, ids[3], upc_court), reason="Wrong case")
    cases.remove_right(store, cases.get_case(store, ids[1]).rights[0].id, reason="Withdrawn")
    cases.add_right(store, ids[3], unitary)
    cases.set_deadline_done(store, cases.get_case(store, ids[6]).deadlines[0].id)
    cases.edit_case(store, ids[7], CaseEdit(level=Level.RED), reason="Bailiff announced")
    cases.edit_case(store, ids[8], CaseEdit(situation="respondent/police_raid/JP"), reason="Raid")
    cases.delete_case(store, ids[9], reason="Recorded twice")
    # Rows levelled by other code: every other case stored as blue / R5.
    with store.write() as session:
        session.execute(
            update(Case)
            .where(Case.id.in_(ids[::2]))
            .values(level=Level.BLUE, computed_level=Level.BLUE, level_reason="R5")
        )

    with store.read() as session:
        by_orm = {
            case.id: (
                facts_of(case),
                sorted(d.due_at for d in case.deadlines if not d.done and d.deleted_at is None),
            )
            for case in session.scalars(select(Case).where(Case.deleted_at.is_(None)))
        }
    plain = {row.id: (facts, sorted(due)) for row, facts, due in levels.open_case_facts(store)}
    assert plain == by_orm
    assert by_orm[ids[3]][0].court_names == () and by_orm[ids[1]][0].their_right_offices == ()
    for when in (now, now + timedelta(hours=6), now + timedelta(days=400)):
        expected = _stale_by_orm(store, when, shipped)
        assert set(levels._stale_case_ids(store, when, shipped)) == expected, when
    expected = _stale_by_orm(store, now, shipped)
    assert len(expected) >= 3 and ids[9] not in expected
    assert cases.refresh_levels(store, now, full=True) == len(expected)
    assert _stale_by_orm(store, now, shipped) == set()
