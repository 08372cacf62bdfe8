"""The three risk maps: high-risk enterprises, goods and destinations.

Computed from every case in the local store (at HQ: every synced case) plus the stored risk
alerts. Method, so a reader can check a ranking by hand:

* **Weight of a case** = its warning level: red 3, yellow 2, blue 1. Deleted cases are left
  out; closed and settled cases count (they are history, and history is the risk).
* **Enterprises**: the counterparties of each case, on our own unadjudicated allegation and
  worded as such: the complainant of a case against us is a "claimant in N cases"; the
  respondent of a case we brought is an "alleged copier in N cases". Our own side (the
  respondent of a case against us, the complainant of ours) is never counted, and neither is
  a court, bailiff, customs office or other authority, whatever role it was entered under.
  The organisation is used when given, else the party's name.
  Names are normalised before counting: case folded, bracketed notes such as "(fictional)" or
  "（虚构）" removed, legal-form suffixes (GmbH, AG, KG, Inc., LLC, Ltd., S.r.l., S.p.A., S.L.,
  有限公司, …) and punctuation dropped. So "Beispiel Hydraulik GmbH" and "BEISPIEL HYDRAULIK"
  count as one enterprise. A counterparty is counted once per case.
* **Goods**: each case's "products concerned" text is classified into an HS chapter by a
  small keyword table (English and Chinese, :data:`CATEGORIES`); the longest matching keyword
  wins ("phone case" → HS 42 beats "phone" → HS 85). Text with no keyword is "Unclassified":
  counted apart (``RiskMap.unclassified``) with a prompt to classify, never ranked.
  Alerts add their weight to the categories they name (``hs85``) or whose keywords they use.
* **Destinations**: by country only (the home country, China by default, is not a
  destination and is left out); fairs are ranked in their own table (``RiskMap.fairs``).
  Alerts add their weight to the countries and fairs they name.
* **Score** = sum of the weights; rows are ranked by score, then by number of cases, then name.

Filters: a time range on the case's creation time, and a right kind (cases with at least one
right of that kind). Exports: CSV (UTF-8 with BOM so spreadsheet programs read Chinese) and
PDF (reportlab, Noto Sans SC embedded).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from fairdesk.geo import COUNTRY_NAMES
from fairdesk.i18n import N_, _
from fairdesk.knowledge.alerts import AlertRow, list_alerts
from fairdesk.model import Case, Direction, Level, PartyRole, RightKind, Status
from fairdesk.store import Store

LEVEL_WEIGHT = {Level.RED: 3, Level.YELLOW: 2, Level.BLUE: 1}
_OPEN = {Status.OPEN, Status.RESPONDING, Status.ESCALATED}
MAPS = ("enterprises", "goods", "destinations")
MAP_TITLES = {
    "enterprises": N_("Enterprises at risk (our exporters)"),
    "goods": N_("High-risk goods"),
    "destinations": N_("High-risk destinations"),
}


@dataclass(frozen=True)
class Category:
    key: str
    en: str
    zh: str
    keywords: tuple[str, ...]


CATEGORIES: tuple[Category, ...] = (
    Category(
        "hs84",
        "Machinery and mechanical appliances (HS 84)",
        "机械器具（HS 84）",
        (
            "pump",
            "valve",
            "compressor",
            "hydraulic",
            "machine tool",
            "printer",
            "engine",
            "泵",
            "阀",
            "压缩机",
            "液压",
            "机床",
            "发动机",
        ),
    ),
    Category(
        "hs85",
        "Electrical machinery and electronics (HS 85)",
        "电机电气设备及电子产品（HS 85）",
        (
            "earbud",
            "headphone",
            "speaker",
            "battery",
            "inverter",
            "cable",
            "charger",
            "phone",
            "smartphone",
            "juicer",
            "blender",
            "coffee machine",
            "kitchen appliance",
            "appliance",
            "led",
            "camera",
            "router",
            "耳机",
            "音箱",
            "电池",
            "逆变器",
            "电缆",
            "充电",
            "手机",
            "榨汁机",
            "咖啡机",
            "家电",
            "电器",
            "路由器",
        ),
    ),
    Category(
        "hs87",
        "Vehicles and parts (HS 87)",
        "车辆及其零件（HS 87）",
        (
            "brake",
            "scooter",
            "tyre",
            "tire",
            "motorcycle",
            "car part",
            "wheel",
            "刹车",
            "制动",
            "滑板车",
            "轮胎",
            "摩托车",
            "汽车配件",
        ),
    ),
    Category(
        "hs94",
        "Furniture and lamps (HS 94)",
        "家具及灯具（HS 94）",
        ("lamp", "lighting", "furniture", "chair", "灯", "家具", "椅"),
    ),
    Category(
        "hs83",
        "Locks and base-metal articles (HS 83)",
        "锁具及贱金属制品（HS 83）",
        ("lock", "padlock", "hinge", "锁", "铰链"),
    ),
    Category(
        "hs42",
        "Bags and cases (HS 42)",
        "箱包及容器（HS 42）",
        ("phone case", "bag", "luggage", "wallet", "手机壳", "箱包", "钱包"),
    ),
    Category(
        "hs49",
        "Printed matter (HS 49)",
        "印刷品（HS 49）",
        ("brochure", "catalogue", "catalog", "leaflet", "poster", "宣传册", "目录", "海报"),
    ),
    Category(
        "hs95",
        "Toys and sports goods (HS 95)",
        "玩具及运动用品（HS 95）",
        ("toy", "drone toy", "game", "玩具"),
    ),
    Category(
        "hs61",
        "Clothing (HS 61–62)",
        "服装（HS 61–62）",
        ("shirt", "jacket", "clothing", "shoe", "服装", "衬衫", "鞋"),
    ),
)
UNCLASSIFIED = Category("other", "Unclassified", "未分类", ())
_BY_KEY = {c.key: c for c in (*CATEGORIES, UNCLASSIFIED)}


def classify_goods(text: str) -> Category:
    """The HS-chapter category of a product description (longest keyword wins)."""
    lowered = text.lower()
    best: tuple[int, Category] | None = None
    for category in CATEGORIES:
        for keyword in category.keywords:
            if _contains(lowered, keyword) and (best is None or len(keyword) > best[0]):
                best = (len(keyword), category)
    return best[1] if best else UNCLASSIFIED


def _contains(text: str, keyword: str) -> bool:
    if re.match(r"[a-z]", keyword):  # Latin keywords match at a word start ("led" not "sled")
        return re.search(r"\b" + re.escape(keyword), text) is not None
    return keyword in text


_BRACKETS = re.compile(r"\([^)]*\)|（[^）]*）|\[[^\]]*\]")
_LEGAL_FORMS = re.compile(
    r"\b(?:gmbh(?:\s*&\s*co\.?\s*kg)?|ag|kg|ohg|ug|inc|llc|ltd|limited|corp|corporation|co|"
    r"company|s\.?\s?r\.?\s?l|s\.?\s?p\.?\s?a|s\.?\s?l|s\.?\s?a|b\.?\s?v|plc|pte|sarl|sas)\b\.?"
)
_CJK_FORMS = re.compile(r"(?:股份有限公司|有限责任公司|有限公司|集团|公司)$")
_PUNCT = re.compile(r"[^\w\u3400-\u9fff]+")


def normalise_name(name: str) -> str:
    """The key two spellings of one enterprise share (see the module docstring)."""
    text = _BRACKETS.sub(" ", name.casefold())
    text = _LEGAL_FORMS.sub(" ", text)
    text = _PUNCT.sub(" ", text).strip()
    text = _CJK_FORMS.sub(
        "", text.replace(" ", "") if re.search(r"[\u3400-\u9fff]", text) else text
    )
    return re.sub(r"\s+", " ", text).strip()


def _display_name(name: str) -> str:
    # What the tables show: the name as first written, without "(fictional)"-style notes.
    return re.sub(r"\s+", " ", _BRACKETS.sub(" ", name)).strip() or name.strip()


@dataclass
class RiskRow:
    key: str
    label_en: str
    label_zh: str
    count: int = 0
    score: int = 0
    red: int = 0
    detail: dict[str, int] = field(default_factory=dict)  # e.g. complainant/copier, alerts
    open: int = 0  # cases still open, responding or escalated
    open_score: int = 0  # their weights: the row's open exposure
    open_red: int = 0
    open_yellow: int = 0
    months: dict[str, int] = field(default_factory=dict)  # "2026-11" -> cases created that month
    level: Level = Level.BLUE  # set by the map-level rules (ROW_RULES)
    rule: str = "M5"

    def add(self, case: _CaseFacts) -> None:
        """Count one case on this row (total, weight, open exposure, month)."""
        self.count += 1
        self.score += case.weight
        self.red += case.red
        self.months[case.month] = self.months.get(case.month, 0) + 1
        if case.open:
            self.open += 1
            self.open_score += case.weight
            self.open_red += case.red
            self.open_yellow += case.weight == LEVEL_WEIGHT[Level.YELLOW]

    def label(self, language: str | None = None) -> str:
        from fairdesk.i18n import current_language

        language = language or current_language()
        return self.label_zh if language.startswith("zh") and self.label_zh else self.label_en


@dataclass(frozen=True)
class RiskFilter:
    since: datetime | None = None
    until: datetime | None = None
    right_kind: RightKind | None = None
    home_country: str = "CN"  # where our exporters come from: never a destination


@dataclass(frozen=True)
class RiskMap:
    kind: str  # enterprises | goods | destinations
    rows: tuple[RiskRow, ...]  # ranked
    countries: tuple[RiskRow, ...] = ()  # destinations only: per-country rows for the world view
    fairs: tuple[RiskRow, ...] = ()
    filter: RiskFilter = RiskFilter()
    cases_counted: int = 0
    unclassified: RiskRow | None = None  # goods only: cases whose products matched no chapter
    # enterprises only: the other side, worded "claimant in N cases" / "alleged copier in N cases"
    counterparties: tuple[RiskRow, ...] = ()
    industries: tuple[RiskRow, ...] = ()  # goods only: the region's priority industries
    no_exporter: int = 0  # enterprises only: cases that name no party of ours
    level: Level = Level.BLUE  # the map's warning: the highest row level ...
    rule: str = ""  # ... the rule that set it ("M1") ...
    level_row: str = ""  # ... and the row it was set by (its English label)
    level_row_zh: str = ""


@dataclass(frozen=True)
class _CaseFacts:
    weight: int
    red: bool
    products: str
    country: str
    fair: str
    counterparties: tuple[tuple[str, str], ...]  # ("claimant" | "copier", name)
    open: bool = False
    month: str = ""  # "YYYY-MM" of creation: the trend bucket
    ours: tuple[str, ...] = ()  # our exporters on this case (role "us", or our side's party)


def _load_cases(store: Store, flt: RiskFilter) -> list[_CaseFacts]:
    query = (
        select(Case)
        .where(Case.deleted_at.is_(None))
        .options(selectinload(Case.parties), selectinload(Case.rights), selectinload(Case.fair))
    )
    if flt.since is not None:
        query = query.where(Case.created_at >= flt.since)
    if flt.until is not None:
        query = query.where(Case.created_at <= flt.until)
    facts: list[_CaseFacts] = []
    with store.read() as session:
        for case in session.scalars(query):
            if flt.right_kind is not None and not any(
                r.kind == flt.right_kind and r.deleted_at is None for r in case.rights
            ):
                continue
            # Only the other side: who claims against us, or whom we accuse of copying.
            other_side = (
                PartyRole.COMPLAINANT
                if case.direction is Direction.AGAINST_US
                else PartyRole.RESPONDENT
            )
            which = "claimant" if other_side is PartyRole.COMPLAINANT else "copier"
            parties = tuple(
                (which, p.organisation.strip() or p.name.strip())
                for p in case.parties
                if p.deleted_at is None
                and p.role is other_side
                and not is_authority(p.organisation.strip() or p.name.strip())
            )
            # Our side: the parties entered as "us", else the respondent of a case against us /
            # the complainant of a case we brought (how most responders enter their own company).
            our_side = (
                PartyRole.RESPONDENT
                if case.direction is Direction.AGAINST_US
                else PartyRole.COMPLAINANT
            )
            live = [p for p in case.parties if p.deleted_at is None]
            explicit = [p for p in live if p.role is PartyRole.US]
            ours = tuple(
                p.organisation.strip() or p.name.strip()
                for p in (explicit or [p for p in live if p.role is our_side])
                if not is_authority(p.organisation.strip() or p.name.strip())
            )
            fair = case.fair
            facts.append(
                _CaseFacts(
                    LEVEL_WEIGHT[case.level],
                    case.level is Level.RED,
                    case.products,
                    fair.country if fair else "",
                    fair.name if fair else "",
                    parties,
                    open=case.status in _OPEN,
                    month=case.created_at.strftime("%Y-%m"),
                    ours=ours,
                )
            )
    return facts


# Words that mark a court, bailiff, customs office, police or other authority: such a party is
# never an enterprise on the risk map, even if entered as complainant or respondent.
_AUTHORITY = re.compile(
    r"(gericht|court|tribunal|tribunale|juzgado|bailiff|huissier|vollzieher|customs|zollamt|\bzoll\b"
    r"|douane|dogana|aduana|police|polizei|carabinieri|guardia di finanza|authority|ministry"
    r"|office of|patent office|法院|法庭|海关|公安|警察|执达|执行员|知识产权局|市场监督|政府)",
    re.IGNORECASE,
)


def is_authority(name: str) -> bool:
    """True for a court, bailiff, customs office, police or other authority (by its name)."""
    return bool(_AUTHORITY.search(name))


def _alerts(store: Store, flt: RiskFilter) -> list[AlertRow]:
    rows = list_alerts(store, include_inactive=True)
    return [
        a
        for a in rows
        if (flt.since is None or a.published_at >= flt.since)
        and (flt.until is None or a.published_at <= flt.until)
    ]


def _ranked(rows: Iterable[RiskRow]) -> tuple[RiskRow, ...]:
    return tuple(sorted(rows, key=lambda r: (-r.score, -r.count, r.label_en.casefold())))


# ---------------------------------------------------------------------------------------------
# Red / yellow / blue at map level. Each row gets the level of the first rule that matches; the
# map gets the highest row level, with the rule and the row that set it. Written out like
# fairdesk.triage so a reader can check a colour by hand:
#
# M1  red    an open red case (court order, seizure or customs action) on this row
# M2  red    3 or more red cases in the period (open or closed): a pattern, not an accident
# M3  yellow an open yellow case (complaint, warning letter, summons, copy spotted)
# M4  yellow 3 or more cases in the period, or an alert of level yellow or above names the row
# M5  blue   anything else: history and risk notices only

ROW_RULES: dict[str, str] = {
    "M1": N_("An open red case (court order, seizure or customs action)"),
    "M2": N_("3 or more red cases in the period"),
    "M3": N_("An open yellow case (complaint, warning letter, summons or copy spotted)"),
    "M4": N_("3 or more cases in the period, or a yellow or red alert"),
    "M5": N_("History and risk notices only"),
}
_LEVEL_ORDER = {Level.RED: 0, Level.YELLOW: 1, Level.BLUE: 2}


def assign_level(row: RiskRow) -> RiskRow:
    """Set ``row.level`` and ``row.rule`` by ROW_RULES (first match wins)."""
    alert_weight = row.detail.get("alert_max", 0)
    if row.open_red:
        row.level, row.rule = Level.RED, "M1"
    elif row.red >= 3:
        row.level, row.rule = Level.RED, "M2"
    elif row.open_yellow:
        row.level, row.rule = Level.YELLOW, "M3"
    elif row.count >= 3 or alert_weight >= LEVEL_WEIGHT[Level.YELLOW]:
        row.level, row.rule = Level.YELLOW, "M4"
    else:
        row.level, row.rule = Level.BLUE, "M5"
    return row


def _map_level(rows: Iterable[RiskRow]) -> tuple[Level, str, str, str]:
    """The highest row level, the rule and the (highest-ranked) row that set it (en, zh)."""
    best: RiskRow | None = None
    for row in rows:
        if best is None or _LEVEL_ORDER[row.level] < _LEVEL_ORDER[best.level]:
            best = row
    if best is None:
        return Level.BLUE, "", "", ""
    return best.level, best.rule, best.label_en, best.label_zh


def level_text(risk_map: RiskMap) -> str:
    """One sentence: the map's colour, the rule that set it and where."""
    if not risk_map.rule:
        return _("No cases in the period.")
    from fairdesk.i18n import current_language
    from fairdesk.model import LABELS

    return _("{level} — rule {rule}: {text} ({row})").format(
        level=_(LABELS[risk_map.level]),
        rule=risk_map.rule,
        text=_(ROW_RULES[risk_map.rule]),
        row=risk_map.level_row_zh
        if current_language().startswith("zh") and risk_map.level_row_zh
        else risk_map.level_row,
    )


