"""A fair's name, city, venue and IP desk in the language of the document being written.

The database keeps one working copy of a fair (English name and city, the Chinese name,
the local name); the shipped catalogue (``resources/fairs/catalogue.json``) holds the
other languages. A Chinese complaint to the Canton Fair must say 中国进出口商品交易会 and
广州, not "Canton Fair" and "Guangzhou"; a German letter must not carry a Chinese name.
Every template value that comes from the catalogue goes through :func:`fair_texts`, so the
choice is made in one place:

* a value the user edited (it differs from the catalogue's English value) is kept as typed;
* otherwise the catalogue's value in the document's language is used (German falls back to
  English, which German legal text tolerates; Chinese never falls back to a Latin value);
* a value written in the other script (Chinese in a German or English document, Latin in a
  Chinese one) is left out rather than printed, where the sentence reads without it (venue).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fairdesk.fairs import FairRow, catalogue_entry

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Countries whose fairs carry a German local name a German document should use.
GERMAN_SPEAKING = frozenset({"DE", "AT", "CH", "LI"})


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


@dataclass(frozen=True)
class FairTexts:
    name: str = ""
    city: str = ""
    venue: str = ""
    desk: str = ""  # the organiser's IP desk as an addressee ("" = not known: a blank, no guess)


def _in_language(values: Mapping[str, Any], language: str) -> str:
    """The catalogue value in ``language``; German may fall back to English, Chinese not."""
    own = str(values.get(language) or "")
    if own or language == "zh":
        return own
    return str(values.get("en") or "")


def _fits(text: str, language: str) -> bool:
    """Is ``text`` written in the script of the document's language?"""
    return has_cjk(text) if language == "zh" else not has_cjk(text)


def fair_texts(fair: FairRow | None, language: str) -> FairTexts:
    """The fair's values as a document in ``language`` prints them (see the module doc)."""
    if fair is None:
        return FairTexts()
    entry = catalogue_entry(fair.catalogue_key) or {}
    names: Mapping[str, Any] = entry.get("name") or {}
    cities: Mapping[str, Any] = entry.get("city") or {}
    desk: Mapping[str, Any] = (entry.get("ip_desk") or {}).get("addressee") or {}

    if language == "zh":
        name = next(
            (n for n in (fair.name_zh, fair.name_local, str(names.get("zh") or "")) if has_cjk(n)),
            fair.name,  # a user's own fair with no Chinese name: its name as typed
        )
    elif language == "de" and fair.country in GERMAN_SPEAKING and _fits(fair.name_local, "de"):
        name = fair.name_local or fair.name
    else:
        name = fair.name

    city = fair.city
    if cities and fair.city == str(cities.get("en") or ""):  # not edited by the user
        city = _in_language(cities, language) or fair.city

    venue = fair.venue if _fits(fair.venue, language) else ""
    return FairTexts(
        name=name,
        city=city,
        venue=venue,
        desk=_in_language(desk, language) if desk else "",
    )
