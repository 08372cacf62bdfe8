"""Fixtures for document tests: a demo store, a Chinese and a German case, real tool runners."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from fairdesk import cases
from fairdesk.store import Store

FULL_FIELDS = {
    "company_name": "重庆示例机电有限公司 (Größe & Söhne)",
    "allegations": "JX-200 copies the registered design | Denied: 专利 claims a round body, ours is square\n"
    "The exhibit is offered for sale | Denied: display only, no sales at the fair",
    "defence_grounds": "Different overall impression: äöüß ÄÖÜ.\n\nPrior publication in 2021 (catalogue).",
    "signatory_name": "张示例",
    "comparison_rows": "Round body | Square body | shape differs\nTwo buttons | One dial | controls differ",
    "infringement_facts": "Muster GmbH exhibits a copy of SL-5 at the booth.",
    "cease_acts": "offering and exhibiting the lock shown in Annex 1",
    "response_deadline": "25.11.2026, 18:00",
    "penalty_amount": "EUR 10.000",
    "opponent": "Muster Solar GmbH (fictional)",
    "decisions_needed": "Approve the statement by 16:00\nAppoint German counsel",
    "expected_opponents": "Beispiel Hydraulik GmbH, Hannover",
    "subject_matter": "Hydraulic pump HP-40",
    "facts": "We have sold HP-40 since 2019.",
    "legal_arguments": "No infringement; the patent is likely invalid.",
    "representative": "Erika Beispiel, Rechtsanwältin (fictional)",
    "right_in_issue": "EP 3 000 001 B1",
    "patent_language": "German",
    "customs_authority": "Hauptzollamt (example)",
    "goods_description": "Brake pads marked BP-77",
    "distinguishing_features": "Originals carry a laser-etched serial number.",
    "contact": "+49 000 000 (example)",
    "concrete_form": "LED work lamp WL-9 as pictured in Annex 1",
    "letter_date": "23.11.2026",
    "court_name": "Landgericht Hannover (example)",
    "court_file_number": "18 O 123/26 (example)",
    "order_date": "24.11.2026",
    "affiant": "Li Beispiel, Geschäftsführer",
    "goods_detained": "120 electric scooters ES-3 (example)",
    "authorisation": "The goods carry our own registered mark US Reg. 0 000 002 (example).",
    "observed": "10:05 arrived at the booth; the lock was displayed on the front shelf; photos E1–E3.",
    "counsel_phone": "+49 000 111 (example)",
    "withdraw_by": "25.11.2026, 18:00 (Asia/Shanghai)",
}


def normalise(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdftotext(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def pdffonts(path: Path) -> list[list[str]]:
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


def qpdf_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)


@pytest.fixture(scope="session", autouse=True)
def _tools() -> None:
    for tool in ("pdftotext", "pdffonts", "qpdf"):
        assert shutil.which(tool), f"{tool} is required (poppler-utils / qpdf)"


@pytest.fixture(autouse=True)
def _cli_passphrase(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``--encrypted`` the in-process CLI needs the test passphrase, as a user gives it."""
    if request.config.getoption("--encrypted"):
        from tests.conftest import TEST_PASSPHRASE

        secret = tmp_path / "passphrase.txt"
        secret.write_text(TEST_PASSPHRASE + "\n", encoding="utf-8")
        monkeypatch.setenv("FAIRDESK_PASSPHRASE_FILE", str(secret))


@pytest.fixture
def canton_case(demo_store: Store) -> str:
    return next(r.id for r in cases.list_cases(demo_store) if "榨汁机" in r.title)


@pytest.fixture
def hannover_case(demo_store: Store) -> str:
    return next(r.id for r in cases.list_cases(demo_store) if "Verfügung" in r.title)


def _fair(store: Store, name: str) -> str:
    return next(f.id for f in cases.list_fairs(store) if f.name.startswith(name))


