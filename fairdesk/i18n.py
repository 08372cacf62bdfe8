"""The one translation catalog for the core, the UI and the command line.

Source strings are English and wrapped in ``_()``; ``resources/translations/<lang>/*.po``
hold the translations, one file per part of the app (core, ui, evidence, ...) so that parts
can be translated independently; together they form one catalog. The files are read with
Babel at run time, so there is no compile step to forget, and
``tests/test_translations.py`` fails when a string in the code has no translation. Strings that
must be defined before the language is known (tables of labels) are marked with ``N_()``
and translated where they are shown.
"""

from __future__ import annotations

import threading

from fairdesk.resources import resource_path

SOURCE_LANGUAGE = "en"
LANGUAGES: dict[str, str] = {"en": "English", "zh_CN": "中文（简体）"}

_lock = threading.Lock()
_catalogs: dict[str, dict[str, str]] = {}
_current = SOURCE_LANGUAGE


def _load(language: str) -> dict[str, str]:
    from babel.messages.pofile import read_po

    table: dict[str, str] = {}
    for path in sorted(resource_path("translations", language).glob("*.po")):
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
            _catalogs[language] = {} if language == SOURCE_LANGUAGE else _load(language)
        return _catalogs[language]


def set_language(language: str) -> None:
    """Switch every later ``_()`` call to ``language`` (unknown codes fall back to English)."""
    global _current
    _current = language if language in LANGUAGES else SOURCE_LANGUAGE
    catalog(_current)


def current_language() -> str:
    return _current


def _(message: str) -> str:
    """Translate ``message`` into the current language."""
    if _current == SOURCE_LANGUAGE:
        return message
    return catalog(_current).get(message, message)


def translate(message: str, language: str) -> str:
    """Translate into a given language, independent of the current one."""
    if language == SOURCE_LANGUAGE:
        return message
    return catalog(language).get(message, message)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet."""
    return message
