"""Country outlines for the destinations map, decoded from the shipped TopoJSON (Natural Earth
1:110m admin-0, public domain; see resources/geo/README.md). Pure Python, no Qt: the UI turns
the rings into painter paths.
"""

from __future__ import annotations

import json
from functools import cache

from fairdesk.resources import resource_path

# ISO 3166-1 numeric → alpha-2 for the countries FairDesk names (riskmaps.COUNTRY_NAMES).
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
