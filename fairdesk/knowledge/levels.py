"""The country-based level hint: where courts can act ex parte, a case cannot stay blue.

In Germany, the USA, France, Spain or Hong Kong a rights holder can obtain an injunction, TRO
or seizure without hearing the exhibitor first, within hours (DOMAIN.md §1). A risk notice or
watch item against us there is therefore at least **yellow**. The list of countries comes
from the reference library (instrument entries with ``ex_parte: true``), so an HQ update can
change it. This module imports no case services so that ``fairdesk.cases`` can use it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fairdesk.errors import ValidationError
from fairdesk.i18n import _
from fairdesk.knowledge.library import Library, current_library, normalise_country
from fairdesk.model import Direction, Level

log = logging.getLogger(__name__)
HINT_RULE = "R6"  # the triage rule id (see fairdesk.triage)


@dataclass(frozen=True)
class LevelHint:
    level: Level
    country: str
    reason: str  # translated sentence
    entries: tuple[str, ...]  # library entries with ex-parte measures


def explain_level_hint(country: str, library: Library | None = None) -> LevelHint | None:
    """The minimum level for a case against us in ``country``, with the reason, or None."""
    if not country:
        return None
    code = normalise_country(country)
    library = library or current_library()
    ex_parte = [e for e in library.for_country(code, kinds=("instrument",)) if e.ex_parte]
    if not ex_parte:
        return None
    names = "; ".join(e.title.get() for e in ex_parte)
    reason = _(
        "In {country} a court or the police can act ex parte, within hours, without "
        "hearing you first ({measures}): a case there is at least yellow."
    ).format(country=code, measures=names)
    return LevelHint(Level.YELLOW, code, reason, tuple(e.id for e in ex_parte))


def level_hint(country: str, library: Library | None = None) -> Level | None:
    """The level an ex-parte country raises a case to (yellow), or None for other countries."""
    hint = explain_level_hint(country, library)
    return hint.level if hint else None


def level_floor(direction: Direction, country: str) -> Level | None:
    """What ``triage.assess`` gets as ``floor``: only cases against us are raised."""
    if direction is not Direction.AGAINST_US:
        return None
    try:
        return level_hint(country)
    except (OSError, ValueError, ValidationError):  # a broken library must never block a save
        log.exception("level hint unavailable")
        return None
