"""Catalogue values (fair name, city, venue, IP desk) are printed in the document's language.

A Chinese complaint to the Canton Fair printed "Canton Fair (China Import and Export
Fair)" and "Guangzhou" in Chinese text and left the addressee blank. The addressee is the
organiser's IP desk from the catalogue, and every kind in every language is checked for an
English catalogue value inside a Chinese document and a Chinese one inside a German or
English document (pdftotext of the real PDF).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from fairdesk import cases
from fairdesk.cases import CaseInput, PartyInput, RightInput
from fairdesk.documents import service, templates
from fairdesk.documents.placenames import fair_texts
from fairdesk.fairs import catalogue_entry
from fairdesk.model import Direction, PartyRole, RightKind, Trigger
from fairdesk.store import Store

from .conftest import FULL_FIELDS, normalise, pdftotext

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
COMPLAINT_FIELDS = {
    "company_name": "重庆示例机电有限公司",
    "infringement_facts": "展位上展出了我方外观设计的仿制品。",
    "signatory_name": "张示例",
}


def _canton_complaint_without_desk(store: Store) -> str:
    """Our complaint at the Canton Fair; the case does not name the desk (the common case)."""
    fair = next(f.id for f in cases.list_fairs(store) if f.catalogue_key == "canton-fair")
    return cases.create_case(
        store,
        CaseInput(
            "我方投诉：仿冒智能锁",
            Direction.BY_US,
            Trigger.COMPLAINT,
            fair,
            hall="3.1",
            booth="A05",
            products="仿冒智能锁（示例）",
            parties=[PartyInput(PartyRole.RESPONDENT, "示例仿冒锁具厂（虚构）")],
            rights=[
                RightInput(
                    RightKind.DESIGN, "ZL 2022 3 0000002.3", "CN", "我方", asserted_by_us=True
                )
            ],
        ),
    )


def _pdf_text(store: Store, case_id: str, kind: str, lang: str, fields: dict[str, str]) -> str:
    result = service.render_document(
        store, case_id, kind, lang, fields, allow_blanks=True, now=NOW, save=False
    )
    path = Path(store.data_dir) / f"{kind}-{lang}.pdf"
    path.write_bytes(result.data)
    return normalise(pdftotext(path))


def test_chinese_canton_fair_complaint_is_addressed_to_the_desk_in_chinese(
    demo_store: Store,
) -> None:
    case_id = _canton_complaint_without_desk(demo_store)
    zh = _pdf_text(demo_store, case_id, "desk_complaint", "zh", COMPLAINT_FIELDS)
    assert "致中国进出口商品交易会知识产权和贸易纠纷投诉接待站" in zh
    assert "中国进出口商品交易会（广交会）" in zh and "广州，" in zh
    for english in ("Canton", "Guangzhou", "ComplaintStation", "ChinaImport"):
        assert english not in zh, english
    en = _pdf_text(demo_store, case_id, "desk_complaint", "en", COMPLAINT_FIELDS)
    assert "ToComplaintStationforIPandTradeDisputes" in en and "Guangzhou," in en
    for chinese in ("广交会", "广州", "投诉接待站"):
        assert chinese not in en, chinese


def test_a_fair_without_a_known_desk_leaves_a_marked_blank_not_a_guess(
    demo_store: Store,
) -> None:
    hannover = next(f for f in cases.list_fairs(demo_store) if f.catalogue_key == "hannover-messe")
    assert fair_texts(hannover, "zh").desk == "" and fair_texts(hannover, "zh").name == (
        "汉诺威工业博览会"
    )
    assert fair_texts(hannover, "de").city == "Hannover"


def test_an_edited_city_is_kept_as_the_user_typed_it(demo_store: Store) -> None:
    from dataclasses import replace

    canton = next(f for f in cases.list_fairs(demo_store) if f.catalogue_key == "canton-fair")
    assert fair_texts(canton, "zh").city == "广州"
    assert fair_texts(replace(canton, city="Foshan"), "zh").city == "Foshan"
    munich = next(f for f in cases.list_fairs(demo_store) if f.catalogue_key == "bauma")
    assert fair_texts(munich, "de").city == "München" and fair_texts(munich, "en").city == "Munich"


SWEEP = ["canton_complainant", "canton_respondent", "hannover_injunction", "ces_customs"]


@pytest.mark.parametrize("situation", SWEEP)
def test_no_catalogue_value_in_the_other_language_in_any_kind(
    demo_store: Store, situation_cases: dict[str, str], situation: str
) -> None:
    case_id = situation_cases[situation]
    detail = cases.get_case(demo_store, case_id)
    assert detail.fair is not None
    entry = catalogue_entry(detail.fair.catalogue_key)
    assert entry is not None
    desk = (entry.get("ip_desk") or {}).get("addressee") or {}
    english = {entry["name"]["en"], entry["venue"]}
    if entry["city"]["en"] != entry["city"]["zh"]:
        english.add(entry["city"]["en"])
    english |= {desk["en"]} if desk else set()
    chinese = {entry["name"]["zh"], entry["city"]["zh"], *([desk["zh"]] if desk else [])}
    # What the user typed or the case holds is theirs to word; only catalogue values count.
    user = {
        *(n for p in detail.parties for n in (p.name, p.organisation) if n),
        detail.case.title,
        detail.products,
        detail.summary,
        *FULL_FIELDS.values(),
        *(d.what for d in detail.deadlines),
    }
    user_norm = sorted((normalise(u) for u in user if u), key=len, reverse=True)
    for kind, langs in service.kinds_for_case(demo_store, case_id).items():
        for lang in langs:
            info = templates.load(kind, lang)
            fields = {k: v for k, v in FULL_FIELDS.items() if k in (*info.required, *info.optional)}
            fields = {k: v for k, v in fields.items() if k not in ("opponent", "court_name")}
            text = _pdf_text(demo_store, case_id, kind, lang, fields)
            for u in user_norm:
                text = text.replace(u, "")
            wrong = english if lang == "zh" else chinese
            for value in wrong:
                assert normalise(value) not in text, (situation, kind, lang, value)
