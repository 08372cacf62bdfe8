"""The destinations map draws real country outlines (Natural Earth, shipped) shaded by score."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF
from pytestqt.qtbot import QtBot

from fairdesk.geo import countries


def test_shapes_decode_to_real_countries() -> None:
    shapes = {code: rings for code, _name, rings in countries() if code}
    assert len(countries()) == 177
    lons = [lon for ring in shapes["DE"] for lon, _lat in ring]
    lats = [lat for ring in shapes["DE"] for _lon, lat in ring]
    # Germany lies between about 5.9–15.0 °E and 47.3–55.1 °N.
    assert 5.5 < min(lons) < 6.5 and 14.5 < max(lons) < 15.5
    assert 47.0 < min(lats) < 47.6 and 54.5 < max(lats) < 55.2


def test_map_shades_scored_countries_and_lists_those_too_small(
    qtbot: QtBot, tmp_path: Path
) -> None:
    from ui.knowledge.geomap import GeoWorldMap

    world = GeoWorldMap()
    qtbot.addWidget(world)
    world.resize(720, 400)
    world.set_scores({"DE": 13, "US": 4, "HK": 2})
    rect = world._map_rect()
    # Berlin (13.4 °E, 52.5 °N) projected: inside Germany's outline.
    x = rect.left() + (13.4 + 180) * rect.width() / 360
    y = (84 - 52.5) * rect.height() / 142
    assert world.tile_at(QPointF(x, y)) == "DE"
    assert world.colour("DE").name() == "#c62828" and world.colour("FR").name() == "#e4e7eb"
    assert world.not_drawn() == ["HK"]  # not in the 1:110m shapes: listed, not hidden
    image = world.grab().toImage()
    assert image.pixelColor(int(x), int(y)).name() == "#c62828"
    assert world.grab().save(str(tmp_path / "geo.png"))
