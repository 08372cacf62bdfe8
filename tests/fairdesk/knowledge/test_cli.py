"""``fairdesk kb …`` and ``fairdesk risk map …`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fairdesk.cli import main


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_kb_commands(capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path) -> None:
    d = ["--data-dir", str(data_dir)]
    assert main([*d, "demo"]) == 0
    capsys.readouterr()
    found = _json(capsys, "kb", "search", "保护函", "--json", *d)
    assert "de.protective-letter" in [r["id"] for r in found["results"]]  # type: ignore[index]
    entry = _json(capsys, "kb", "show", "fr.saisie", "--json", *d)
    assert entry["sources"] and set(entry["sources"][0]) >= {  # type: ignore[index]
        "url",
        "type",
        "published",
        "checked",
        "confidence",
    }
    listed = _json(capsys, "kb", "list", "--country", "UPC", "--json", *d)
    assert {e["id"] for e in listed["entries"]} == {  # type: ignore[index]
        "upc.protective-letter",
        "upc.provisional-measures",
        "upc.next-hour",
    }
    rows = _json(capsys, "case", "list", "--json", *d)
    cases = rows["cases"] if isinstance(rows, dict) else rows  # type: ignore[index]
    canton = next(
        c
        for c in cases
        if (c["fair"] or "").startswith("Canton") and c["direction"] == "against_us"
    )
    shown = _json(capsys, "case", "show", canton["id"], "--json", *d)
    proposals = shown["guidance"]["proposed_deadlines"]  # type: ignore[index]
    assert proposals[0]["hours"] == 24 and proposals[0]["can_add"]
    assert main(["kb", "show", "nope", *d]) == 1
    assert "No library entry" in capsys.readouterr().err

    pdf, csv_file = tmp_path / "e.pdf", tmp_path / "e.csv"
    result = _json(
        capsys, "risk", "map", "goods", "--json", "--pdf", str(pdf), "--csv", str(csv_file), *d
    )
    assert result["rows"][0]["key"] == "hs85"  # type: ignore[index]
    assert pdf.read_bytes().startswith(b"%PDF") and csv_file.stat().st_size > 50

    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": 1, "library_version": 5, "entries": []}', encoding="utf-8")
    assert main(["kb", "apply", str(bad), *d]) == 1
    assert "rejected as a whole" in capsys.readouterr().err
