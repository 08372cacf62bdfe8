"""People and rights on a case: roles, file numbers, edits and removals as field-level
outbox mutations, and bad input that is refused (or warned about) without saving half."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from fairdesk import cases
from fairdesk.cases import CaseInput, PartyInput, RightInput
from fairdesk.errors import ValidationError
from fairdesk.model import Direction, OutboxEntry, Party, PartyRole, RightKind, Trigger
from fairdesk.rights import check_file_number, number_warning
from fairdesk.store import Store, open_store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(tmp_path / "data")


def _case(store: Store) -> str:
    return cases.create_case(
        store,
        CaseInput(
            "Injunction, booth C12",
            Direction.AGAINST_US,
            Trigger.COURT_ORDER,
            parties=[
                PartyInput(PartyRole.COMPLAINANT, "Dr. Beispiel", "Muster GmbH"),
                PartyInput(PartyRole.COURT, "Landgericht Düsseldorf", reference="4a O 12/26"),
                PartyInput(PartyRole.BAILIFF, "K. Weber"),
            ],
            rights=[RightInput(RightKind.INVENTION_PATENT, "EP 3 000 001 B1", "EP")],
        ),
    )


def _outbox(store: Store) -> list[tuple[str, str, int | None, dict[str, object]]]:
    with store.read() as session:
        return [
            (e.entity, e.op, e.base_version, dict(e.changes))
            for e in session.scalars(select(OutboxEntry).order_by(OutboxEntry.mutation_id))
        ]


def test_every_legal_role_is_kept_apart(store: Store) -> None:
    case_id = _case(store)
    roles = {p.role: p for p in cases.get_case(store, case_id).parties}
    assert roles[PartyRole.COURT].reference == "4a O 12/26"
    assert roles[PartyRole.BAILIFF].name == "K. Weber"
    assert roles[PartyRole.COMPLAINANT].organisation == "Muster GmbH"
    for role in (PartyRole.US, PartyRole.POLICE, PartyRole.NOTARY, PartyRole.CUSTOMS):
        cases.add_party(store, case_id, PartyInput(role, f"someone as {role.value}"))
    got = {p.role for p in cases.get_case(store, case_id).parties}
    assert {PartyRole.US, PartyRole.POLICE, PartyRole.NOTARY, PartyRole.CUSTOMS} <= got


def test_edit_and_remove_are_field_level_mutations_with_history(store: Store) -> None:
    case_id = _case(store)
    detail = cases.get_case(store, case_id)
    court = next(p for p in detail.parties if p.role is PartyRole.COURT)
    bailiff = next(p for p in detail.parties if p.role is PartyRole.BAILIFF)
    right = detail.rights[0]
    before = len(_outbox(store))
    cases.edit_party(store, court.id, {"reference": "4a O 13/26", "name": court.name})
    cases.edit_right(store, right.id, {"asserted_by_us": True, "right_status": "granted"})
    cases.remove_party(store, bailiff.id, reason="entered twice")
    new = [e for e in _outbox(store)[before:] if e[0] != "timeline_event"]
    assert new == [
        ("party", "update", 0, {"reference": "4a O 13/26"}),  # only what changed
        ("ip_right", "update", 0, {"right_status": "granted", "asserted_by_us": True}),
        ("party", "delete", 0, {"reason": "entered twice"}),
    ]
    detail = cases.get_case(store, case_id)
    assert bailiff.id not in {p.id for p in detail.parties}
    assert detail.rights[0].asserted_by_us is True
    kinds = [t.kind for t in detail.timeline]
    assert {"party_edited", "right_edited", "party_removed"} <= set(kinds)
    with store.read() as session:  # a tombstone, never erased
        assert session.get(Party, bailiff.id) is not None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "   "}, "Give a name for the court or authority"),
        ({"reference": "4a O 12/26 <b>"}, "characters a court or authority file number"),
        ({"reference": "12/26 🙂"}, "characters a court or authority file number"),
        ({"role": "judge"}, "Unknown role judge"),
        ({"colour": "red"}, "cannot be edited: colour"),
    ],
)
def test_bad_party_edit_says_why_and_saves_nothing(
    store: Store, changes: dict[str, object], message: str
) -> None:
    case_id = _case(store)
    court = next(p for p in cases.get_case(store, case_id).parties if p.role is PartyRole.COURT)
    before = (cases.get_case(store, case_id).parties, len(_outbox(store)))
    with pytest.raises(ValidationError, match=message):
        cases.edit_party(store, court.id, changes)
    assert (cases.get_case(store, case_id).parties, len(_outbox(store))) == before


def test_a_new_case_with_a_bad_party_saves_nothing(store: Store) -> None:
    for party in (
        PartyInput(PartyRole.WITNESS, ""),
        PartyInput(PartyRole.COURT, "LG Hamburg", reference="312 O 1/26; DROP TABLE"),
    ):
        with pytest.raises(ValidationError):
            cases.create_case(
                store,
                CaseInput("x", Direction.AGAINST_US, Trigger.COURT_ORDER, parties=[party]),
            )
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(OutboxEntry)) == 0
    assert cases.count_cases(store) == 0


@pytest.mark.parametrize(
    "number",
    [
        "4a O 12/26",
        "312 O 123/26",
        "I-2 U 45/25",
        "（2026）京73民初123号",
        "(2025) Hu 73 Zhi Min Chu 1",
    ],
)
def test_real_file_numbers_are_accepted(number: str) -> None:
    assert check_file_number(f"  {number} ") == number


def test_right_number_off_format_is_a_warning_and_still_saved(store: Store) -> None:
    assert number_warning(RightKind.INVENTION_PATENT, "EP", "EP 3 000 001 B1") == ""
    assert number_warning(RightKind.INVENTION_PATENT, "CN", "ZL 2020 1 0123456.7") == ""
    assert number_warning(RightKind.DESIGN, "US", "D987,654") == ""
    assert number_warning(RightKind.TRADEMARK, "EM", "018123456") == ""
    assert number_warning(RightKind.INVENTION_PATENT, "XX", "whatever") == ""  # no format known
    warning = number_warning(RightKind.INVENTION_PATENT, "EP", "ZL 2020 1 0123456.7")
    assert "does not look like a EP number" in warning and "EP 3 000 001 B1" in warning
    case_id = _case(store)
    bad = RightInput(RightKind.UTILITY_MODEL, "12345", "DE")
    assert cases.right_warning(bad)
    right_id = cases.add_right(store, case_id, bad)
    assert right_id in {r.id for r in cases.get_case(store, case_id).rights}


def test_bad_right_edit_saves_nothing(store: Store) -> None:
    from datetime import date

    case_id = _case(store)
    right = cases.get_case(store, case_id).rights[0]
    with pytest.raises(ValidationError, match="expire before it starts"):
        cases.edit_right(
            store,
            right.id,
            {"number": "EP 1", "valid_from": date(2026, 1, 2), "valid_until": date(2025, 1, 1)},
        )
    with pytest.raises(ValidationError, match="Unknown right kind"):
        cases.edit_right(store, right.id, {"kind": "patent-ish"})
    assert cases.get_case(store, case_id).rights[0] == right


def test_documents_read_each_role_where_it_belongs(store: Store) -> None:
    from fairdesk.documents.context import prepare

    case_id = _case(store)
    values = prepare(store, case_id, "non_infringement", "de", allow_blanks=True).values
    assert values["complainant"] == "Dr. Beispiel (Muster GmbH)"
    assert values["court"] == "Landgericht Düsseldorf"
    assert values["court_file_number"] == "4a O 12/26"
    assert values["bailiff"] == "K. Weber"
    roles = {p["name"]: p["role"] for p in values["parties"]}
    assert (
        roles["K. Weber"] == "Gerichtsvollzieher"
    )  # the document's own label, not "Antragsteller"
