"""Offline library search finds entries by Chinese words and English words."""

from __future__ import annotations

from fairdesk.knowledge import library
from fairdesk.knowledge.search import search


def _ids(lib: library.Library, query: str, **kw: str) -> list[str]:
    return [hit.entry.id for hit in search(lib, query, **kw)]  # type: ignore[arg-type]


def test_a_two_character_chinese_word_is_found_inside_longer_text(shipped: library.Library) -> None:
    found = _ids(shipped, "禁令")  # "injunction", inside runs such as 临时禁令
    assert {"de.injunction", "hk.injunction", "jp.injunction"} <= set(found)
    assert "fr.saisie" not in found
    assert _ids(shipped, "保护函")[:3] and "de.protective-letter" in _ids(shipped, "保护函")


def test_english_words_match_all_terms_and_prefixes(shipped: library.Library) -> None:
    found = _ids(shipped, "protective letter")
    assert {"de.protective-letter", "upc.protective-letter"} <= set(found)
    assert _ids(shipped, "Hamburger Bra") == ["de.warning-letter"]  # prefix while typing
    assert _ids(shipped, "saisie")[0] == "fr.saisie"


def test_filters_and_nonsense(shipped: library.Library) -> None:
    assert _ids(shipped, "protective letter", country="UPC")[0] == "upc.protective-letter"
    # UPC entries also apply in Germany.
    assert "upc.protective-letter" in _ids(shipped, "protective letter", country="DE")
    assert _ids(shipped, "!!! ???") == []
    assert _ids(shipped, "xylophone") == []


def test_common_country_names_and_customs_words_find_the_cards(shipped: library.Library) -> None:
    # Issue 14: "UK", "customs seizure US", "CBP", "美国 海关 扣押" used to find nothing.
    for alias in ("UK", "GB", "Britain", "英国", "United Kingdom"):
        found = _ids(shipped, alias)
        assert {"gb.injunction", "gb.customs", "gb.next-hour"} <= set(found), alias
    for alias in ("US", "USA", "美国"):
        assert {"us.tro", "us.cbp"} <= set(_ids(shipped, alias)), alias
    for alias in ("UPC", "统一专利法院"):
        assert "upc.provisional-measures" in _ids(shipped, alias), alias
    for query in ("customs seizure US", "CBP", "美国 海关 扣押"):
        assert _ids(shipped, query)[0] == "us.cbp", query
    assert _ids(shipped, "608/2013")[0] == "eu.customs-holder"
    assert "eu.customs-holder" in _ids(shipped, "customs", country="IT")
    assert _ids(shipped, "Widerspruch")[0] == "de.widerspruch"
