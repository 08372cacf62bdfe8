"""The situation rules: for each situation, the cards shown first, the deadlines proposed (each
with what it counts from) and the documents suggested.

The rules are a table a lawyer can review without reading code:
``resources/rules/situations.csv`` (described in ``resources/rules/README.md``). Each row names
library entries and deadline rules by id and the sources (library reference numbers, as in
resources/reference/sources.json) its note rests on; ``check_rules`` refuses a table that names anything the library
does not have, or that breaks the standing rules below. A situation without a row is
*not covered*: guidance says so and falls back to the country's cards, never a guess.

Standing rules, checked on every row:
- a respondent is never offered a right-holder form (customs request, warning letter);
- once an order, seizure, raid or detention has happened, no pre-emptive protective letter;
- the right holder watching for copies is never offered a protective letter (the defence
  against the holder's own injunction);
- no row lists a card the library addresses to the other side (``addressed_to``).
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

from fairdesk.i18n import N_
from fairdesk.knowledge.library import Library, Text
from fairdesk.resources import resource_path
from fairdesk.situation import Event, OurRole, Situation, parse_key

# What a proposed deadline counts from. The first three are the moment recorded on the case as
# "served" (the papers, the seizure at the booth, the customs notice to us), so FairDesk can
# compute them; the others need a date FairDesk does not have.
ANCHORS: dict[str, str] = {
    "service": N_("counted from when the papers were served on you"),
    "seizure": N_("counted from the seizure at your booth"),
    "customs_notice": N_("counted from the customs notice to you"),
    "order_issued": N_("counted from the date the order was issued (stated in the order)"),
    "order_date": N_("counted from the date stated in the order"),
    "service_on_holder": N_(
        "counted from the order's service on the rights holder (or the judgment's "
        "pronouncement), not from its service on you"
    ),
    "customs_notification": N_("counted from customs' notification (ask customs for the date)"),
    "presentation": N_(
        "counted from the presentation of the goods for examination (ask customs for the date)"
    ),
    "in_order": N_("the date is stated in the order"),
    # A warning letter sets its own deadline (often the same day): the letter's date, not one
    # FairDesk computes from the fair's hours.
    "in_letter": N_("the date is stated in the letter"),
    "filing": N_("counted from the filing date"),
    # Our own order and seizure: dates in our papers, which FairDesk does not have.
    "our_service": N_(
        "counted from the order's service on you as the applicant (or the judgment's pronouncement)"
    ),
    "our_seizure": N_("counted from the day of the seizure, as stated in the bailiff's report"),
    "none": N_("no date to count: for information"),
}
COMPUTED_ANCHORS = frozenset({"service", "seizure", "customs_notice"})

HOLDER_FORMS = frozenset({"customs_request", "warning_letter"})
PRE_EMPTIVE = frozenset({"protective_letter"})
AFTER_THE_FACT = frozenset(
    {
        Event.EX_PARTE_ORDER_SERVED,
        Event.BAILIFF_SEIZURE,
        Event.POLICE_RAID,
        Event.CUSTOMS_DETENTION_OF_OUR_GOODS,
        Event.OUR_COURT_ORDER,
        Event.OUR_SEIZURE,
    }
)
DOCUMENT_KINDS = (
    "panel_response",
    "non_infringement",
    "evidence_report",
    "customs_request",
    "protective_letter",
    "warning_letter",
    "hq_notification",
)
RULES_FILE = ("rules", "situations.csv")


@dataclass(frozen=True)
class DeadlineRef:
    spec_id: str  # a deadline rule of one of the library's entries
    anchor: str  # a key of ANCHORS


@dataclass(frozen=True)
class SituationRule:
    situation: Situation
    cards: tuple[str, ...]  # library entry ids, shown first in this order
    deadlines: tuple[DeadlineRef, ...]
    documents: tuple[str, ...]
    note: Text  # why, with the source numbers it rests on
    gap: Text | None  # what the library does not say for this situation


class RulesError(ValueError):
    """The rules table is malformed or names something that does not exist."""


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def parse_rules(path: Path) -> dict[str, SituationRule]:
    """Read the table; a malformed row raises RulesError naming the row."""
    rules: dict[str, SituationRule] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                situation = parse_key(row["situation"])
                deadlines = []
                for cell in _split(row["deadlines"]):
                    spec_id, _sep, anchor = cell.partition("@")
                    if anchor not in ANCHORS:
                        raise ValueError(f"deadline {cell!r}: anchor must be one of {set(ANCHORS)}")
                    deadlines.append(DeadlineRef(spec_id.strip(), anchor))
                refs = tuple(int(r) for r in _split(row["refs"]))
            except (KeyError, ValueError) as exc:
                raise RulesError(f"{path.name} line {line}: {exc}") from exc
            key = situation.key()
            if key in rules:
                raise RulesError(f"{path.name} line {line}: {key} appears twice")
            gap = (
                Text(row["gap_en"].strip(), row["gap_zh"].strip())
                if row["gap_en"].strip()
                else None
            )
            rules[key] = SituationRule(
                situation,
                tuple(_split(row["cards"])),
                tuple(deadlines),
                tuple(_split(row["documents"])),
                Text(row["note_en"].strip(), row["note_zh"].strip(), refs),
                gap,
            )
    return rules


@functools.cache
def shipped_rules() -> dict[str, SituationRule]:
    return parse_rules(resource_path(*RULES_FILE))


def rule_for(situation: Situation) -> SituationRule | None:
    """The row for exactly this situation, or None: not covered (no nearest-match guessing)."""
    return shipped_rules().get(situation.key())


def check_rules(rules: dict[str, SituationRule], library: Library) -> list[str]:
    """Everything wrong with the table against ``library`` (empty when it is sound)."""
    problems: list[str] = []
    entries = {e.id: e for e in library.entries}
    sources = {s.ref for e in library.entries for s in e.sources}
    for key, rule in rules.items():
        specs: dict[str, str] = {}
        for card in rule.cards:
            entry = entries.get(card)
            if entry is None:
                problems.append(f"{key}: no library entry {card}")
                continue
            if entry.addressed_to not in (None, rule.situation.side):
                problems.append(f"{key}: the card {card} is for the other side")
            specs.update({spec.id: card for spec in entry.deadlines})
        for ref in rule.deadlines:
            if ref.spec_id not in specs:
                problems.append(f"{key}: deadline {ref.spec_id} is not on one of its cards")
        for doc in rule.documents:
            if doc not in DOCUMENT_KINDS:
                problems.append(f"{key}: unknown document kind {doc}")
        if rule.situation.role is OurRole.RESPONDENT and HOLDER_FORMS & set(rule.documents):
            problems.append(f"{key}: a right-holder form offered to a respondent")
        if rule.situation.event in AFTER_THE_FACT and PRE_EMPTIVE & set(rule.documents):
            problems.append(f"{key}: a pre-emptive protective letter after the fact")
        if rule.situation.role is OurRole.HOLDER_WATCH and PRE_EMPTIVE & set(rule.documents):
            problems.append(f"{key}: a protective letter offered to the right holder")
        for ref_no in rule.note.refs:
            if ref_no not in sources:
                problems.append(f"{key}: source [{ref_no}] is not in the library")
        if rule.note.en and not rule.note.refs:
            problems.append(f"{key}: the note states something without a source")
        if bool(rule.note.en) != bool(rule.note.zh):
            problems.append(f"{key}: the note needs both English and Chinese")
        if rule.gap is not None and not rule.gap.zh:
            problems.append(f"{key}: the gap needs both English and Chinese")
    return problems
