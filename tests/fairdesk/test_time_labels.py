"""Every time a person reads says its zone, one way: abbreviation where unambiguous, "Beijing
time" for China, the offset otherwise — never a bare UTC time, never an ambiguous "CST"."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fairdesk import cases
from fairdesk.cases import CaseInput, DeadlineInput
from fairdesk.errors import ValidationError
from fairdesk.i18n import set_language
from fairdesk.model import DeadlineRule, Direction, Trigger
from fairdesk.store import Store
from fairdesk.timeutil import format_local

WINTER = datetime(2026, 1, 8, 17, 0, tzinfo=UTC)
SUMMER = datetime(2026, 7, 8, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "where", "expected"),
    [
        (WINTER, "Europe/Berlin", "2026-01-08 18:00 CET"),
        (SUMMER, "Europe/Berlin", "2026-07-08 19:00 CEST"),
        (WINTER, "Asia/Shanghai", "2026-01-09 01:00 Beijing time"),
        (WINTER, "America/Chicago", "2026-01-08 11:00 UTC-06:00"),  # CST is ambiguous
        (WINTER, "Asia/Taipei", "2026-01-09 01:00 UTC+08:00"),  # so is Taipei's CST
        (WINTER, "Asia/Kolkata", "2026-01-08 22:30 UTC+05:30"),  # IST: India, Ireland, Israel
        (WINTER, "Asia/Dubai", "2026-01-08 21:00 UTC+04:00"),  # tzdata has no letters
        (WINTER, "America/Los_Angeles", "2026-01-08 09:00 PST"),
        (WINTER, "Asia/Tokyo", "2026-01-09 02:00 JST"),
        (WINTER, "UTC", "2026-01-08 17:00 UTC"),
    ],
)
def test_every_zone_is_written_unambiguously(moment: datetime, where: str, expected: str) -> None:
    assert format_local(moment, where) == expected


def test_beijing_time_in_chinese() -> None:
    set_language("zh_CN")
    try:
        assert format_local(WINTER, "Asia/Shanghai").endswith("北京时间")
    finally:
        set_language("en")


def test_a_past_deadline_is_reported_in_the_fairs_time(store: Store) -> None:
    fair = cases.find_fair(store, "Hannover Messe").id  # from the shipped catalogue
    past = datetime.now(UTC) - timedelta(days=2)
    with pytest.raises(ValidationError) as err:
        cases.create_case(
            store,
            CaseInput(
                "Typed a day too early",
                Direction.AGAINST_US,
                Trigger.WARNING_LETTER,
                fair,
                deadlines=[DeadlineInput("Reply", DeadlineRule.FIXED, due_at=past)],
            ),
        )
    assert format_local(past, "Europe/Berlin") in str(err.value)
    assert "+00:00" not in str(err.value)


def test_cli_case_show_writes_zones_for_deadlines_and_notes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    # A fresh folder: the shipped fair catalogue (Hannover Messe among it) is there at once.

    def run(*args: str) -> str:
        cmd = [sys.executable, "-m", "fairdesk", "--data-dir", str(data), *args]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    case_id = run(
        "case", "new", "--title", "Served", "--trigger", "warning_letter",
        "--fair", "Hannover Messe", "--deadline-hours", "30", "--deadline-what", "Reply",
        "--note", "Letter handed over at the booth",
    ).strip()  # fmt: skip
    lines = run("case", "show", case_id).splitlines()
    timed = [line for line in lines if "Reply" in line or "handed over" in line]
    assert len(timed) == 2, lines
    for line in timed:
        assert (" CET" in line or " CEST" in line) and "+00:00" not in line, line
