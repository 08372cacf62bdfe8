"""Fixtures for the knowledge tests: a fixed clock and the shipped library."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fairdesk.knowledge import library

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday


@pytest.fixture
def shipped() -> library.Library:
    return library.load_shipped()
