"""The first screen's reads: Today's rows and the first screen of the Cases list.

``ui.app`` starts them as soon as the store is open, before the main window's module is even
imported: they run on the read pool while that module loads and the window is built, so they
have usually answered by the time it is shown. A window built later (a language change)
starts its own.
"""

from __future__ import annotations

from typing import NamedTuple

from fairdesk.quickread import CaseRow, DeadlineRow
from fairdesk.store import Store
from ui.models.cases import early_first_screen
from ui.pages.today import early_rows
from ui.tasks import EarlyRead


class FirstScreen(NamedTuple):
    today: EarlyRead[list[DeadlineRow]]
    cases: EarlyRead[tuple[int, list[str], dict[str, CaseRow]]]


def start(store: Store) -> FirstScreen:
    """Both reads, started now (see ``EarlyRead``)."""
    return FirstScreen(early_rows(store), early_first_screen(store))
