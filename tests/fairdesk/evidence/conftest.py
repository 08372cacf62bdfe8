"""Fixtures for the evidence tests: a store with one case."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fairdesk import cases
from fairdesk.model import Direction, Trigger
from fairdesk.store import Store, open_store


def new_case(store: Store, title: str = "Copy of our blender at Hall 3") -> str:
    return cases.create_case(
        store, cases.CaseInput(title=title, direction=Direction.BY_US, trigger=Trigger.COPY_SPOTTED)
    )


@pytest.fixture
def vault_store(data_dir: Path) -> Iterator[Store]:
    opened = open_store(data_dir)
    yield opened
    opened.close()


@pytest.fixture
def case_id(vault_store: Store) -> str:
    return new_case(vault_store)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "card"
    folder.mkdir()
    return folder
