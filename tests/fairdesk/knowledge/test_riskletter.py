"""One click from a destinations or fair row renders the risk reminder letter (风险提示函) for
our exhibitors going there, on a risk-notice case the kind's applicability rules accept."""

from __future__ import annotations

import subprocess

import pytest

from fairdesk import cases
from fairdesk.documents import service
from fairdesk.errors import ValidationError
from fairdesk.knowledge import riskletter, riskmaps
from fairdesk.knowledge.library import load_shipped
from fairdesk.model import Direction, Trigger
from fairdesk.store import Store
from tests.fairdesk.knowledge.test_riskmaps_plan import YEAR_2020, _fill

SIGNER = {"company_name": "Chongqing Example Trade Group (fictional)", "signatory_name": "Li Shi"}


def _text(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def test_country_row_letter_names_our_exhibitors_and_the_sourced_profile(
    demo_store: Store,
) -> None:
    _fill(demo_store)
    m = riskmaps.destinations(demo_store, YEAR_2020)
    germany = next(r for r in m.rows if r.key == "DE")
    done = riskletter.reminder_for_row(demo_store, m, germany, load_shipped(), "en", SIGNER)
    assert done.fair.country == "DE"  # the next German fair in the catalogue
    assert service.why_not(demo_store, done.case_id, "risk_reminder") is None
    assert "Chongqing Example Motorcycle Co., Ltd." in done.exhibitors
    assert "Chongqing Example Electronics Co Ltd" not in done.exhibitors  # went to the US
    text = _text(done.result.data)
    flat = " ".join(text.split())
    assert "Chongqing Example Motorcycle" in flat and done.fair.name in flat
    assert "Germany: preliminary injunction" in flat
    assert "Typical damages: no sourced card in our library" in flat  # a gap, not a guess
    assert done.result.document is not None  # stored as a document of the case
    # A second click reuses the same risk-notice case (a new version, not a new case).
    again = riskletter.reminder_for_row(demo_store, m, germany, load_shipped(), "en", SIGNER)
    assert again.case_id == done.case_id
    assert len(service.list_documents(demo_store, done.case_id)) >= 2


def test_fair_row_letter_in_chinese_and_missing_signer_is_said(demo_store: Store) -> None:
    _fill(demo_store)
    m = riskmaps.destinations(demo_store, YEAR_2020)
    fair_row = m.fairs[0]
    with pytest.raises(service.MissingFieldsError) as missing:
        riskletter.reminder_for_row(demo_store, m, fair_row, load_shipped(), "zh")
    assert "company_name" in str(missing.value)
    done = riskletter.reminder_for_row(demo_store, m, fair_row, load_shipped(), "zh", SIGNER)
    assert done.fair.name.casefold() == fair_row.key
    assert "风险" in _text(done.result.data)


def test_a_country_without_a_catalogue_fair_is_refused_with_a_sentence(demo_store: Store) -> None:
    m = riskmaps.destinations(demo_store)
    row = riskmaps.RiskRow("BR", "Brazil", "巴西", count=1)
    assert not [f for f in cases.list_fairs(demo_store) if f.country == "BR"]
    with pytest.raises(ValidationError, match="No fair in Brazil is in the catalogue"):
        riskletter.reminder_for_row(demo_store, m, row, load_shipped(), "en", SIGNER)


def test_a_country_the_library_has_no_card_for_is_named_in_the_letters_language(
    demo_store: Store,
) -> None:
    """The gap line named the fair's country by its ISO code ("FR") in Chinese and English."""
    paris = next(f for f in cases.list_fairs(demo_store) if f.country == "FR")
    case_id = cases.create_case(
        demo_store,
        cases.CaseInput("出展提醒", Direction.BY_US, Trigger.RISK_NOTICE, fair_id=paris.id),
    )
    zh = service.render_document(
        demo_store, case_id, "risk_reminder", "zh", SIGNER, allow_blanks=True
    )
    en = service.render_document(
        demo_store, case_id, "risk_reminder", "en", SIGNER, allow_blanks=True
    )
    zh_text, en_text = " ".join(_text(zh.data).split()), " ".join(_text(en.data).split())
    assert "没有 法国 的展会程序资料" in zh_text or "没有法国的展会程序资料" in zh_text
    assert "no data on fair procedures in France" in en_text
    assert " FR " not in f" {zh_text} " and " FR:" not in en_text
