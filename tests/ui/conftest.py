"""Fixtures for the desktop UI tests: synchronous tasks, the bundled font, a fixed clock.

Background tasks run inline (``set_synchronous(True)``) so a test sees the result of a click
at once; core change events still arrive through the queued bridge, so tests that rely on
them wait with ``qtbot.waitUntil`` (never sleep).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from fairdesk import cases
from fairdesk.cases import CaseInput, DeadlineInput, PartyInput, RightInput
from fairdesk.model import DeadlineRule, Direction, PartyRole, RightKind, Trigger
from fairdesk.store import Store
from ui.clock import clock
from ui.tasks import runner, set_synchronous

# A round "now" so countdown texts are exact; deadlines are placed relative to it.
NOW = datetime.now(UTC).replace(second=0, microsecond=0)


@pytest.fixture(autouse=True)
def _ui_defaults(qapp: object) -> Iterator[None]:
    from PySide6.QtWidgets import QApplication

    from ui.fonts import apply_app_font

    assert isinstance(qapp, QApplication)
    apply_app_font(qapp)
    set_synchronous(True)
    clock().set_fixed(NOW)
    yield
    runner().wait_idle()
    clock().set_fixed(None)
    clock().stop()
    set_synchronous(False)


@pytest.fixture
def fair_store(store: Store) -> Store:
    """A store with one fair (Berlin) and three cases whose deadlines are relative to NOW."""
    # The shipped catalogue's Hannover Messe, given this year's dates and closing time.
    fair = cases.find_fair(store, "Hannover Messe").id
    cases.edit_fair(
        store,
        fair,
        {
            "starts_on": NOW.date() - timedelta(days=1),
            "ends_on": NOW.date() + timedelta(days=3),
            "closing_time": "18:00",
        },
    )
    cases.create_case(
        store,
        CaseInput(
            "Injunction: hydraulic pump",
            Direction.AGAINST_US,
            Trigger.COURT_ORDER,
            fair,
            hall="6",
            booth="B21",
            served_at=NOW - timedelta(hours=1),
            parties=[PartyInput(PartyRole.COMPLAINANT, "Max Mustermann", "Beispiel GmbH")],
            rights=[RightInput(RightKind.INVENTION_PATENT, "EP 3 000 001", "EP")],
            deadlines=[
                DeadlineInput("Remove exhibit", DeadlineRule.FIXED, due_at=NOW + timedelta(hours=2))
            ],
        ),
        now=NOW,
    )
    cases.create_case(
        store,
        CaseInput(
            "Warning letter: work lamp",
            Direction.AGAINST_US,
            Trigger.WARNING_LETTER,
            fair,
            deadlines=[
                DeadlineInput(
                    "Answer the letter", DeadlineRule.FIXED, due_at=NOW + timedelta(hours=30)
                )
            ],
        ),
        now=NOW,
    )
    cases.create_case(
        store,
        CaseInput(
            "外观设计投诉：便携式榨汁机",
            Direction.BY_US,
            Trigger.COPY_SPOTTED,
            fair,
            deadlines=[
                DeadlineInput(
                    "向投诉站提交投诉", DeadlineRule.FIXED, due_at=NOW + timedelta(hours=50)
                )
            ],
        ),
        now=NOW,
    )
    return store
