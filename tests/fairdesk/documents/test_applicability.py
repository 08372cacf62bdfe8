"""Each kind only where it fits; our notes on a cover sheet, never in what is filed or sent.

Checked on real PDFs (pdftotext) for a small situation set: the Hannover injunction, the
Abmahnung, a CES customs detention, the Canton Fair complaint with us as respondent and as
complainant, and a UPC-relevant risk with a European patent and with a German utility model.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from fairdesk.cli import main
from fairdesk.documents import blocks, service, templates
from fairdesk.documents.applicability import NotApplicableError
from fairdesk.i18n import set_language
from fairdesk.knowledge.guidance import guidance_for_case
from fairdesk.store import Store

from .conftest import FULL_FIELDS, normalise, pdftotext

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def _fields(kind: str, lang: str) -> dict[str, str]:
    info = templates.load(kind, lang)
    return {k: v for k, v in FULL_FIELDS.items() if k in (*info.required, *info.optional)}


def _pdf_text(result: service.GenerationResult, path: Path, cover: bool = False) -> str:
    path.write_bytes(result.cover if cover else result.data)
    return pdftotext(path)


@pytest.mark.parametrize(
    "situation, kind, says",
    [
        ("hannover_injunction", "protective_letter_spain", ["ES", "DE"]),
        ("hannover_injunction", "warning_letter", ["respondent"]),
        ("hannover_injunction", "panel_response", ["ex-parte court order"]),
        ("upc_utility_model", "protective_letter_upc", ["utility model", "invention patent"]),
        ("canton_respondent", "customs_request", ["respondent"]),
        # Our complaint at the fair's desk is not a customs application (QA walk, issue 13).
        ("canton_complainant", "customs_request", ["complaint at the fair"]),
        ("canton_complainant", "panel_response", ["complainant"]),
        ("ces_customs", "warning_letter", ["respondent"]),
    ],
)
def test_a_kind_that_does_not_fit_is_refused_with_one_sentence(
    demo_store: Store, situation_cases: dict[str, str], situation: str, kind: str, says: list[str]
) -> None:
    case_id = situation_cases[situation]
    with pytest.raises(NotApplicableError) as info:
        service.render_document(
            demo_store, case_id, kind, "en", _fields(kind, "en"), allow_blanks=True
        )
    message = str(info.value)
    assert "\n" not in message and message.endswith(".")
    for word in says:
        assert word in message, message
    assert service.list_documents(demo_store, case_id) == []  # nothing stored
    assert kind not in service.kinds_for_case(demo_store, case_id)
    assert kind not in guidance_for_case(demo_store, case_id, now=NOW).documents


def test_upc_letter_fits_a_european_patent_but_not_a_national_right(
    demo_store: Store, situation_cases: dict[str, str]
) -> None:
    assert (
        service.why_not(demo_store, situation_cases["upc_watch"], "protective_letter_upc") is None
    )
    assert "protective_letter_upc" in service.kinds_for_case(
        demo_store, situation_cases["upc_watch"]
    )
    assert service.why_not(
        demo_store, situation_cases["upc_utility_model"], "protective_letter_upc"
    )


@pytest.mark.parametrize(
    "situation, expected",
    [
        ("hannover_injunction", {"non_infringement", "evidence_report", "hq_notification"}),
        ("abmahnung", {"protective_letter_germany", "non_infringement"}),
        ("canton_respondent", {"panel_response", "non_infringement", "evidence_report"}),
        ("canton_complainant", {"evidence_report", "desk_complaint"}),
        ("ces_copy", {"ces_notice", "desk_complaint", "evidence_record"}),
        ("hannover_injunction", {"widerspruch", "phrase_card_de", "power_of_attorney"}),
        ("abmahnung", {"abmahnung_reply"}),
        ("ces_customs", {"us_cbp_response", "phrase_card_us"}),
        ("german_customs", {"customs_holder_response_eu"}),
    ],
)
def test_offered_kinds_fit_the_situation(
    demo_store: Store, situation_cases: dict[str, str], situation: str, expected: set[str]
) -> None:
    offered = set(service.kinds_for_case(demo_store, situation_cases[situation]))
    assert expected <= offered
    # Nothing for the wrong country or the wrong side.
    assert "protective_letter_spain" not in offered
    if situation.startswith("canton"):
        assert not {k for k in offered if k.startswith("protective_letter")}
    assert "warning_letter" not in offered  # the German model, only for a copy in Germany
    guided = guidance_for_case(demo_store, situation_cases[situation], now=NOW).documents
    assert set(guided) <= offered


def test_cli_refusal_is_one_sentence_and_exit_1(
    demo_store: Store,
    situation_cases: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "x.pdf"
    code = main(
        [
            "doc",
            "render",
            situation_cases["hannover_injunction"],
            "--data-dir",
            str(demo_store.data_dir),
            "--kind",
            "protective_letter_spain",
            "--lang",
            "en",
            "--allow-blanks",
            "--out",
            str(out),
        ]
    )
    # (Other lines on stderr are the data folder's own notices, e.g. "not encrypted".)
    err = [line for line in capsys.readouterr().err.splitlines() if "Protective" in line]
    assert code == 1 and not out.exists()
    assert len(err) == 1 and "ES" in err[0] and "DE" in err[0]
    assert (
        main(
            [
                "--data-dir",
                str(demo_store.data_dir),
                "doc",
                "kinds",
                "--json",
                "--case",
                situation_cases["hannover_injunction"],
            ]
        )
        == 0
    )
    rows = {r["kind"]: r for r in json.loads(capsys.readouterr().out)}
    assert "protective_letter_spain" not in rows and "non_infringement" in rows
    assert rows["non_infringement"]["applies"]["signer"] == "company"
    assert "comparison_rows" in rows["non_infringement"]["fields"]["required"]


def test_statement_in_reply_names_its_own_deadline_and_the_desk(
    demo_store: Store, situation_cases: dict[str, str], tmp_path: Path
) -> None:
    case_id = situation_cases["canton_respondent"]
    result = service.render_document(
        demo_store, case_id, "panel_response", "zh", _fields("panel_response", "zh"), now=NOW
    )
    text = normalise(_pdf_text(result, tmp_path / "p.pdf"))
    assert normalise("投诉站 11 号馆分站") in text  # the case's own desk
    assert "答辩期限" in text  # its own (24 h statement) deadline is named
    assert normalise("转交投诉人") not in text  # never volunteers our evidence


@pytest.mark.parametrize("lang", ["de", "en", "zh"])
@pytest.mark.parametrize(
    "situation, kind",
    [
        ("abmahnung", "protective_letter_germany"),
        ("upc_watch", "protective_letter_upc"),
        ("hannover_copy", "warning_letter"),
    ],
)
def test_cover_sheet_text_never_appears_in_the_outgoing_document(
    demo_store: Store,
    situation_cases: dict[str, str],
    tmp_path: Path,
    lang: str,
    situation: str,
    kind: str,
) -> None:
    case_id = situation_cases[situation]
    result = service.render_document(
        demo_store, case_id, kind, lang, _fields(kind, lang), allow_blanks=True, now=NOW
    )
    assert result.cover, "the template has notes for our side: a cover sheet is produced"
    assert result.cover_document is not None and result.cover_document.kind == f"{kind}.cover"
    outgoing = normalise(_pdf_text(result, tmp_path / "out.pdf"))
    cover = normalise(_pdf_text(result, tmp_path / "cover.pdf", cover=True))
    info = templates.load(kind, lang)
    from fairdesk.documents.context import prepare
    from fairdesk.documents.render import build_spec

    spec = build_spec(
        prepare(demo_store, case_id, kind, lang, _fields(kind, lang), allow_blanks=True, now=NOW)
    )
    assert spec.cover
    notes = [b for b in spec.cover if b.kind in ("note", "paragraph", "heading")]
    for b in notes:
        piece = normalise(blocks.plain(b.text))[:40]
        assert piece in cover, piece
        assert piece not in outgoing, (kind, lang, piece)
    for word in ("Hamburger", "汉堡", "Geltungsdauer", "有效期", "Validity"):
        assert word not in outgoing, word
    assert normalise(info.jurisdiction_notes)[:12] in cover  # the background is for us


def test_protective_letter_signed_by_counsel_alone_with_sworn_declaration_and_costs(
    demo_store: Store, situation_cases: dict[str, str], tmp_path: Path
) -> None:
    fields = _fields("protective_letter_germany", "de") | {
        "signatory_name": "张示例",
        "affiant": "Li Beispiel, Geschäftsführer",
    }
    fields = {k: v for k, v in fields.items() if k != "signatory_name"}
    result = service.render_document(
        demo_store,
        situation_cases["abmahnung"],
        "protective_letter_germany",
        "de",
        fields,
        now=NOW,
    )
    text = pdftotext(_write(tmp_path / "s.pdf", result.data))
    flat = normalise(text)
    assert normalise("eidesstattliche Versicherung") in flat and "AnlageAG1" in flat
    assert normalise("Kosten dieser Schutzschrift") in flat
    assert normalise(FULL_FIELDS["representative"]) in flat
    assert "张示例" not in text  # no company officer fused into counsel's signature block
    # The signature line is above the name: the name's line comes after the place/date line.
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    name_line = max(i for i, line in enumerate(lines) if "Erika Beispiel" in line)
    assert "Verfahrensbevollmächtigte" in " ".join(lines[name_line : name_line + 3])


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_statement_never_calls_another_deadline_its_own(
    demo_store: Store, situation_cases: dict[str, str], tmp_path: Path
) -> None:
    """An earlier, unrelated deadline (removing an exhibit) is not "the deadline for this
    statement"; with no statement deadline on the case, no deadline row is printed at all."""
    from datetime import timedelta

    from fairdesk import cases
    from fairdesk.cases import DeadlineInput
    from fairdesk.model import DeadlineRule
    from fairdesk.timeutil import utcnow

    case_id = situation_cases["canton_respondent"]
    soon = utcnow() + timedelta(hours=2)
    cases.add_deadline(
        demo_store,
        case_id,
        DeadlineInput("Remove JX-200 from the shelf", DeadlineRule.FIXED, due_at=soon),
    )
    fields = _fields("panel_response", "en")
    result = service.render_document(
        demo_store, case_id, "panel_response", "en", fields, save=False
    )
    text = pdftotext(_write(tmp_path / "a.pdf", result.data))
    assert "Deadline for this statement" in text
    statement_due = cases.get_case(demo_store, case_id).deadlines
    own = next(d for d in statement_due if "答辩" in d.what)
    other = next(d for d in statement_due if "Remove" in d.what)
    local_other = other.due_at.astimezone(ZoneInfo("Asia/Shanghai"))
    local_own = own.due_at.astimezone(ZoneInfo("Asia/Shanghai"))
    row = text.split("Deadline for this statement")[1].split("Date of this statement")[0]
    assert f"{local_own:%H:%M}" in row
    assert f"{local_other:%H:%M}" not in row
    cases.set_deadline_done(demo_store, own.id)
    result = service.render_document(
        demo_store, case_id, "panel_response", "en", fields, save=False
    )
    assert "Deadline for this statement" not in pdftotext(_write(tmp_path / "b.pdf", result.data))


