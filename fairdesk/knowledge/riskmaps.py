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
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from fairdesk.i18n import N_, _
from fairdesk.knowledge.alerts import AlertRow, list_alerts
from fairdesk.model import Case, Direction, Level, PartyRole, RightKind
from fairdesk.store import Store

LEVEL_WEIGHT = {Level.RED: 3, Level.YELLOW: 2, Level.BLUE: 1}
MAPS = ("enterprises", "goods", "destinations")
MAP_TITLES = {
    "enterprises": N_("High-risk enterprises"),
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


@dataclass(frozen=True)
class _CaseFacts:
    weight: int
    red: bool
    products: str
    country: str
    fair: str
    counterparties: tuple[tuple[str, str], ...]  # ("claimant" | "copier", name)


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
            fair = case.fair
            facts.append(
                _CaseFacts(
                    LEVEL_WEIGHT[case.level],
                    case.level is Level.RED,
                    case.products,
                    fair.country if fair else "",
                    fair.name if fair else "",
                    parties,
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


def enterprises(store: Store, flt: RiskFilter = RiskFilter()) -> RiskMap:
    facts = _load_cases(store, flt)
    rows: dict[str, RiskRow] = {}
    for case in facts:
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
            row.count += 1
            row.score += case.weight
            row.red += case.red
            row.detail[role] = row.detail.get(role, 0) + 1
    return RiskMap("enterprises", _ranked(rows.values()), filter=flt, cases_counted=len(facts))


def goods(store: Store, flt: RiskFilter = RiskFilter()) -> RiskMap:
    facts = _load_cases(store, flt)
    rows: dict[str, RiskRow] = {}

    def row_for(category: Category) -> RiskRow:
        if category.key not in rows:
            rows[category.key] = RiskRow(category.key, category.en, category.zh)
        return rows[category.key]

    for case in facts:
        row = row_for(classify_goods(case.products))
        row.count += 1
        row.score += case.weight
        row.red += case.red
    for alert in _alerts(store, flt):
        for name in alert.goods:
            category = _BY_KEY.get(name.lower()) or classify_goods(name)
            if category is UNCLASSIFIED:
                continue
            row = row_for(category)
            row.score += LEVEL_WEIGHT[alert.level]
            row.detail["alerts"] = row.detail.get("alerts", 0) + 1
    unclassified = rows.pop(UNCLASSIFIED.key, None)
    return RiskMap(
        "goods",
        _ranked(rows.values()),
        filter=flt,
        cases_counted=len(facts),
        unclassified=unclassified,
    )


def country_name(code: str, language: str | None = None) -> str:
    """The country's name in the UI language (the code itself when unknown)."""
    from fairdesk.i18n import current_language

    en, zh = COUNTRY_NAMES.get(code, (code, code))
    return zh if (language or current_language()).startswith("zh") else en


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
            row = country_row(case.country)
            row.count += 1
            row.score += case.weight
            row.red += case.red
        if case.fair:
            row = fair_row(case.fair)
            row.count += 1
            row.score += case.weight
            row.red += case.red
            row.detail["country:" + case.country] = 1
    for alert in _alerts(store, flt):
        weight = LEVEL_WEIGHT[alert.level]
        for code in alert.countries:
            if code.upper() == home:
                continue
            row = country_row(code)
            row.score += weight
            row.detail["alerts"] = row.detail.get("alerts", 0) + 1
        for name in alert.fairs:
            row = fair_row(name)
            row.score += weight
            row.detail["alerts"] = row.detail.get("alerts", 0) + 1
    ranked_countries = _ranked(countries.values())
    ranked_fairs = _ranked(fairs.values())
    # The ranked table is countries only (in score order); fairs are their own table.
    return RiskMap(
        "destinations", ranked_countries, ranked_countries, ranked_fairs, flt, len(facts)
    )


def compute(store: Store, kind: str, flt: RiskFilter = RiskFilter()) -> RiskMap:
    if kind == "enterprises":
        return enterprises(store, flt)
    if kind == "goods":
        return goods(store, flt)
    if kind == "destinations":
        return destinations(store, flt)
    raise ValueError(kind)


# Country names for the tables and the world view (the countries FairDesk users travel to;
# any other code is shown as the code itself).
COUNTRY_NAMES: dict[str, tuple[str, str]] = {
    "CN": ("China", "中国"),
    "HK": ("Hong Kong", "中国香港"),
    "TW": ("Taiwan", "中国台湾"),
    "JP": ("Japan", "日本"),
    "KR": ("South Korea", "韩国"),
    "SG": ("Singapore", "新加坡"),
    "IN": ("India", "印度"),
    "TH": ("Thailand", "泰国"),
    "VN": ("Vietnam", "越南"),
    "MY": ("Malaysia", "马来西亚"),
    "ID": ("Indonesia", "印度尼西亚"),
    "AU": ("Australia", "澳大利亚"),
    "AE": ("United Arab Emirates", "阿联酋"),
    "SA": ("Saudi Arabia", "沙特阿拉伯"),
    "TR": ("Türkiye", "土耳其"),
    "RU": ("Russia", "俄罗斯"),
    "DE": ("Germany", "德国"),
    "FR": ("France", "法国"),
    "IT": ("Italy", "意大利"),
    "ES": ("Spain", "西班牙"),
    "GB": ("United Kingdom", "英国"),
    "NL": ("Netherlands", "荷兰"),
    "BE": ("Belgium", "比利时"),
    "CH": ("Switzerland", "瑞士"),
    "AT": ("Austria", "奥地利"),
    "PL": ("Poland", "波兰"),
    "SE": ("Sweden", "瑞典"),
    "PT": ("Portugal", "葡萄牙"),
    "CZ": ("Czechia", "捷克"),
    "US": ("United States", "美国"),
    "CA": ("Canada", "加拿大"),
    "MX": ("Mexico", "墨西哥"),
    "BR": ("Brazil", "巴西"),
    "AR": ("Argentina", "阿根廷"),
    "CL": ("Chile", "智利"),
    "ZA": ("South Africa", "南非"),
    "EG": ("Egypt", "埃及"),
    "NG": ("Nigeria", "尼日利亚"),
    "KE": ("Kenya", "肯尼亚"),
    "MA": ("Morocco", "摩洛哥"),
    "UPC": ("Unified Patent Court", "统一专利法院"),
    "INT": ("All destinations", "所有目的地"),
}


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


def table(risk_map: RiskMap) -> list[list[str]]:
    """Header plus one line per ranked row, in the current language."""
    lines = [_headers()]
    for rank, row in enumerate(risk_map.rows, start=1):
        lines.append(
            [
                str(rank),
                row.label(),
                str(row.count),
                str(row.red),
                str(row.score),
                _detail_text(row),
            ]
        )
    return lines


def unclassified_note(risk_map: RiskMap) -> str:
    """The "classify these" prompt for goods that matched no HS chapter, else ""."""
    row = risk_map.unclassified
    if row is None or not row.count:
        return ""
    return _(
        "Unclassified (not ranked): {n} cases whose products concerned match no HS chapter. "
        "Classify them: name the product in the case (e.g. brake pads, LED lamp, 摩托车)."
    ).format(n=row.count)


def fairs_table(risk_map: RiskMap) -> list[list[str]]:
    """Destinations only: the fairs, ranked in their own table."""
    lines = [[_("Rank"), _("Fair"), _("Cases"), _("Red cases"), _("Score"), _("Details")]]
    for rank, row in enumerate(risk_map.fairs, start=1):
        lines.append(
            [
                str(rank),
                row.label(),
                str(row.count),
                str(row.red),
                str(row.score),
                _detail_text(row),
            ]
        )
    return lines


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
    if risk_map.fairs:
        story += [Spacer(1, 5 * mm), Paragraph(escape(_("Fairs")), body), Spacer(1, 2 * mm)]
        fair_data = [
            [Paragraph(escape(cell), body) for cell in line] for line in fairs_table(risk_map)
        ]
        fairs = Table(
            fair_data,
            colWidths=[12 * mm, 62 * mm, 16 * mm, 18 * mm, 16 * mm, 52 * mm],
            repeatRows=1,
        )
        fairs.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEF1F4")),
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#C4CAD2")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(fairs)
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
