"""Every kind × language × case of the situation set: the right addressee, fair and side.

For each case, every kind that fits renders in each of its languages; the PDF text names
the case's own fair and never a party (court, customs office, IP desk, opponent) that
belongs only to another case of the set; drafts for counsel say so on their face; kinds that
do not fit are refused. This is the "nothing absurd on the page" check that a machine can do.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from fairdesk import cases
from fairdesk.documents import service, templates
from fairdesk.documents.applicability import NotApplicableError
from fairdesk.documents.placenames import fair_texts
from fairdesk.store import Store

from .conftest import FULL_FIELDS, normalise, party_names, pdftotext

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
DRAFT_WORDS = ("ENTWURF", "DRAFT", "草稿")
# Fields a user types that name a party: left out here so the case's own parties are used.
CASE_FIELDS = {
    "opponent",
    "complainant",
    "products",
    "booth_text",
    "company_name",
    "customs_authority",
    "court_name",
}


def _fields(kind: str, lang: str) -> dict[str, str]:
    info = templates.load(kind, lang)
    wanted = (*info.required, *info.optional)
    return {
        k: v
        for k, v in FULL_FIELDS.items()
        if k in wanted and (k not in CASE_FIELDS or k == "company_name")
    }


SITUATIONS = [
    "hannover_injunction",
    "abmahnung",
    "ces_customs",
    "canton_respondent",
    "canton_complainant",
    "german_customs",
    "upc_watch",
    "ces_copy",
]


@pytest.mark.parametrize("situation", SITUATIONS)
def test_each_fitting_kind_names_this_case_and_no_other(
    demo_store: Store, situation_cases: dict[str, str], tmp_path: Path, situation: str
) -> None:
    case_id = situation_cases[situation]
    detail = cases.get_case(demo_store, case_id)
    own = party_names(demo_store, case_id)
    others = (
        set().union(
            *(party_names(demo_store, c) for n, c in situation_cases.items() if n in SITUATIONS)
        )
        - own
    )
    # Names shared with the case's own parties by substring are not "another case's" names.
    others = {o for o in others if not any(o in mine or mine in o for mine in own)}
    fitting = service.kinds_for_case(demo_store, case_id)
    assert fitting, situation
    for kind, langs in service.kinds(demo_store).items():
        if kind not in fitting:
            with pytest.raises(NotApplicableError):
                service.render_document(
                    demo_store, case_id, kind, langs[0], {}, allow_blanks=True, save=False
                )
            continue
        decl = service.declaration(kind, demo_store)
        for lang in langs:
            result = service.render_document(
                demo_store,
                case_id,
                kind,
                lang,
                _fields(kind, lang),
                allow_blanks=True,
                now=NOW,
                save=False,
            )
            path = tmp_path / f"{kind}-{lang}.pdf"
            path.write_bytes(result.data)
            text = pdftotext(path)
            flat = normalise(text)
            for name in others:
                assert normalise(name) not in flat, (situation, kind, lang, name)
            if detail.fair and kind not in ("hq_notification",):
                # The fair as the document's language names it (广州, not Guangzhou, in Chinese).
                place = fair_texts(detail.fair, lang)
                assert normalise(place.name)[:12] in flat or normalise(place.city) in flat, (
                    situation,
                    kind,
                    lang,
                )
            if decl.draft_for_counsel:
                assert any(w.lower() in text.lower() for w in DRAFT_WORDS), (kind, lang)