def test_an_order_from_the_upc_gets_no_german_national_court_objection(
    demo_store: Store, situation_cases: dict[str, str]
) -> None:
    """Served at Hannover Messe by the UPC's local division: the situation's jurisdiction is
    the UPC, so the Widerspruch (a German national-court remedy) is refused, while the
    German-language phrase card (the fair is in Germany) is still offered."""
    from fairdesk import cases
    from fairdesk.cases import CaseInput, PartyInput, RightInput
    from fairdesk.model import Direction, PartyRole, RightKind, Trigger

    fair = next(f.id for f in cases.list_fairs(demo_store) if f.name.startswith("Hannover"))
    case_id = cases.create_case(
        demo_store,
        CaseInput(
            "UPC order served at the booth",
            Direction.AGAINST_US,
            Trigger.COURT_ORDER,
            fair,
            parties=[
                PartyInput(PartyRole.COURT, "UPC Local Division Düsseldorf"),
                PartyInput(PartyRole.COMPLAINANT, "Beispiel Hydraulik GmbH (fictional)"),
            ],
            rights=[RightInput(RightKind.INVENTION_PATENT, "EP 3 000 003 B1 (example)", "EP")],
        ),
    )
    reason = service.why_not(demo_store, case_id, "widerspruch")
    assert reason is not None and "UPC" in reason and "\n" not in reason
    offered = service.kinds_for_case(demo_store, case_id)
    assert "phrase_card_de" in offered and "widerspruch" not in offered
    # A Widerspruch for the ordinary German injunction is still offered.
    assert "widerspruch" in service.kinds_for_case(
        demo_store, situation_cases["hannover_injunction"]
    )


