"""The UPC protective letter: only European patents are in scope, offices written out.

The letter printed the right's bare office token and its declaration accepted "EU" (the
EUIPO, which grants no patents; the UPC hears only European patents, with or without
unitary effect). The right in issue now comes from the case as a lawyer writes it
("… – European Patent Office (EP)") and a right from the EUIPO is refused with one sentence.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from fairdesk import cases
from fairdesk.cases import CaseInput, PartyInput, RightInput
from fairdesk.documents import service, templates
from fairdesk.documents.applicability import NotApplicableError
from fairdesk.model import Direction, PartyRole, RightKind, Trigger
from fairdesk.store import Store

from .conftest import FULL_FIELDS, normalise, pdftotext

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def _case(store: Store, number: str, office: str) -> str:
    fair = next(f.id for f in cases.list_fairs(store) if f.catalogue_key == "hannover-messe")
    return cases.create_case(
        store,
        CaseInput(
            "Risk: patent holder announced action at Hannover Messe",
            Direction.AGAINST_US,
            Trigger.RISK_NOTICE,
            fair,
            parties=[PartyInput(PartyRole.COMPLAINANT, "Beispiel Hydraulik GmbH (fictional)")],
            rights=[RightInput(RightKind.INVENTION_PATENT, number, office)],
        ),
    )


@pytest.mark.parametrize(
    "lang, office", [("en", "European Patent Office (EP)"), ("de", "Europäisches Patentamt (EP)"),
                     ("zh", "欧洲专利局（EP）")],
)  # fmt: skip
def test_the_patent_in_issue_comes_from_the_case_with_its_office_written_out(
    demo_store: Store, tmp_path: Path, lang: str, office: str
) -> None:
    case_id = _case(demo_store, "EP 3 000 009 B1", "EP")
    info = templates.load("protective_letter_upc", lang)
    fields = {
        k: v
        for k, v in FULL_FIELDS.items()
        if k in (*info.required, *info.optional) and k != "right_in_issue"
    }
    result = service.render_document(
        demo_store, case_id, "protective_letter_upc", lang, fields, now=NOW, save=False
    )
    path = tmp_path / "upc.pdf"
    path.write_bytes(result.data)
    text = normalise(pdftotext(path))
    assert normalise(f"EP 3 000 009 B1 – {office}") in text


@pytest.mark.parametrize("office", ["EU", "EUIPO", "DE"])
def test_a_right_not_granted_by_the_epo_is_refused_for_the_upc(
    demo_store: Store, office: str
) -> None:
    case_id = _case(demo_store, "Right 0001", office)
    assert "protective_letter_upc" not in service.kinds_for_case(demo_store, case_id)
    reason = service.why_not(demo_store, case_id, "protective_letter_upc")
    assert reason and "EP / UP" in reason and "EU /" not in reason
    with pytest.raises(NotApplicableError):
        service.render_document(
            demo_store, case_id, "protective_letter_upc", "en", {}, allow_blanks=True, save=False
        )
