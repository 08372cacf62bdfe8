"""Every user setting of the desktop app, declared once: key, type, default, translatable label.

Stored in an INI file through ``QSettings`` under the platform's config folder (platformdirs,
re-read on every access, so tests that redirect ``XDG_CONFIG_HOME`` never see real settings).
Values that fail their check (a language we do not ship, an unknown time zone) read back as
the default rather than breaking start-up (Picard's ``options.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

import platformdirs
from PySide6.QtCore import QSettings

from fairdesk.i18n import LANGUAGES, N_
from fairdesk.paths import APP_NAME
from fairdesk.timeutil import is_valid_zone

T = TypeVar("T", str, int, bool)


def settings_file() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, APP_NAME, roaming=True)) / "ui.ini"


def _qsettings() -> QSettings:
    return QSettings(str(settings_file()), QSettings.Format.IniFormat)


class Setting(Generic[T]):
    """One preference in the settings file: its key, label, default, type and check."""

    def __init__(
        self,
        key: str,
        label: str,  # marked with N_(), translated where shown
        default: T,
        kind: type[T],
        check: Callable[[T], bool] = lambda _value: True,
    ) -> None:
        self.key = key
        self.label = label
        self.default: T = default
        self.kind: type[T] = kind
        self.check: Callable[[T], bool] = check

    def get(self) -> T:
        raw: object = _qsettings().value(self.key, self.default)
        try:
            if self.kind is bool and isinstance(raw, str):
                value = self.kind(raw.lower() in ("1", "true", "yes"))
            else:
                value = self.kind(raw)  # type: ignore[call-overload]  # QSettings returns object
        except (TypeError, ValueError):
            return self.default
        return value if self.check(value) else self.default

    def set(self, value: T) -> None:
        if not isinstance(value, self.kind) or not self.check(value):
            raise ValueError(f"invalid value for {self.key}: {value!r}")
        store = _qsettings()
        if store.contains(self.key) and self.get() == value:
            return  # nothing to write: every start sets the data folder, usually the same one
        store.setValue(self.key, value)
        store.sync()


# Chinese exporters are the product's users (docs/domain.md), so home defaults to China's zone;
# the laptop's own clock zone changes when it travels and is no guide to "home".
DEFAULT_HOME_ZONE = "Asia/Shanghai"

LANGUAGE: Setting[str] = Setting(
    "ui/language", N_("Language"), "", str, lambda v: v == "" or v in LANGUAGES
)
HOME_TIME_ZONE: Setting[str] = Setting(
    "ui/home_time_zone", N_("Home time zone"), DEFAULT_HOME_ZONE, str, is_valid_zone
)
LAST_DATA_DIR: Setting[str] = Setting("store/last_data_dir", N_("Data folder"), "", str)

ALL: tuple[Setting[str], ...] = (LANGUAGE, HOME_TIME_ZONE, LAST_DATA_DIR)
