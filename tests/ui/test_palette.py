"""Every colour the UI draws with is named once, in ui/theme.py (there were five error reds)."""

from __future__ import annotations

import re
from pathlib import Path

import ui

HEX_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}\b|#[0-9A-Fa-f]{3}\b(?![0-9A-Fa-f;])")


def test_no_colour_is_written_outside_the_theme() -> None:
    root = Path(ui.__file__).parent
    stray = [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for path in sorted(root.rglob("*.py"))
        if path.name != "theme.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if not line.lstrip().startswith("#") and HEX_COLOUR.search(line.split("  #")[0])
    ]
    assert stray == []