def months_span(risk_map: RiskMap) -> list[str]:
    """Every month ("YYYY-MM") from the first to the last with a case on any row of the map."""
    seen = {m for row in (*risk_map.rows, *risk_map.fairs) for m in row.months if m}
    if not seen:
        return []
    first, last = min(seen), max(seen)
    year, month = int(first[:4]), int(first[5:])
    out: list[str] = []
    while True:
        key = f"{year:04d}-{month:02d}"
        out.append(key)
        if key >= last or len(out) > 240:  # bound: twenty years of months at most
            return out
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def trend(row: RiskRow, months: list[str]) -> list[int]:
    """Cases per month for one row, over ``months`` (zeros where none)."""
    return [row.months.get(m, 0) for m in months]


def _finish(
    kind: str, rows: Iterable[RiskRow], flt: RiskFilter, counted: int, **extra: object
) -> RiskMap:
    ranked = _ranked(assign_level(r) for r in rows)
    level, rule, where, where_zh = _map_level(ranked)
    return RiskMap(
        kind,
        ranked,
        filter=flt,
        cases_counted=counted,
        level=level,
        rule=rule,
        level_row=where,
        level_row_zh=where_zh,
        **extra,  # type: ignore[arg-type]
    )


def enterprises(store: Store, flt: RiskFilter = RiskFilter()) -> RiskMap:
    """Enterprises at risk: OUR exporters ranked by open exposure (the weights of their open
    cases), then by all their cases. The other side is a separate table, ``counterparties``,
    worded "claimant in N cases" / "alleged copier in N cases"."""
    facts = _load_cases(store, flt)
    exporters: dict[str, RiskRow] = {}
    rows: dict[str, RiskRow] = {}
    no_exporter = 0
    for case in facts:
        no_exporter += not case.ours
        mine: set[str] = set()
        for name in case.ours:
            key = normalise_name(name)
            if not key or key in mine:
                continue
            mine.add(key)
            if key not in exporters:
                shown = _display_name(name)
                exporters[key] = RiskRow(key, shown, shown)
            exporters[key].add(case)
        seen: set[str] = set()
        for role, name in case.counterparties:
            key = normalise_name(name)
            if not key or key in seen:
                continue
            seen.add(key)
            row = rows.get(key)
            if row is None:
                shown = _display_name(name)
                row = rows[key] = RiskRow(key, shown, shown)
            row.add(case)
            row.detail[role] = row.detail.get(role, 0) + 1
    ranked_exporters = tuple(
        sorted(
            (assign_level(r) for r in exporters.values()),
            key=lambda r: (-r.open_score, -r.score, -r.count, r.label_en.casefold()),
        )
    )
    level, rule, where, where_zh = _map_level(ranked_exporters)
    return RiskMap(
        "enterprises",
        ranked_exporters,
        filter=flt,
        cases_counted=len(facts),
        counterparties=_ranked(assign_level(r) for r in rows.values()),
        no_exporter=no_exporter,
        level=level,
        rule=rule,
        level_row=where,
        level_row_zh=where_zh,
    )


