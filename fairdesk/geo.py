"""Countries: their names (English and Chinese, for tables, maps and documents) and their
outlines for the destinations map, decoded from the shipped TopoJSON (Natural Earth 1:110m
admin-0, public domain; see resources/geo/README.md). Pure Python, no Qt: the UI turns the
rings into painter paths.
"""

from __future__ import annotations

import json
from functools import cache

from fairdesk.resources import resource_path

# ISO 3166-1 numeric → alpha-2 for the countries FairDesk names (COUNTRY_NAMES below).
NUMERIC_TO_ALPHA2: dict[str, str] = {
    "156": "CN", "344": "HK", "158": "TW", "392": "JP", "410": "KR", "702": "SG",
    "356": "IN", "764": "TH", "704": "VN", "458": "MY", "360": "ID", "036": "AU",
    "784": "AE", "682": "SA", "792": "TR", "643": "RU", "276": "DE", "250": "FR",
    "380": "IT", "724": "ES", "826": "GB", "528": "NL", "056": "BE", "756": "CH",
    "040": "AT", "616": "PL", "752": "SE", "620": "PT", "203": "CZ", "840": "US",
    "124": "CA", "484": "MX", "076": "BR", "032": "AR", "152": "CL", "710": "ZA",
    "818": "EG", "566": "NG", "404": "KE", "504": "MA",
}  # fmt: skip

Ring = list[tuple[float, float]]  # (longitude, latitude)


@cache
def countries() -> tuple[tuple[str, str, tuple[Ring, ...]], ...]:
    """(alpha-2 or "" when FairDesk has no code for it, name, rings) per country."""
    data = json.loads(resource_path("geo", "countries-110m.json").read_text(encoding="utf-8"))
    (sx, sy), (tx, ty) = data["transform"]["scale"], data["transform"]["translate"]
    arcs: list[Ring] = []
    for arc in data["arcs"]:  # delta-encoded, quantised positions
        x = y = 0
        points: Ring = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)

    def ring(indexes: list[int]) -> Ring:
        out: Ring = []
        for i in indexes:
            part = arcs[i] if i >= 0 else arcs[~i][::-1]  # negative index: reversed arc
            out.extend(part[1:] if out else part)
        return out

    result = []
    for geometry in data["objects"]["countries"]["geometries"]:
        kind = geometry.get("type")
        polygons = (
            [geometry["arcs"]]
            if kind == "Polygon"
            else geometry["arcs"]
            if kind == "MultiPolygon"
            else []
        )
        rings = tuple(ring(r) for polygon in polygons for r in polygon)
        code = NUMERIC_TO_ALPHA2.get(str(geometry.get("id", "")), "")
        result.append((code, str(geometry.get("properties", {}).get("name", "")), rings))
    return tuple(result)


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


def country_name(code: str, language: str | None = None) -> str:
    """The country's name in the UI language (the code itself when unknown)."""
    from fairdesk.i18n import current_language

    en, zh = COUNTRY_NAMES.get(code, (code, code))
    return zh if (language or current_language()).startswith("zh") else en
