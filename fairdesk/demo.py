"""A realistic demo data set: real fairs, fictional companies and people.

Every company and person in a dispute is invented and reads as invented (Beispiel, Muster,
Example, 示例). Deadlines are placed relative to "now" so countdowns are live when the demo
opens; the set covers both directions, all three warning levels, several countries and
time zones.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from fairdesk import cases, fairs
from fairdesk.cases import CaseInput, DeadlineInput, PartyInput, RightInput
from fairdesk.model import DeadlineRule, Direction, PartyRole, RightKind, Status, Trigger
from fairdesk.store import Store
from fairdesk.timeutil import utcnow

# Demo fairs: the catalogue's own rows (seeded at start) by catalogue key, given this year's
# dates and the closing time the demo's "end of the fair day" deadlines need.
FAIRS = {
    "canton": "canton-fair",
    "hannover": "hannover-messe",
    "automechanika": "automechanika-frankfurt",
    "mwc": "mwc-barcelona",
    "ces": "ces",
    "dubai": "automechanika-dubai",
    "eicma": "eicma",
}


def _fair_dates(now: datetime) -> dict[str, tuple[date, date]]:
    today = now.date()
    return {
        "canton": (today - timedelta(days=1), today + timedelta(days=3)),
        "hannover": (today, today + timedelta(days=4)),
        "automechanika": (today - timedelta(days=2), today + timedelta(days=2)),
        "mwc": (today + timedelta(days=40), today + timedelta(days=43)),
        "ces": (today - timedelta(days=1), today + timedelta(days=2)),
        "dubai": (today + timedelta(days=10), today + timedelta(days=12)),
        "eicma": (today - timedelta(days=30), today - timedelta(days=25)),
    }


def fill_demo(store: Store, now: datetime | None = None) -> int:
    """Fill an empty store with the demo set; returns the number of cases created."""
    now = now or utcnow()
    if cases.count_cases(store) > 0:
        return 0
    dates = _fair_dates(now)
    fair_ids: dict[str, str] = {}
    for key, catalogue_key in FAIRS.items():
        starts, ends = dates[key]
        fair = fairs.get_fair(store, fairs.catalogue_id(catalogue_key))
        fair_ids[key] = fair.id
        fairs.edit_fair(
            store,
            fair.id,
            {"starts_on": starts, "ends_on": ends, "closing_time": fair.closing_time or "18:00"},
        )

    h = timedelta(hours=1)
    specs: list[CaseInput] = [
        CaseInput(
            "外观设计专利投诉：展位 11.2 C18 的便携式榨汁机",
            Direction.AGAINST_US,
            Trigger.PANEL_SUMMONS,
            fair_ids["canton"],
            hall="11.2",
            booth="C18",
            products="便携式榨汁机 JX-200（示例产品）",
            served_at=now - 5 * h,
            summary="投诉站通知：示例家电有限公司（虚构）称我方 JX-200 侵犯其外观设计专利。须在 24 小时内提交书面答辩及证据。",
            parties=[
                PartyInput(PartyRole.COMPLAINANT, "王示例", "示例家电有限公司（虚构）"),
                PartyInput(
                    PartyRole.ORGANISER_IP_DESK,
                    "投诉站 11 号馆分站",
                    "广交会知识产权和贸易纠纷投诉接待站",
                ),
            ],
            rights=[
                RightInput(
                    RightKind.DESIGN,
                    "ZL 2023 3 0000001.X（示例）",
                    "CN",
                    "示例家电有限公司（虚构）",
                    "granted",
                )
            ],
            deadlines=[
                DeadlineInput(
                    "提交书面答辩及不侵权证据",
                    DeadlineRule.HOURS_FROM_SERVICE,
                    hours=24,
                    source="展会知识产权保护指引 第14条 (24 h)",
                )
            ],
            note="已拍摄展品及投诉材料；等待总部确认设计图日期。",
        ),
        CaseInput(
            "Einstweilige Verfügung: Hydraulic pump HP-40 (patent)",
            Direction.AGAINST_US,
            Trigger.COURT_ORDER,
            fair_ids["hannover"],
            hall="6",
            booth="B21",
            products="Hydraulic pump HP-40",
            served_at=now - 2 * h,
            summary="Bailiff served a preliminary injunction from the Landgericht at the booth; "
            "exhibit HP-40 to be removed. Beispiel Hydraulik GmbH (fictional) asserts EP patent.",
            parties=[
                PartyInput(
                    PartyRole.COMPLAINANT,
                    "Dr. Max Mustermann",
                    "Beispiel Hydraulik GmbH (fictional)",
                ),
                PartyInput(
                    PartyRole.COURT,
                    "Landgericht Hannover",
                    "Zivilkammer (example)",
                    reference="18 O 1/26 (example)",
                ),
                PartyInput(
                    PartyRole.BAILIFF,
                    "Gerichtsvollzieher Beispiel",
                    "Amtsgericht Hannover (example)",
                ),
                PartyInput(
                    PartyRole.THEIR_COUNSEL,
                    "Erika Musterfrau",
                    "Muster & Partner Rechtsanwälte (fictional)",
                ),
            ],
            rights=[
                RightInput(
                    RightKind.INVENTION_PATENT,
                    "EP 3 000 001 B1 (example)",
                    "EP/DE",
                    "Beispiel Hydraulik GmbH (fictional)",
                    "granted",
                )
            ],
            deadlines=[
                DeadlineInput("Remove HP-40 from display", DeadlineRule.FIXED, due_at=now + 3 * h),
                DeadlineInput(
                    "Instruct German counsel on opposition (Widerspruch)",
                    DeadlineRule.FIXED,
                    due_at=now + 20 * h,
                ),
            ],
        ),
        CaseInput(
            "Abmahnung: LED work lamp trade mark",
            Direction.AGAINST_US,
            Trigger.WARNING_LETTER,
            fair_ids["automechanika"],
            hall="9.1",
            booth="D40",
            products="LED work lamp WL-9",
            served_at=now - 26 * h,
            summary="Warning letter with a cease-and-desist declaration (open penalty, 'Hamburger Brauch') handed over at the booth. Do not sign before legal review.",
            parties=[
                PartyInput(
                    PartyRole.COMPLAINANT,
                    "Example Lighting AG (fictional)",
                    "Example Lighting AG (fictional)",
                )
            ],
            rights=[
                RightInput(
                    RightKind.TRADEMARK,
                    "DE 30 2020 000 001 (example)",
                    "DE",
                    "Example Lighting AG (fictional)",
                    "registered",
                )
            ],
            deadlines=[
                DeadlineInput("Answer the warning letter", DeadlineRule.FIXED, due_at=now + 30 * h)
            ],
        ),
        CaseInput(
            "Copy of our smart lock spotted at booth 3.1 A02",
            Direction.BY_US,
            Trigger.COPY_SPOTTED,
            fair_ids["canton"],
            hall="3.1",
            booth="A02",
            products="Smart lock SL-5",
            summary="示例锁具厂（虚构）展出与我方 SL-5 外观几乎相同的产品；已拍照并取得名片。",
            parties=[
                PartyInput(PartyRole.RESPONDENT, "示例锁具厂（虚构）", "示例锁具厂（虚构）"),
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
            deadlines=[DeadlineInput("向投诉站提交投诉", DeadlineRule.FIXED, due_at=now + 50 * h)],
        ),
        CaseInput(
            "TRO motion expected: wireless earbuds (CES)",
            Direction.AGAINST_US,
            Trigger.RISK_NOTICE,
            fair_ids["ces"],
            hall="Central",
            booth="15001",
            products="Wireless earbuds E7",
            summary="Rumour that Sample Audio Inc. (fictional) will seek a TRO during CES. Prepare counsel and documents.",
            parties=[PartyInput(PartyRole.COMPLAINANT, "Sample Audio Inc. (fictional)")],
            rights=[
                RightInput(
                    RightKind.INVENTION_PATENT,
                    "US 11,000,001 (example)",
                    "US",
                    "Sample Audio Inc. (fictional)",
                    "granted",
                )
            ],
        ),
        CaseInput(
            "US Marshals seizure at booth: drone batteries",
            Direction.AGAINST_US,
            Trigger.SEIZURE,
            fair_ids["ces"],
            hall="North",
            booth="9002",
            products="Drone battery DB-3",
            summary="Seizure under a TRO; samples and brochures taken. Example Drone Corp. (fictional).",
            parties=[
                PartyInput(PartyRole.COMPLAINANT, "Example Drone Corp. (fictional)"),
                PartyInput(PartyRole.OUR_COUNSEL, "Jane Example", "Example Law LLP (fictional)"),
            ],
            deadlines=[
                DeadlineInput(
                    "TRO hearing (preliminary injunction)",
                    DeadlineRule.FIXED,
                    due_at=now + 6 * 24 * h,
                )
            ],
        ),
        CaseInput(
            "Protective letter before MWC: phone case design",
            Direction.AGAINST_US,
            Trigger.WATCH,
            fair_ids["mwc"],
            products="Phone case PC-12",
            summary="Competitor Muestra Móviles S.L. (fictional) sued at MWC last year; consider a protective letter.",
            parties=[
                PartyInput(PartyRole.OUR_COUNSEL, "Abogado Ejemplo", "Bufete Ejemplo (fictional)")
            ],
            deadlines=[
                DeadlineInput(
                    "File protective letter with Barcelona commercial courts",
                    DeadlineRule.FIXED,
                    due_at=now + 30 * 24 * h,
                )
            ],
        ),
        CaseInput(
            "Dubai customs complaint: counterfeit brake pads",
            Direction.BY_US,
            Trigger.COPY_SPOTTED,
            fair_ids["dubai"],
            products="Brake pads BP-77",
            summary="Counterfeits with our trade mark found at a distributor stand (Example Trading LLC, fictional).",
            parties=[
                PartyInput(PartyRole.RESPONDENT, "Example Trading LLC (fictional)"),
                PartyInput(PartyRole.CUSTOMS, "Dubai Customs IPR section"),
            ],
            rights=[
                RightInput(
                    RightKind.TRADEMARK,
                    "UAE TM 000001 (example)",
                    "AE",
                    "我方",
                    "registered",
                    asserted_by_us=True,
                )
            ],
        ),
        CaseInput(
            "版权警告：展台宣传册图片",
            Direction.AGAINST_US,
            Trigger.WARNING_LETTER,
            fair_ids["eicma"],
            products="宣传册 2026",
            status=Status.CLOSED,
            summary="Esempio Foto S.r.l.（虚构）称宣传册使用其摄影作品；已更换图片并和解。",
            parties=[PartyInput(PartyRole.COMPLAINANT, "Esempio Foto S.r.l. (fictional)")],
            rights=[RightInput(RightKind.COPYRIGHT, "", "IT", "Esempio Foto S.r.l. (fictional)")],
        ),
        CaseInput(
            "Utility model complaint: cable reel",
            Direction.AGAINST_US,
            Trigger.COMPLAINT,
            fair_ids["hannover"],
            hall="12",
            booth="E03",
            products="Cable reel CR-2",
            summary="Complaint lodged with the organiser; Musterkabel KG (fictional) asserts a German utility model.",
            parties=[
                PartyInput(PartyRole.COMPLAINANT, "Musterkabel KG (fictional)"),
                PartyInput(PartyRole.ORGANISER_IP_DESK, "Organiser legal desk (example)"),
            ],
            rights=[
                RightInput(
                    RightKind.UTILITY_MODEL,
                    "DE 20 2021 000 001 U1 (example)",
                    "DE",
                    "Musterkabel KG (fictional)",
                )
            ],
            deadlines=[
                DeadlineInput(
                    "Statement to organiser",
                    DeadlineRule.END_OF_FAIR_DAY,
                    fair_day=(now + 2 * 24 * h).date(),
                )
            ],
        ),
        CaseInput(
            "Trade dress watch: coffee machine colours",
            Direction.BY_US,
            Trigger.WATCH,
            fair_ids["eicma"],
            products="Coffee machine CM-1",
            summary="Similar colour scheme seen; monitor only.",
            parties=[PartyInput(PartyRole.RESPONDENT, "Esempio Caffè S.p.A. (fictional)")],
            rights=[RightInput(RightKind.TRADE_DRESS, "", "IT", "我方", asserted_by_us=True)],
        ),
        CaseInput(
            "海关扣留通知：电动滑板车（示例）",
            Direction.AGAINST_US,
            Trigger.CUSTOMS_ACTION,
            fair_ids["automechanika"],
            products="电动滑板车 ES-8",
            summary="德国海关依权利人申请暂扣展品；须在 10 个工作日内答复（示例）。",
            parties=[
                PartyInput(PartyRole.CUSTOMS, "Hauptzollamt (example)"),
                PartyInput(PartyRole.COMPLAINANT, "Beispiel Mobility GmbH (fictional)"),
            ],
            deadlines=[DeadlineInput("答复海关", DeadlineRule.FIXED, due_at=now + 9 * 24 * h)],
        ),
        CaseInput(
            "Spotted copy: solar inverter at Hannover",
            Direction.BY_US,
            Trigger.COPY_SPOTTED,
            fair_ids["hannover"],
            hall="13",
            booth="C11",
            products="Solar inverter SI-10",
            summary="Copier Muster Solar GmbH (fictional); consider an ex-parte injunction.",
            parties=[PartyInput(PartyRole.RESPONDENT, "Muster Solar GmbH (fictional)")],
            rights=[
                RightInput(
                    RightKind.INVENTION_PATENT,
                    "EP 3 000 002 B1 (example)",
                    "EP/DE",
                    "我方",
                    "granted",
                    asserted_by_us=True,
                )
            ],
            deadlines=[
                DeadlineInput("Send warning letter", DeadlineRule.FIXED, due_at=now + 10 * h)
            ],
        ),
        CaseInput(
            "Risk notice: EU design filings by a known squatter",
            Direction.AGAINST_US,
            Trigger.RISK_NOTICE,
            None,
            products="Kitchen appliances",
            summary="HQ notice: Example Holdings Ltd. (fictional) files designs copied from exhibits.",
            parties=[PartyInput(PartyRole.COMPLAINANT, "Example Holdings Ltd. (fictional)")],
        ),
    ]
    for spec in specs:
        cases.create_case(store, spec, now=now)
    return len(specs)
