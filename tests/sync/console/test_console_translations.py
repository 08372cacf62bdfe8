"""Every string of the console (templates and code) has a Chinese translation in the catalog."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir

from sync.server.console.i18n import catalog

ROOT = Path(__file__).resolve().parents[3]
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")
# Values shown through _() that no call site spells out (staff roles from the database; the
# stored vocabularies go through `labels.label`, tested in test_console_labels.py).
DYNAMIC = ("legal", "admin", "guidance", "responder")


def _strings() -> set[str]:
    found = set(DYNAMIC)
    for _f, _l, message, *_rest in extract_from_dir(
        str(ROOT / "resources" / "hq-console" / "templates"),
        method_map=[("**.html", "jinja2")],
        keywords={"_": None},
    ):
        if isinstance(message, str):
            found.add(message)
    for _f, _l, message, *_rest in extract_from_dir(
        str(ROOT / "sync" / "server" / "console"),
        method_map=[("**.py", "python")],
        keywords={"_": None, "N_": None},
    ):
        if isinstance(message, str):
            found.add(message)
    return {m for m in found if isinstance(m, str) and m.strip()}


def test_every_console_string_has_a_chinese_translation() -> None:
    strings = _strings()
    assert len(strings) > 80  # the extraction really read the templates
    zh = catalog("zh_CN")
    missing = sorted(m for m in strings if m not in zh)
    assert not missing, missing
    broken = [
        m for m in strings if sorted(PLACEHOLDER.findall(m)) != sorted(PLACEHOLDER.findall(zh[m]))
    ]
    assert not broken, broken
