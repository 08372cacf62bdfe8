"""Every user-facing string in the code has a Chinese translation, and placeholders survive translation."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir

from fairdesk.i18n import catalog

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")


def _source_strings() -> dict[str, str]:
    found: dict[str, str] = {}
    for package in ("fairdesk", "ui", "sync/client"):
        folder = ROOT / package
        if not folder.exists():
            continue
        for filename, lineno, message, _comments, _context in extract_from_dir(
            str(folder), method_map=[("**.py", "python")], keywords={"_": None, "N_": None}
        ):
            if isinstance(message, str) and message.strip():
                found.setdefault(message, f"{package}/{filename}:{lineno}")
    return found


def test_every_string_has_a_chinese_translation() -> None:
    zh = catalog("zh_CN")
    missing = {msg: where for msg, where in _source_strings().items() if msg not in zh}
    listing = "\n".join(
        f"  {where}: {msg!r}" for msg, where in sorted(missing.items(), key=lambda i: i[1])
    )
    assert not missing, f"{len(missing)} strings without a zh_CN translation:\n{listing}"


def test_translations_keep_their_placeholders() -> None:
    zh = catalog("zh_CN")
    broken = [
        msgid
        for msgid, text in zh.items()
        if sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(text))
    ]
    assert not broken, f"placeholders differ in: {broken}"