@pytest.fixture
def situation_cases(demo_store: Store) -> dict[str, str]:
    """A small situation set beside the demo's cases: name → case id.

    hannover_injunction, abmahnung, canton_respondent, german_customs and hannover_copy come
    from the demo;
    the rest are added here (fictional parties).
    """
    from datetime import timedelta

    from fairdesk.cases import CaseInput, DeadlineInput, PartyInput, RightInput
    from fairdesk.model import DeadlineRule, Direction, PartyRole, RightKind, Trigger
    from fairdesk.timeutil import utcnow

    listed = cases.list_cases(demo_store)
    out = {
        "hannover_injunction": next(r.id for r in listed if "Verfügung" in r.title),
        "abmahnung": next(r.id for r in listed if r.title.startswith("Abmahnung")),
        "canton_respondent": next(r.id for r in listed if "榨汁机" in r.title),
        "german_customs": next(r.id for r in listed if "海关扣留" in r.title),
        "hannover_copy": next(r.id for r in listed if "solar inverter" in r.title),
    }
    now = utcnow()
    specs = {
        "upc_watch": CaseInput(
            "Risk: EP patent holder announced action at Hannover Messe",
            Direction.AGAINST_US,
            Trigger.RISK_NOTICE,
            _fair(demo_store, "Hannover"),
            products="Hydraulic pump HP-50",
            parties=[PartyInput(PartyRole.COMPLAINANT, "Beispiel Hydraulik GmbH (fictional)")],
            rights=[RightInput(RightKind.INVENTION_PATENT, "EP 3 000 002 B1 (example)", "EP")],
        ),
        "upc_utility_model": CaseInput(
            "Risk: German utility model at Hannover Messe",
            Direction.AGAINST_US,
            Trigger.RISK_NOTICE,
            _fair(demo_store, "Hannover"),
            rights=[RightInput(RightKind.UTILITY_MODEL, "DE 20 2024 000 001 U1 (example)", "DE")],
        ),
        "ces_customs": CaseInput(
            "CBP detention notice: wireless earbuds E7 (CES)",
            Direction.AGAINST_US,
            Trigger.CUSTOMS_ACTION,
            _fair(demo_store, "CES"),
            products="Wireless earbuds E7",
            served_at=now - timedelta(hours=3),
            parties=[
                PartyInput(
                    PartyRole.CUSTOMS,
                    "U.S. Customs and Border Protection, Port of Los Angeles (example)",
                ),
                PartyInput(PartyRole.COMPLAINANT, "Sample Audio Inc. (fictional)"),
            ],
            rights=[RightInput(RightKind.TRADEMARK, "US Reg. 0 000 001 (example)", "US")],
        ),
        "canton_complainant": CaseInput(
            "我方投诉：展位 3.1 A05 的仿冒智能锁",
            Direction.BY_US,
            Trigger.COMPLAINT,
            _fair(demo_store, "Canton"),
            hall="3.1",
            booth="A05",
            products="仿冒智能锁（示例）",
            parties=[
                PartyInput(PartyRole.RESPONDENT, "示例仿冒锁具厂（虚构）"),
                PartyInput(
                    PartyRole.ORGANISER_IP_DESK,
                    "投诉站 3 号馆分站",
                    "广交会知识产权和贸易纠纷投诉接待站",
                ),
                PartyInput(PartyRole.WITNESS, "李示例", "我方销售部（示例）"),
            ],
            rights=[
                RightInput(
                    RightKind.DESIGN,
                    "ZL 2022 3 0000002.3（示例）",
                    "CN",
                    "我方",
                    "granted",
                    asserted_by_us=True,
                )
            ],
            deadlines=[
                DeadlineInput(
                    "向投诉站提交投诉书", DeadlineRule.FIXED, due_at=now + timedelta(hours=30)
                )
            ],
        ),
        "ces_copy": CaseInput(
            "Copy of our earbuds at CES",
            Direction.BY_US,
            Trigger.COPY_SPOTTED,
            _fair(demo_store, "CES"),
            booth="20110",
            products="Earbuds X7 (copy)",
            parties=[PartyInput(PartyRole.RESPONDENT, "Example Copy Audio Ltd (fictional)")],
            rights=[
                RightInput(RightKind.DESIGN, "US D900,001 (example)", "US", asserted_by_us=True)
            ],
        ),
        # Our own customs application (the only situation customs_request is offered in).
        "our_customs_application": CaseInput(
            "Our customs application: copied inverters at Hannover Messe",
            Direction.BY_US,
            Trigger.CUSTOMS_ACTION,
            _fair(demo_store, "Hannover"),
            products="Solar inverter copies (example)",
            parties=[PartyInput(PartyRole.RESPONDENT, "Example Copy Inverter GmbH (fictional)")],
            rights=[
                RightInput(
                    RightKind.INVENTION_PATENT, "EP 3 000 003 (example)", "EP", asserted_by_us=True
                )
            ],
        ),
    }
    for name, spec in specs.items():
        out[name] = cases.create_case(demo_store, spec)
    return out


def party_names(store: Store, case_id: str) -> set[str]:
    """Names and organisations of the case's parties (to spot another case's addressee)."""
    detail = cases.get_case(store, case_id)
    return {n for p in detail.parties for n in (p.name, p.organisation) if n}
