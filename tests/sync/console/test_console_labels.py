"""The console's words for stored values are the desktop's, and are translated into Chinese."""

from __future__ import annotations

import pytest

from fairdesk.enums import LABELS as DESKTOP_LABELS
from fairdesk.enums import TIMELINE_LABELS, Level, PartyRole, RightKind, Status
from fairdesk.evidence.vocab import KIND_LABELS as EVIDENCE_LABELS
from sync.server.console.i18n import translate
from sync.server.console.labels import LABELS, label

VOCABULARIES = {
    "status": {s.value: DESKTOP_LABELS[s] for s in Status},
    "level": {v.value: DESKTOP_LABELS[v] for v in Level},
    "role": {r.value: DESKTOP_LABELS[r] for r in PartyRole},
    "right": {k.value: DESKTOP_LABELS[k] for k in RightKind},
    "evidence": dict(EVIDENCE_LABELS),
    "timeline": dict(TIMELINE_LABELS),
}


@pytest.mark.parametrize("vocabulary", sorted(VOCABULARIES))
def test_the_console_says_what_the_desktop_says(vocabulary: str) -> None:
    assert LABELS[vocabulary] == VOCABULARIES[vocabulary]


@pytest.mark.parametrize("vocabulary", sorted(VOCABULARIES))
def test_every_word_has_its_chinese(vocabulary: str) -> None:
    same_in_chinese = {"PDF"}
    untranslated = [
        w
        for w in LABELS[vocabulary].values()
        if translate(w, "zh_CN") == w and w not in same_in_chinese
    ]
    assert untranslated == []


def test_an_unknown_value_is_shown_as_it_is() -> None:
    assert label("status", "archived") == "archived"
    assert label("role", None) == ""
