"""First start: a new data folder is detected, created empty or with the demo set; others are left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from fairdesk import cases, firstrun
from fairdesk.store import DB_NAME, open_store


def test_a_missing_folder_is_a_first_run_and_stops_being_one_once_created(data_dir: Path) -> None:
    assert not data_dir.exists()
    assert firstrun.needs_first_run(data_dir)
    result = firstrun.create_data_folder(data_dir, firstrun.Start.EMPTY)
    assert result.demo_cases == 0 and result.data_dir == data_dir.resolve()
    assert (data_dir / DB_NAME).exists()
    assert not firstrun.needs_first_run(data_dir)
    store = open_store(data_dir, create=False)
    try:
        assert cases.list_cases(store) == []
    finally:
        store.close()


def test_an_existing_empty_folder_is_a_first_run(data_dir: Path) -> None:
    data_dir.mkdir()
    (data_dir / "notes.txt").write_text("the user made the folder beforehand")
    assert firstrun.needs_first_run(data_dir)


def test_demo_start_fills_the_demo_set(data_dir: Path) -> None:
    result = firstrun.create_data_folder(data_dir, firstrun.Start.DEMO)
    store = open_store(data_dir, create=False)
    try:
        listed = cases.list_cases(store)
    finally:
        store.close()
    assert result.demo_cases == len(listed) >= 10


def test_evidence_without_a_database_is_not_treated_as_new(data_dir: Path) -> None:
    # open_store refuses this folder with an explanation; the first-start question must not
    # appear and offer to create an empty database over the evidence.
    (data_dir / "vault" / "ab").mkdir(parents=True)
    (data_dir / "vault" / "ab" / "photo.jpg").write_bytes(b"\xff\xd8evidence")
    assert not firstrun.needs_first_run(data_dir)


def test_a_file_where_the_folder_should_be_is_left_to_open_store(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    assert not firstrun.needs_first_run(blocker)
    assert not firstrun.needs_first_run(blocker / "data")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("demo", firstrun.Start.DEMO),
        (" Empty ", firstrun.Start.EMPTY),
        ("", None),
        ("yes please", None),
    ],
)
def test_preset_answer_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: firstrun.Start | None
) -> None:
    monkeypatch.setenv(firstrun.PRESET_ENV, value)
    assert firstrun.preset() is expected


def test_no_preset_without_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(firstrun.PRESET_ENV, raising=False)
    assert firstrun.preset() is None