@dataclass(frozen=True)
class Industry:
    """One of the region's priority industries (the seed plan, task 4: 智能网联新能源汽车,
    电子信息; the plan's export base adds motorcycles). Matched by keyword like the HS chapters;
    a case can belong to more than one industry."""

    key: str
    en: str
    zh: str
    keywords: tuple[str, ...]


PRIORITY_INDUSTRIES: tuple[Industry, ...] = (
    Industry(
        "icv_nev",
        "Intelligent connected and new-energy vehicles",
        "智能网联新能源汽车",
        (
            "electric vehicle",
            "new energy vehicle",
            "new-energy vehicle",
            "ev charger",
            "charging station",
            "charging pile",
            "traction battery",
            "battery pack",
            "lidar",
            "adas",
            "autonomous driving",
            "car part",
            "brake",
            "新能源汽车",
            "电动汽车",
            "智能网联",
            "充电桩",
            "动力电池",
            "激光雷达",
            "自动驾驶",
            "汽车",
        ),
    ),
    Industry(
        "motorcycles",
        "Motorcycles",
        "摩托车",
        ("motorcycle", "motorbike", "e-scooter", "scooter", "摩托车", "电动车", "滑板车"),
    ),
    Industry(
        "electronic_info",
        "Electronic information",
        "电子信息",
        (
            "smartphone",
            "phone",
            "laptop",
            "notebook computer",
            "tablet",
            "chip",
            "semiconductor",
            "display",
            "earbud",
            "headphone",
            "speaker",
            "camera",
            "router",
            "5g",
            "wifi",
            "手机",
            "笔记本电脑",
            "平板",
            "芯片",
            "半导体",
            "显示屏",
            "耳机",
            "音箱",
            "摄像头",
            "路由器",
        ),
    ),
)


