"""Where each document kind applies, and whether it fits a case.

Every kind declares, in ``<kind>/kind.toml`` beside its language folders, the side we must be
on, the situations (events) it answers, the jurisdictions whose courts or authorities it is
written for, the right kinds it can be about, and who signs it. The documents tab and
``guidance.documents`` offer only kinds that fit the case; rendering a kind for a case it does
not fit is refused with one sentence saying why — a protective letter naming the wrong court
is as harmful as a lost photo.

An empty list means "any". A kind without ``kind.toml`` (a lawyer's own template) fits every
case: the lawyer who wrote it decides where it is used.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fairdesk import cases
from fairdesk.errors import ValidationError
from fairdesk.i18n import N_, _
from fairdesk.model import Direction
from fairdesk.situation import EVENT_LABELS, ROLE_LABELS, Event, OurRole, Situation
from fairdesk.situation import default_situation as _default_situation

KIND_FILE = "kind.toml"
SIGNERS = ("company", "counsel", "recipient", "staff", "none")


# Who a kind is for, completing "… is for {needed}".
ROLE_NEEDS: dict[OurRole, str] = {
    OurRole.RESPONDENT: N_("the side the papers are against"),
    OurRole.COMPLAINANT: N_("the right holder acting against a copy"),
    OurRole.WATCH: N_("preparing before anything is served"),
    OurRole.HOLDER_WATCH: N_("the right holder watching for copies"),
}


class NotApplicableError(ValidationError):
    """The kind does not fit the case (wrong side, country, situation or right)."""


@dataclass(frozen=True)
class Declaration:
    kind: str
    roles: tuple[str, ...] = ()  # OurRole values; empty = any
    events: tuple[str, ...] = ()  # Event values; empty = any
    jurisdictions: tuple[str, ...] = ()  # the situation's jurisdiction (ISO code or UPC)
    countries: tuple[str, ...] = ()  # the fair's country, where that matters (phrase cards)
    right_kinds: tuple[str, ...] = ()  # RightKind values; empty = any
    right_offices: tuple[str, ...] = ()  # an office text must contain one of these, e.g. "EP"
    # Offered only once such a right is recorded: a UPC protective letter is about a European
    # or unitary patent, and with no right recorded nobody knows there is one.
    needs_right: bool = False
    signer: str = "company"  # company | counsel | recipient | staff | none
    draft_for_counsel: bool = False
    addressee: str = ""  # whom it is sent to or filed with, in words for the cover sheet
    sources: tuple[str, ...] = ()  # where the scope comes from (sources.json numbers, URLs)
    # Words that identify the document's own deadline among the case's deadlines; a document
    # names only that one, never "the next deadline, whatever it is".
    deadline_words: tuple[str, ...] = ()
    # The kind's title in interface languages it has no template in (a phrase card is written
    # in German only, its title in the Chinese interface is Chinese): (language, title) pairs.
    titles: tuple[tuple[str, str], ...] = ()

    def title_in(self, language: str) -> str:
        return next((t for lang, t in self.titles if lang == language), "")

    def as_json(self) -> dict[str, Any]:
        return {
            "roles": list(self.roles),
            "events": list(self.events),
            "jurisdictions": list(self.jurisdictions),
            "countries": list(self.countries),
            "right_kinds": list(self.right_kinds),
            "right_offices": list(self.right_offices),
            "needs_right": self.needs_right,
            "signer": self.signer,
            "draft_for_counsel": self.draft_for_counsel,
            "addressee": self.addressee,
            "sources": list(self.sources),
            "deadline_words": list(self.deadline_words),
        }


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value or ())


def declaration(kind: str, roots: Sequence[Path]) -> Declaration:
    """The declaration of ``kind`` from the first root that has its ``kind.toml``."""
    for root in roots:
        path = root / kind / KIND_FILE
        if path.is_file():
            try:
                with path.open("rb") as handle:
                    data = tomllib.load(handle)
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ValidationError(
                    _("The document kind file {file} cannot be read: {error}").format(
                        file=path, error=exc
                    )
                ) from exc
            applies = dict(data.get("applies", {}))
            signer = str(data.get("signer", "company"))
            return Declaration(
                kind=kind,
                roles=_strings(applies.get("roles")),
                events=_strings(applies.get("events")),
                jurisdictions=tuple(j.upper() for j in _strings(applies.get("jurisdictions"))),
                countries=tuple(c.upper() for c in _strings(applies.get("countries"))),
                right_kinds=_strings(applies.get("right_kinds")),
                right_offices=_strings(applies.get("right_offices")),
                needs_right=applies.get("needs_right") is True,
                signer=signer if signer in SIGNERS else "company",
                draft_for_counsel=bool(data.get("draft_for_counsel", False)),
                addressee=str(data.get("addressee", "")),
                sources=_strings(data.get("sources")),
                deadline_words=_strings(data.get("deadline_words")),
                titles=tuple(
                    (str(lang), str(title))
                    for lang, title in dict(data.get("titles", {})).items()
                    if isinstance(title, str) and title.strip()
                ),
            )
    return Declaration(kind=kind)


@dataclass(frozen=True)
class CaseFacts:
    """What applicability looks at: the situation and the rights in issue."""

    situation: Situation
    country: str
    rights: tuple[tuple[str, str], ...]  # (right kind, office) of the rights in issue


def facts_of(detail: cases.CaseDetail) -> CaseFacts:
    """The case's situation and the rights in issue for our side of it.

    Against us, the rights in issue are the ones asserted against us; by us, our own.
    """
    country = (detail.fair.country if detail.fair else "") or ""
    reading = getattr(detail, "situation", None)  # the situation in force (or a correction)
    situation = (
        reading.situation
        if reading is not None
        else _default_situation(detail.case.trigger, detail.case.direction, country)
    )
    ours = detail.case.direction is Direction.BY_US
    rights = tuple(
        (str(getattr(r.kind, "value", r.kind)), r.office or "")
        for r in detail.rights
        if r.asserted_by_us == ours
    )
    return CaseFacts(situation, country.upper(), rights)


def refusal(decl: Declaration, facts: CaseFacts, title: str) -> str | None:
    """One sentence saying why ``decl`` does not fit, or None when it fits."""
    sit = facts.situation
    if decl.roles and sit.role.value not in decl.roles:
        needed = _(" or ").join(
            _(ROLE_NEEDS[OurRole(r)]) for r in decl.roles if r in OurRole._value2member_map_
        )
        return _("{title} is for {needed}; in this case {role}.").format(
            title=title, needed=needed, role=_(ROLE_LABELS[sit.role])
        )
    where = sit.jurisdiction or facts.country
    if decl.jurisdictions and where not in decl.jurisdictions:
        if where and where != facts.country:  # e.g. the order came from the UPC
            return _("{title} is written for {places}; this case is before {where}.").format(
                title=title, places=", ".join(decl.jurisdictions), where=where
            )
        return _("{title} is written for {places}; this case's fair is in {country}.").format(
            title=title,
            places=", ".join(decl.jurisdictions),
            country=facts.country or _("no known country"),
        )
    if decl.countries and facts.country not in decl.countries:
        return _("{title} is written for {places}; this case's fair is in {country}.").format(
            title=title,
            places=", ".join(decl.countries),
            country=facts.country or _("no known country"),
        )
    if decl.events and sit.event.value not in decl.events:
        return _("{title} does not answer this case's situation ({event}).").format(
            title=title, event=_(EVENT_LABELS[sit.event])
        )
    if decl.needs_right and not facts.rights:
        return _(
            "{title} needs a right in issue ({needed}); none is recorded in this case: add it "
            "on the Rights tab first."
        ).format(
            title=title,
            needed=" / ".join(
                [k.replace("_", " ") for k in decl.right_kinds] + list(decl.right_offices)
            ),
        )
    if decl.right_kinds or decl.right_offices:
        for kind, office in facts.rights:
            if decl.right_kinds and kind not in decl.right_kinds:
                return _(
                    "{title} cannot be used for the right in this case ({kind}, {office}): "
                    "it needs {needed}."
                ).format(
                    title=title,
                    kind=kind.replace("_", " "),
                    office=office or "—",
                    needed=" / ".join(k.replace("_", " ") for k in decl.right_kinds),
                )
            if decl.right_offices and not any(
                token in office.upper() for token in decl.right_offices
            ):
                return _(
                    "{title} cannot be used for the right in this case ({kind}, {office}): "
                    "it needs a right granted by {offices}."
                ).format(
                    title=title,
                    kind=kind.replace("_", " "),
                    office=office or "—",
                    offices=" / ".join(decl.right_offices),
                )
    return None


__all__ = [
    "KIND_FILE",
    "SIGNERS",
    "CaseFacts",
    "Declaration",
    "Event",
    "NotApplicableError",
    "OurRole",
    "declaration",
    "facts_of",
    "refusal",
]
