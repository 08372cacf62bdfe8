"""First start: there is no data folder yet, so FairDesk offers the demo data set or an empty start.

The desktop app asks (ui/first_run.py) before it opens the store; the command line never
asks (``fairdesk demo`` fills a folder on purpose, every other command just creates it).
``FAIRDESK_FIRST_RUN=demo`` or ``=empty`` answers the question in advance (prepared training
laptops, automated checks of the installer build).
A folder whose database is missing but which still holds evidence is NOT a first run:
:func:`fairdesk.store.open_store` refuses it with an explanation, and nothing here may
paper over that by creating a new empty database.
"""

from __future__ import annotations

import enum
import os
from pathlib import Path
from typing import Any, NamedTuple

from fairdesk.store import DB_NAME, open_store

PRESET_ENV = "FAIRDESK_FIRST_RUN"


class Start(enum.Enum):
    DEMO = "demo"
    EMPTY = "empty"


def preset() -> Start | None:
    """The answer given in advance through ``FAIRDESK_FIRST_RUN``, if any (else: ask)."""
    value = os.environ.get(PRESET_ENV, "").strip().lower()
    try:
        return Start(value) if value else None
    except ValueError:
        return None


class FirstRunResult(NamedTuple):
    data_dir: Path
    start: Start
    demo_cases: int


def needs_first_run(data_dir: Path | str) -> bool:
    """True when ``data_dir`` holds no FairDesk database and no evidence (a fresh start)."""
    folder = Path(data_dir).expanduser()
    if (folder / DB_NAME).exists():
        return False
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return False  # a file where a folder must be: open_store explains it in words
    vault = folder / "vault"
    try:
        if vault.is_dir() and any(vault.iterdir()):
            return False  # evidence without a database: open_store explains what to do
    except OSError:
        return False  # unreadable: let open_store report it in words
    return True


def create_data_folder(data_dir: Path | str, start: Start) -> FirstRunResult:
    """Create the data folder (and its database); fill it with the demo set if asked.

    Slow with ``Start.DEMO`` (tens of writes): the UI runs it on a worker thread.
    """
    store = open_store(data_dir)
    try:
        created = _fill_demo(store) if start is Start.DEMO else 0
        return FirstRunResult(store.data_dir, start, created)
    finally:
        store.close()


def _fill_demo(*args: Any, **kwargs: Any) -> int:
    # The demo set needs the ORM services: imported only when a first start asks for it.
    from fairdesk.demo import fill_demo

    return fill_demo(*args, **kwargs)