def industries_of(text: str) -> tuple[Industry, ...]:
    """The priority industries a product description belongs to (may be none)."""
    lowered = text.lower()
    return tuple(
        ind for ind in PRIORITY_INDUSTRIES if any(_contains(lowered, k) for k in ind.keywords)
    )


def goods(store: Store, flt: RiskFilter = RiskFilter()) -> RiskMap:
    facts = _load_cases(store, flt)
    rows: dict[str, RiskRow] = {}
    industries: dict[str, RiskRow] = {
        i.key: RiskRow(i.key, i.en, i.zh) for i in PRIORITY_INDUSTRIES
    }

    def row_for(category: Category) -> RiskRow:
        if category.key not in rows:
            rows[category.key] = RiskRow(category.key, category.en, category.zh)
        return rows[category.key]

    for case in facts:
        row_for(classify_goods(case.products)).add(case)
        for industry in industries_of(case.products):
            industries[industry.key].add(case)
            if case.country:  # where the industry's cases are: its seizure exposure
                industries[industry.key].detail["country:" + case.country.upper()] = 1
    for alert in _alerts(store, flt):
        for name in alert.goods:
            category = _BY_KEY.get(name.lower()) or classify_goods(name)
            if category is UNCLASSIFIED:
                continue
            row = row_for(category)
            _add_alert(row, alert.level)
    unclassified = rows.pop(UNCLASSIFIED.key, None)
    if unclassified is not None:
        assign_level(unclassified)
    # The industry table keeps the plan's order and shows all three, even with no case.
    return _finish(
        "goods",
        rows.values(),
        flt,
        len(facts),
        unclassified=unclassified,
        industries=tuple(assign_level(r) for r in industries.values()),
    )


