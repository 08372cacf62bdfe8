"""A destination's legal risk profile, from the reference library only, beside its case counts.

Four aspects the action plan asks for (destinations at risk): how fast a court can act without
hearing us (ex parte), customs, a criminal route, and typical damages. Each aspect lists the
library cards (instruments) that source it; an aspect no card covers is a **gap**, shown as a
gap ("no sourced card"), never as "not possible". Which card belongs to which aspect:

* ex parte: instrument cards flagged ``ex_parte`` (the same flag triage rule R6 reads);
* customs: instrument cards whose id names customs (``de.customs``, ``us.cbp``,
  ``eu.customs-holder`` for the EU members it applies in);
* criminal route: instrument cards whose id names a criminal procedure (``de.criminal``);
* typical damages: no card in the library states typical damage awards yet, so this is a gap
  everywhere until HQ publishes one (a card id containing ``damages``).

Nothing here is worded by FairDesk: the profile shows the card titles, and the card itself (with
its sources) is one click away in the library.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fairdesk.fairs import FairRow
from fairdesk.i18n import N_, current_language
from fairdesk.knowledge.library import Entry, Library

ASPECTS: dict[str, str] = {
    "ex_parte": N_("Ex-parte measures"),
    "customs": N_("Customs"),
    "criminal": N_("Criminal route"),
    "damages": N_("Typical damages"),
}


@dataclass(frozen=True)
class Aspect:
    key: str  # ex_parte | customs | criminal | damages
    cards: tuple[Entry, ...]  # the sourcing cards; empty = a gap

    @property
    def gap(self) -> bool:
        return not self.cards

    def titles(self, language: str | None = None) -> list[str]:
        return [c.title.get(language) for c in self.cards]


def _matches(entry: Entry, key: str) -> bool:
    if key == "ex_parte":
        return entry.ex_parte
    if key == "customs":
        return "customs" in entry.id or entry.id.endswith(".cbp")
    if key == "criminal":
        return "criminal" in entry.id
    return "damages" in entry.id


def profile(country: str, library: Library) -> tuple[Aspect, ...]:
    """The four aspects for one country, each with the cards that source it."""
    cards = library.for_country(country, kinds=("instrument",))
    return tuple(
        Aspect(key, tuple(c for c in cards if c.sources and _matches(c, key))) for key in ASPECTS
    )


GOODS_ASPECTS: dict[str, str] = {
    "seizure": N_("Seizure at the fair or border"),
    "section_337": N_("Section 337 (US imports)"),
    "sep": N_("Standard-essential patents"),
}


def goods_exposure(countries: list[str], library: Library) -> tuple[Aspect, ...]:
    """A priority industry's exposure, from sourced cards only: seizure (customs cards and
    ex-parte seizure cards of the countries where the industry's cases are), Section 337 (the
    ITC card, any industry exporting to the US) and standard-essential patents (a card whose id
    names SEP or FRAND; none yet, so a gap)."""
    seizure: dict[str, Entry] = {}
    for code in countries:
        for card in library.for_country(code, kinds=("instrument",)):
            if card.sources and (_matches(card, "customs") or "saisie" in card.id):
                seizure.setdefault(card.id, card)
    instruments = [e for e in library.entries if e.kind == "instrument" and e.sources]
    return (
        Aspect("seizure", tuple(seizure.values())),
        Aspect("section_337", tuple(e for e in instruments if "337" in e.id)),
        Aspect(
            "sep",
            tuple(
                e for e in instruments if "sep" in e.id.split(".")[-1].split("-") or "frand" in e.id
            ),
        ),
    )


def upcoming_fairs(fairs: list[FairRow], country: str, today: date) -> list[FairRow]:
    """The fair calendar for one country: fairs not yet over, soonest first (undated last)."""
    code = country.upper()
    live = [f for f in fairs if f.country.upper() == code and (f.ends_on or today) >= today]
    return sorted(live, key=lambda f: (f.starts_on is None, f.starts_on or today, f.name))


def fair_name(fair: FairRow, language: str | None = None) -> str:
    zh = (language or current_language()).startswith("zh")
    return fair.name_zh if zh and fair.name_zh else fair.name
