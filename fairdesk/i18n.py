"""The one translation catalog for the core, the UI and the command line.

Source strings are English and wrapped in ``_()``; ``resources/translations/<lang>/*.po``
hold the translations, one file per part of the app (core, ui, evidence, ...) so that parts
can be translated independently; together they form one catalog. The files are read at run
time, so there is no compile step to forget: by :func:`read_po_messages`, a small reader of
the part of the format we use (Babel's ``read_po`` took ~130 ms for the Chinese catalog,
before the window of every Chinese start; a test keeps both readers' answers equal), and
``tests/test_translations.py`` fails when a string in the code has no translation. Strings that
must be defined before the language is known (tables of labels) are marked with ``N_()``
and translated where they are shown.
"""

from __future__ import annotations

import re
import threading

from fairdesk.resources import resource_path

SOURCE_LANGUAGE = "en"
LANGUAGES: dict[str, str] = {"en": "English", "zh_CN": "中文（简体）"}

_lock = threading.Lock()
_catalogs: dict[str, dict[str, str]] = {}
_current = SOURCE_LANGUAGE


_ESCAPE = re.compile(r'\\([\\trn"])')
_ESCAPED = {"n": "\n", "t": "\t", "r": "\r"}


def _unquote(line: str) -> str:
    """The text of one quoted PO string line, unescaped as Babel does."""
    body = line[line.index('"') + 1 : line.rindex('"')]
    return _ESCAPE.sub(lambda m: _ESCAPED.get(m.group(1), m.group(1)), body)


def read_po_messages(text: str) -> dict[str, str]:
    """The translated singular messages of one PO file: msgid -> msgstr.

    What the catalog takes from Babel's ``read_po``: fuzzy entries, plural entries, empty
    translations, the header and obsolete (``#~``) entries are left out; a context
    (``msgctxt``) does not change the key.
    """
    table: dict[str, str] = {}
    msgid: list[str] = []
    msgstr: list[str] = []
    field: list[str] | None = None
    fuzzy = plural = seen_msgstr = False

    def finish() -> None:
        nonlocal msgid, msgstr, field, fuzzy, plural, seen_msgstr
        key, value = "".join(msgid), "".join(msgstr)
        if seen_msgstr and not fuzzy and not plural and key and value:
            table[key] = value
        msgid, msgstr, field = [], [], None
        fuzzy = plural = seen_msgstr = False

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if seen_msgstr:
                finish()
            if line.startswith("#,") and "fuzzy" in (f.strip() for f in line[2:].split(",")):
                fuzzy = True
            continue
        if line.startswith(("msgctxt", "msgid ")) and seen_msgstr:
            finish()
        if line.startswith("msgctxt"):
            field = None  # the context is not part of the key
        elif line.startswith("msgid_plural"):
            plural, field = True, None
        elif line.startswith("msgid"):
            field = msgid
        elif line.startswith("msgstr"):
            seen_msgstr, field = True, msgstr
            if line.startswith("msgstr["):
                plural = True
        elif not line.startswith('"'):
            continue
        if field is not None and '"' in line:
            field.append(_unquote(line))
    finish()
    return table


def _load(language: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for path in sorted(resource_path("translations", language).glob("*.po")):
        table.update(read_po_messages(path.read_text(encoding="utf-8")))
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
