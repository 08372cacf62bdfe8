"""Levels are computed with the data folder's library, passed in: after a library update the
full refresh re-levels every case (and the timer's quick refresh leaves them alone)."""

from __future__ import annotations

import copy

from fairdesk import cases
from fairdesk.cases import CaseInput, FairInput
from fairdesk.knowledge import library
from fairdesk.knowledge.levels import assess_case
from fairdesk.model import Direction, Level, Trigger
from fairdesk.situation import CaseFacts
from fairdesk.store import Store

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
