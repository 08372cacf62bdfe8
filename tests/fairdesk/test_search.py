"""Full-text search: Chinese words without spaces, prefixes while typing, hostile queries."""

from __future__ import annotations

import pytest

from fairdesk import cases
from fairdesk.cases import CaseFilter, CaseInput, PartyInput, RightInput
from fairdesk.model import Direction, PartyRole, RightKind, Trigger
from fairdesk.search import build_match, index_text
from fairdesk.store import Store


@pytest.fixture
def three_cases(store: Store) -> dict[str, str]:
    ids = {
        "zh": cases.create_case(
            store,
            CaseInput(
                "外观设计专利投诉",
                Direction.AGAINST_US,
                Trigger.COMPLAINT,
                summary="示例家电有限公司称我方榨汁机侵权",
            ),
        ),
        "de": cases.create_case(
            store,
            CaseInput(
                "Abmahnung Arbeitsleuchte",
                Direction.AGAINST_US,
                Trigger.WARNING_LETTER,
                parties=[PartyInput(PartyRole.COMPLAINANT, "Müller Lichttechnik GmbH")],
                rights=[RightInput(RightKind.TRADEMARK, "DE 30 2020 000 001", "DE")],
            ),
        ),
        "en": cases.create_case(
            store, CaseInput("Copy of smart lock", Direction.BY_US, Trigger.COPY_SPOTTED)
        ),
    }
    cases.add_note(store, ids["en"], "Witness 李明 saw the brochure")
    return ids


def _found(store: Store, text: str) -> set[str]:
    return {row.id for row in cases.list_cases(store, CaseFilter(search=text))}


def test_two_character_chinese_word_inside_a_run(store: Store, three_cases: dict[str, str]) -> None:
    assert _found(store, "专利") == {three_cases["zh"]}
    assert _found(store, "家电") == {three_cases["zh"]}
    assert _found(store, "利投") == {three_cases["zh"]}  # substring across words still matches
    assert _found(store, "专投") == set()  # not adjacent: no match


def test_parties_rights_and_notes_are_searchable(store: Store, three_cases: dict[str, str]) -> None:
    assert _found(store, "müller") == {three_cases["de"]}
    assert _found(store, "Muller") == {three_cases["de"]}  # diacritics folded
    assert _found(store, "30 2020") == {three_cases["de"]}
    assert _found(store, "李明") == {three_cases["en"]}


def test_prefix_matches_while_typing(store: Store, three_cases: dict[str, str]) -> None:
    assert _found(store, "Abm") == {three_cases["de"]}
    assert _found(store, "smart lo") == {three_cases["en"]}


@pytest.mark.parametrize(
    "query",
    ['"', "AND OR NOT", "*", "(((", "'; DROP TABLE case_file; --", "NEAR(", "x" * 5000, "\x00"],
)
def test_hostile_queries_never_fail(store: Store, three_cases: dict[str, str], query: str) -> None:
    cases.list_cases(store, CaseFilter(search=query))  # must not raise
    assert cases.count_cases(store) == 3


def test_punctuation_only_query_finds_nothing() -> None:
    assert build_match("!!! ,,,") is None


def test_index_text_separates_cjk_characters() -> None:
    assert index_text("专利ABC").split() == ["专", "利", "ABC"]


def test_edits_update_the_index(store: Store, three_cases: dict[str, str]) -> None:
    cases.edit_case(store, three_cases["en"], cases.CaseEdit(title="Kopie eines Türschlosses"))
    assert _found(store, "Türschloss") == {three_cases["en"]}
    assert _found(store, "smart") == set()