def _add_alert(row: RiskRow, level: Level) -> None:
    weight = LEVEL_WEIGHT[level]
    row.score += weight
    row.detail["alerts"] = row.detail.get("alerts", 0) + 1
    row.detail["alert_max"] = max(row.detail.get("alert_max", 0), weight)


def _country_label(code: str) -> tuple[str, str]:
    en, zh = COUNTRY_NAMES.get(code, (code, code))
    return en, zh


def destinations(store: Store, flt: RiskFilter = RiskFilter()) -> RiskMap:
    facts = _load_cases(store, flt)
    countries: dict[str, RiskRow] = {}
    fairs: dict[str, RiskRow] = {}

    def country_row(code: str) -> RiskRow:
        if code not in countries:
            en, zh = _country_label(code)
            countries[code] = RiskRow(code, en, zh)
        return countries[code]

    def fair_row(name: str) -> RiskRow:
        key = name.casefold().strip()
        if key not in fairs:
            fairs[key] = RiskRow(key, name, name)
        return fairs[key]

    home = flt.home_country.upper()
    for case in facts:
        if case.country and case.country.upper() != home:
            country_row(case.country).add(case)
        if case.fair:
            row = fair_row(case.fair)
            row.add(case)
            row.detail["country:" + case.country] = 1
    for alert in _alerts(store, flt):
        for code in alert.countries:
            if code.upper() == home:
                continue
            _add_alert(country_row(code), alert.level)
        for name in alert.fairs:
            _add_alert(fair_row(name), alert.level)
    ranked_fairs = _ranked(assign_level(r) for r in fairs.values())
    # The ranked table is countries only (in score order); fairs are their own table.
    result = _finish("destinations", countries.values(), flt, len(facts), fairs=ranked_fairs)
    return replace(result, countries=result.rows)


