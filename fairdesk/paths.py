"""Where the user's data folder is: ``--data-dir``, else ``FAIRDESK_DATA_DIR``, else the platform's app-data folder."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "FairDesk"


def default_data_dir() -> Path:
    env = os.environ.get("FAIRDESK_DATA_DIR")
    if env:
        return Path(env).expanduser()
    # appauthor=False: %APPDATA%\FairDesk on Windows, not %APPDATA%\FairDesk\FairDesk.
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False, roaming=True))


def resolve_data_dir(option: str | os.PathLike[str] | None) -> Path:
    return Path(option).expanduser() if option else default_data_dir()
