"""The first screen's reads: Today's rows and the first screen of the Cases list.

``ui.app`` starts them as soon as the store is open, before the main window's module is even
imported: they run on the read pool while that module loads (~20 ms of the GUI thread, most of
it the Python enums of the Qt classes it uses) and while the window is built, so the first
paint usually has the rows instead of an empty table painted twice. A window built later (a
language change) starts its own.
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