def compute(store: Store, kind: str, flt: RiskFilter = RiskFilter()) -> RiskMap:
    if kind == "enterprises":
        return enterprises(store, flt)
    if kind == "goods":
        return goods(store, flt)
    if kind == "destinations":
        return destinations(store, flt)
    raise ValueError(kind)


# ---------------------------------------------------------------------------------------------
# Export


def _headers() -> list[str]:
    return [_("Rank"), _("Name"), _("Cases"), _("Red cases"), _("Score"), _("Details")]


def _detail_text(row: RiskRow) -> str:
    parts: list[str] = []
    if row.detail.get("claimant"):
        parts.append(_("claimant in {n} cases").format(n=row.detail["claimant"]))
    if row.detail.get("copier"):
        parts.append(_("alleged copier in {n} cases").format(n=row.detail["copier"]))
    if row.detail.get("alerts"):
        parts.append(_("alerts: {n}").format(n=row.detail["alerts"]))
    return "; ".join(parts)


def _level_text(row: RiskRow) -> str:
    from fairdesk.model import LABELS

    return _("{level} ({rule})").format(level=_(LABELS[row.level]), rule=row.rule)


def row_details(row: RiskRow, kind: str = "") -> str:
    """The Details cell: counterparty wording or alerts, open exposure, the row's colour."""
    parts = [_detail_text(row)]
    if kind == "enterprises" or row.open:
        parts.append(
            _("open: {n} cases, exposure {score}").format(n=row.open, score=row.open_score)
        )
    parts.append(_level_text(row))
    return "; ".join(p for p in parts if p)


