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
