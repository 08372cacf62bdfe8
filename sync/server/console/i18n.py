"""The console's languages, read from the project's one catalog (`resources/translations`).

The server stands alone (it may not import the desktop core), so this is a small reader of the
same `.po` files `fairdesk.i18n` reads: English source strings, Chinese from every
`resources/translations/zh_CN/*.po` (the console's own are in `hq-console.po`).
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

LANGUAGES: dict[str, str] = {"en": "English", "zh_CN": "中文（简体）"}
_lock = threading.Lock()
_catalogs: dict[str, dict[str, str]] = {}


def resources_root() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parents[3] / "resources"


def _load(language: str) -> dict[str, str]:
    from babel.messages.pofile import read_po

    table: dict[str, str] = {}
    for path in sorted((resources_root() / "translations" / language).glob("*.po")):
        with path.open("rb") as handle:
            po = read_po(handle, locale=language)
        for message in po:
            msgid, msgstr = message.id, message.string
            if message.fuzzy or not (isinstance(msgid, str) and isinstance(msgstr, str)):
                continue
            if msgid and msgstr:
                table[msgid] = msgstr
    return table


def catalog(language: str) -> dict[str, str]:
    with _lock:
        if language not in _catalogs:
            _catalogs[language] = {} if language == "en" else _load(language)
        return _catalogs[language]


def translate(message: str, language: str) -> str:
    if language not in LANGUAGES or language == "en":
        return message
    return catalog(language).get(message, message)


def N_(message: str) -> str:
    """Mark a string for the catalog; translated where it is shown."""
    return message