def _lines(rows: Iterable[RiskRow], name: str, kind: str = "") -> list[list[str]]:
    lines = [[_("Rank"), name, _("Cases"), _("Red cases"), _("Score"), _("Details")]]
    for rank, row in enumerate(rows, start=1):
        lines.append(
            [
                str(rank),
                row.label(),
                str(row.count),
                str(row.red),
                str(row.score),
                row_details(row, kind),
            ]
        )
    return lines


def table(risk_map: RiskMap) -> list[list[str]]:
    """Header plus one line per ranked row, in the current language."""
    name = _("Our exporter") if risk_map.kind == "enterprises" else _("Name")
    return _lines(risk_map.rows, name, risk_map.kind)


def counterparties_table(risk_map: RiskMap) -> list[list[str]]:
    """Enterprises only: the other side, worded as our unadjudicated allegation."""
    return _lines(risk_map.counterparties, _("Other side (our allegation, not a finding)"))


def industries_table(risk_map: RiskMap) -> list[list[str]]:
    """Goods only: the region's priority industries."""
    return _lines(risk_map.industries, _("Priority industry"))


def unclassified_note(risk_map: RiskMap) -> str:
    """The "classify these" prompt for goods that matched no HS chapter, or the "name our
    exporter" prompt for cases with no party of ours; else ""."""
    if risk_map.no_exporter:
        return _(
            "{n} cases name no exporter of ours and are not on this map. Add our company to "
            'each as a party with the role "Us (exhibitor)".'
        ).format(n=risk_map.no_exporter)
    row = risk_map.unclassified
    if row is None or not row.count:
        return ""
    return _(
        "Unclassified (not ranked): {n} cases whose products concerned match no HS chapter. "
        "Classify them: name the product in the case (e.g. brake pads, LED lamp, 摩托车)."
    ).format(n=row.count)


