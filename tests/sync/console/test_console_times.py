"""Times in the console say their zone, never an ambiguous abbreviation such as "CST"."""

from __future__ import annotations

from sync.server.console.web import when


def test_beijing_time_is_shown_with_its_offset_not_cst() -> None:
    shown = when("2026-12-05T06:58:00+00:00", "Asia/Shanghai")
    assert shown == "2026-12-05 14:58 UTC+08:00 (Asia/Shanghai)"
    assert "CST" not in when("2026-07-05T06:58:00+00:00", "America/Chicago")


def test_an_unambiguous_abbreviation_is_kept() -> None:
    assert (
        when("2026-12-05T06:58:00+00:00", "Europe/Berlin") == "2026-12-05 07:58 CET (Europe/Berlin)"
    )
    assert when("2026-12-05T06:58:00+00:00", "Asia/Dubai").endswith("UTC+04:00 (Asia/Dubai)")
