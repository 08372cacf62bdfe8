"""A destination's legal risk profile comes only from sourced library cards; gaps stay gaps."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from fairdesk.fairs import list_fairs
from fairdesk.knowledge import riskprofile
from fairdesk.knowledge.library import load_shipped
from fairdesk.store import Store


def _ids(aspects: tuple[riskprofile.Aspect, ...]) -> dict[str, set[str]]:
    return {a.key: {c.id for c in a.cards} for a in aspects}


def test_germany_has_sourced_ex_parte_customs_and_criminal_cards_and_a_damages_gap() -> None:
    lib = load_shipped()
    de = _ids(riskprofile.profile("DE", lib))
    assert "de.injunction" in de["ex_parte"] and "de.criminal" in de["ex_parte"]
    assert {"de.customs", "eu.customs-holder"} <= de["customs"]
    assert de["criminal"] == {"de.criminal"}
    assert de["damages"] == set()  # no card states typical damages: a gap, not a guess
    us = _ids(riskprofile.profile("US", lib))
    assert us["ex_parte"] == {"us.tro"} and us["customs"] == {"us.cbp"}
    assert us["criminal"] == set()
    # Every card shown has sources (the library's own rule; checked here as the map relies on it).
    for aspect in riskprofile.profile("DE", lib):
        assert all(card.sources for card in aspect.cards)
    # A country with no cards at all: every aspect is a gap.
    assert all(a.gap for a in riskprofile.profile("BR", lib))


def test_a_card_without_sources_is_not_shown() -> None:
    lib = load_shipped()
    original = lib.get("de.customs")
    assert original is not None
    bare = replace(original, sources=())
    lib2 = replace(lib, entries=tuple(bare if e.id == "de.customs" else e for e in lib.entries))
    assert "de.customs" not in _ids(riskprofile.profile("DE", lib2))["customs"]


def test_upcoming_fair_calendar_per_country(demo_store: Store) -> None:
    fairs = list_fairs(demo_store)
    de = [f for f in fairs if f.country == "DE" and f.starts_on]
    assert de
    first = min(f.starts_on for f in de if f.starts_on)
    calendar = riskprofile.upcoming_fairs(fairs, "DE", first)
    assert calendar and all(f.country == "DE" for f in calendar)
    dated = [f.starts_on for f in calendar if f.starts_on]
    assert dated == sorted(dated)
    # A fair that ended before "today" is not upcoming.
    ended = [f for f in de if f.ends_on]
    later = max(f.ends_on for f in ended) if ended else None  # type: ignore[type-var]
    if later is not None:
        after = riskprofile.upcoming_fairs(fairs, "DE", date.fromordinal(later.toordinal() + 1))
        assert all(f.ends_on is None for f in after)


def test_priority_industry_exposure_from_sourced_cards_with_the_sep_gap(
    demo_store: Store,
) -> None:
    from fairdesk.knowledge import riskmaps
    from tests.fairdesk.knowledge.test_riskmaps_plan import YEAR_2020, _fill

    _fill(demo_store)
    lib = load_shipped()
    m = riskmaps.goods(demo_store, YEAR_2020)
    electronics = next(r for r in m.industries if r.key == "electronic_info")
    where = sorted(k[8:] for k in electronics.detail if k.startswith("country:"))
    assert where == ["DE", "US"]  # the smartphones at a German fair, the router in the US
    exposure = _ids(riskprofile.goods_exposure(where, lib))
    assert {"de.customs", "eu.customs-holder", "us.cbp"} <= exposure["seizure"]
    assert exposure["section_337"] == {"us.itc-337"}
    assert exposure["sep"] == set()  # no SEP card in the library: shown as a gap
    # A US-only exposure does not borrow Germany's customs card.
    assert "de.customs" not in _ids(riskprofile.goods_exposure(["US"], lib))["seizure"]