def fairs_table(risk_map: RiskMap) -> list[list[str]]:
    """Destinations only: the fairs, ranked in their own table."""
    return _lines(risk_map.fairs, _("Fair"))


def extra_tables(risk_map: RiskMap) -> list[tuple[str, list[list[str]]]]:
    """The map's second tables, titled: fairs, the other side, priority industries."""
    out: list[tuple[str, list[list[str]]]] = []
    if risk_map.fairs:
        out.append((_("Fairs"), fairs_table(risk_map)))
    if risk_map.counterparties:
        out.append((_("Other side of our cases"), counterparties_table(risk_map)))
    if risk_map.industries:
        out.append((_("Priority industries"), industries_table(risk_map)))
    return out


def export_csv(risk_map: RiskMap, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(table(risk_map))
    return path


def _filter_text(flt: RiskFilter) -> str:
    parts = []
    if flt.since:
        parts.append(_("from {date}").format(date=flt.since.date().isoformat()))
    if flt.until:
        parts.append(_("until {date}").format(date=flt.until.date().isoformat()))
    if flt.right_kind:
        from fairdesk.model import LABELS

        parts.append(_("right kind: {kind}").format(kind=_(LABELS[flt.right_kind])))
    return ", ".join(parts) or _("all cases")


def export_pdf(risk_map: RiskMap, path: Path, *, generated_at: datetime | None = None) -> Path:
    """A one-table PDF with Noto Sans SC embedded (no unembedded standard fonts)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from fairdesk.documents.fonts import BOLD, register
    from fairdesk.documents.fonts import FAMILY as REGULAR
    from fairdesk.timeutil import utcnow

    register()
    generated_at = generated_at or utcnow()
    title = _(MAP_TITLES[risk_map.kind])
    body = ParagraphStyle("body", fontName=REGULAR, fontSize=9, leading=12)
    heading = ParagraphStyle("heading", fontName=BOLD, fontSize=16, leading=20)
    small = ParagraphStyle(
        "small", fontName=REGULAR, fontSize=8, leading=10, textColor=colors.HexColor("#5F6368")
    )
    story = [
        Paragraph(escape(title), heading),
        Spacer(1, 3 * mm),
        Paragraph(
            escape(
                _(
                    "Generated {when} (UTC) by FairDesk from {count} cases and the stored "
                    "alerts; filter: {filter}."
                ).format(
                    when=generated_at.strftime("%Y-%m-%d %H:%M"),
                    count=risk_map.cases_counted,
                    filter=_filter_text(risk_map.filter),
                )
            ),
            small,
        ),
        Paragraph(
            _("Score: red case 3, yellow 2, blue 1; alerts add their level's weight."), small
        ),
        Paragraph(escape(_("Map level: {text}").format(text=level_text(risk_map))), small),
        Spacer(1, 4 * mm),
    ]
    # Paragraph reads markup: names such as "Muster & Partner" must be escaped.
    data = [[Paragraph(escape(cell), body) for cell in line] for line in table(risk_map)]
    if len(data) == 1:
        data.append([Paragraph(_("No cases match the filter."), body)] + [""] * 5)
    grid = Table(
        data, colWidths=[12 * mm, 62 * mm, 16 * mm, 18 * mm, 16 * mm, 52 * mm], repeatRows=1
    )
    grid.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEF1F4")),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#C4CAD2")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(grid)
    for heading_text, lines in extra_tables(risk_map):
        story += [Spacer(1, 5 * mm), Paragraph(escape(heading_text), body), Spacer(1, 2 * mm)]
        extra = Table(
            [[Paragraph(escape(cell), body) for cell in line] for line in lines],
            colWidths=[12 * mm, 62 * mm, 16 * mm, 18 * mm, 16 * mm, 52 * mm],
            repeatRows=1,
        )
        extra.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEF1F4")),
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#C4CAD2")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(extra)
    note = unclassified_note(risk_map)
    if note:
        story += [Spacer(1, 4 * mm), Paragraph(escape(note), small)]
    path.parent.mkdir(parents=True, exist_ok=True)
    SimpleDocTemplate(
        str(path),
        pagesize=A4,
        title=f"FairDesk — {title}",
        initialFontName=REGULAR,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
    ).build(story)
    return path
