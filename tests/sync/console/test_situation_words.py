"""The console shows a case's situation in words (zh and en), never `trigger/direction` raw.

The words are the device's own sentences (fairdesk/situation.py, fairdesk/enums.py), so their
Chinese comes from the same catalog; a sentence HQ uses that the catalog lacks fails here.
"""

from __future__ import annotations

import re

import pytest

from sync.server import situation
from sync.server.console.i18n import translate

_LATIN = re.compile(r"[A-Za-z]")


def test_every_phrase_hq_uses_has_chinese() -> None:
    phrases = [
        *situation.EVENT_LABELS.values(),
        *situation.ROLE_LABELS.values(),
        *situation.TRIGGER_LABELS.values(),
        *situation.DIRECTION_LABELS.values(),
        situation.UPC_LABEL,
        "no country",
        "{event}, {where} — {role}",
    ]
    missing = [p for p in phrases if translate(p, "zh_CN") == p]
    assert missing == []


@pytest.mark.parametrize(
    ("key", "english"),
    [
        (
            "respondent/ex_parte_order_served/DE",
            "Served: ex-parte court order, Germany — you are the respondent",
        ),
        (
            "watch/risk_notice/UPC",
            "Risk notice, Unified Patent Court (UPC) — nothing is pending against you yet",
        ),
        (
            "complainant/our_seizure/FR",
            "Seizure or description at our request, France — you are the complainant",
        ),
        (
            "holder_watch/risk_notice/DE",
            "Risk notice, Germany — you hold the rights and are watching for copies",
        ),
        (
            "complainant/copy_spotted/-",
            "Copy of our product spotted, no country — you are the complainant",
        ),
        ("warning_letter/against_us", "Warning letter — Against us (we were served)"),
    ],
)
def test_situations_read_as_sentences(key: str, english: str) -> None:
    assert situation.describe(key, "en") == english
    chinese = situation.describe(key, "zh_CN")
    assert "_" not in chinese and key not in chinese
    # Only the UPC's abbreviation stays in Latin letters.
    assert not _LATIN.search(chinese.replace("UPC", "")), chinese


def test_the_summary_stores_the_situation_the_device_reads() -> None:
    case = {"trigger": "court_order", "direction": "against_us"}
    court = [("party", {"role": "court", "name": "Unified Patent Court", "organisation": "LD"})]
    reading = situation.read(case, "de", court)
    assert reading is not None and reading.key() == "respondent/ex_parte_order_served/UPC"
    assert reading.floor_country == "DE"  # a UPC measure is enforced in the fair's country
    fixed = situation.read({**case, "situation_override": "watch/risk_notice/CN"}, "DE", [])
    assert fixed is not None and (fixed.rule_trigger, fixed.floor_country) == ("risk_notice", "CN")
    # Our own seizure: the holder's, at the UPC when the UPC ordered it (as on the device).
    seized = {"trigger": "seizure", "direction": "by_us"}
    ours_fr = situation.read(seized, "FR", [])
    assert ours_fr is not None and ours_fr.key() == "complainant/our_seizure/FR"
    ours_upc = situation.read(seized, "FR", court)
    assert ours_upc is not None and ours_upc.key() == "complainant/our_seizure/UPC"
    assert ours_upc.floor_country is None
    # Our own watch item: the holder's watch, never the floor of a case against us (R6).
    ours = situation.read({"trigger": "watch", "direction": "by_us"}, "DE", [])
    assert ours is not None and (ours.key(), ours.floor_country) == (
        "holder_watch/risk_notice/DE",
        None,
    )
