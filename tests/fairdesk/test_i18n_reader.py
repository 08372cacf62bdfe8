"""The catalog's own PO reader (fairdesk.i18n.read_po_messages) answers exactly what Babel's
``read_po`` gave the catalog before (issue 16: Babel took ~130 ms of every Chinese start):
on every shipped .po file, and on a file with the awkward parts of the format."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from fairdesk import i18n
from fairdesk.resources import resource_path

AWKWARD = r"""# Translator comment
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Language: zh_CN\n"

#: ui/app.py:1
msgid "Plain"
msgstr "普通"

#, fuzzy
msgid "Fuzzy one"
msgstr "模糊"

#, python-format, fuzzy
msgid "Fuzzy among flags"
msgstr "模糊二"

#, python-brace-format
msgid "{count} cases"
msgstr "共 {count} 件案件"

msgid ""
"Split over "
"two lines"
msgstr ""
"分成"
"两行"

msgid "Escapes: \"quoted\"\n\ttab \\ backslash"
msgstr "转义：\"引号\"\n\t制表 \\ 反斜杠"

msgctxt "menu"
msgid "Open"
msgstr "打开"

msgid "One file"
msgid_plural "{n} files"
msgstr[0] "{n} 个文件"

msgid "Not translated yet"
msgstr ""
#~ msgid "Obsolete"
#~ msgstr "过时"
msgid "Right after a comment"
msgstr "紧跟注释"
"""


def _babel(text: str) -> dict[str, str]:
    """What fairdesk.i18n took from Babel before its own reader."""
    table: dict[str, str] = {}
    for message in read_po(io.BytesIO(text.encode("utf-8")), locale="zh_CN"):
        msgid, msgstr = message.id, message.string
        if message.fuzzy or not (isinstance(msgid, str) and isinstance(msgstr, str)):
            continue
        if msgid and msgstr:
            table[msgid] = msgstr
    return table


def test_the_awkward_parts_of_the_format_read_as_babel_reads_them() -> None:
    expected = _babel(AWKWARD)
    assert i18n.read_po_messages(AWKWARD) == expected
    # And the file exercises what it claims to: each kind of entry is there or left out.
    assert expected["Split over two lines"] == "分成两行"
    assert expected['Escapes: "quoted"\n\ttab \\ backslash'] == '转义："引号"\n\t制表 \\ 反斜杠'
    assert expected["Open"] == "打开" and expected["Right after a comment"] == "紧跟注释"
    assert not {
        "Fuzzy one",
        "Fuzzy among flags",
        "One file",
        "Not translated yet",
        "Obsolete",
    } & set(expected)


@pytest.mark.parametrize(
    "path",
    sorted(resource_path("translations").glob("*/*.po")),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_every_shipped_po_file_reads_as_babel_reads_it(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert i18n.read_po_messages(text) == _babel(text)
