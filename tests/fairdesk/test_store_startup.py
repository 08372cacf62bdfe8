"""Opening an up-to-date store stays cheap: no Alembic import, the right head revision."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fairdesk.store import head_revision, open_store, quick_head_revision


def test_quick_head_matches_alembic() -> None:
    assert quick_head_revision() == head_revision()


def test_reopening_an_up_to_date_store_does_not_import_alembic(tmp_path: Path) -> None:
    open_store(tmp_path / "data").close()
    code = (
        "import sys; from fairdesk.store import open_store; import fairdesk.cases; "
        f"s = open_store({str(tmp_path / 'data')!r}); s.close(); "
        "print(sorted(m for m in ('alembic', 'fairdesk.knowledge') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