def test_declarations_follow_the_rules_table(demo_store: Store) -> None:
    """Reviewed against resources/rules/situations.csv: a bailiff's seizure in Germany is made
    under an injunction, answered by a Widerspruch (row respondent/bailiff_seizure/DE, [91]);
    a protective letter is for a respondent before any order, never for a copy we spotted."""
    from fairdesk.documents.applicability import CaseFacts, refusal
    from fairdesk.situation import Event, OurRole, Situation

    def fits(kind: str, role: OurRole, event: Event, where: str) -> bool:
        facts = CaseFacts(Situation(role, event, where), where, ())
        return refusal(service.declaration(kind, demo_store), facts, kind) is None

    assert fits("widerspruch", OurRole.RESPONDENT, Event.BAILIFF_SEIZURE, "DE")
    assert not fits("widerspruch", OurRole.RESPONDENT, Event.WARNING_LETTER, "DE")
    for kind in ("protective_letter_germany", "protective_letter_spain"):
        declared = service.declaration(kind, demo_store).events
        assert "copy_spotted" not in declared and "warning_letter" in declared
    assert service.declaration("customs_request", demo_store).events == ("our_customs_application",)


def test_blank_fields_are_named_in_the_readers_language(
    demo_store: Store, situation_cases: dict[str, str], tmp_path: Path
) -> None:
    """The warning names blanks in the UI's language, the cover sheet in the document's."""
    set_language("zh_CN")
    try:
        result = service.render_document(
            demo_store,
            situation_cases["hannover_copy"],
            "warning_letter",
            "de",
            {},
            allow_blanks=True,
            now=NOW,
        )
    finally:
        set_language("en")
    assert result.document is not None
    assert "company_name" in result.document.blanks  # the record keeps the field's name
    warning = next(w for w in result.warnings if blocks.blank_mark("de") in w)
    assert "我方公司全称" in warning
    assert "company_name" not in warning
    cover = normalise(_pdf_text(result, tmp_path / "cover.pdf", cover=True))
    assert normalise("Unser Unternehmen (vollständige Firma)") in cover
    assert "company_name" not in cover
    assert "stephens-scown.co.uk" in cover  # the sources by address, not by number alone


def test_every_template_cites_its_sources_by_address(demo_store: Store) -> None:
    """A source a kind cites by the library's number carries that source's address, so the
    cover sheet names something a lawyer can open (never a file of this repository)."""
    shipped = json.loads(
        (Path(templates.__file__).parents[2] / "resources/reference/sources.json").read_text()
    )
    urls = {s["ref"]: s["url"] for s in shipped["sources"]}
    # A page on a test domain (the library flags it) is never cited as if it were the live one.
    sandbox = {s["ref"] for s in shipped["sources"] if "sandbox" in s["title"]}
    assert sandbox == {42}
    for kind in service.kinds(demo_store):
        for item in service.declaration(kind, demo_store).sources:
            assert "resources/" not in item, (kind, item)
            numbered = re.match(r"\[(\d+)\] (\S+)", item)
            if numbered and numbered.group(2).startswith("http"):
                assert urls[int(numbered.group(1))] == numbered.group(2), (kind, item)
                if int(numbered.group(1)) in sandbox:
                    assert "sandbox (test) domain, not the live" in item, (kind, item)
