"""``fairdesk kb …`` and ``fairdesk risk map …`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fairdesk.cli import main


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_kb_commands(capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path) -> None:
    d = ["--data-dir", str(data_dir)]
    assert main([*d, "demo"]) == 0
    capsys.readouterr()
    found = _json(capsys, "kb", "search", "保护函", "--json", *d)
    assert "de.protective-letter" in [r["id"] for r in found["results"]]
    entry = _json(capsys, "kb", "show", "fr.saisie", "--json", *d)
    assert entry["sources"] and set(entry["sources"][0]) >= {
        "url",
        "type",
        "published",
        "checked",
        "confidence",
    }
    listed = _json(capsys, "kb", "list", "--country", "UPC", "--json", *d)
    assert {e["id"] for e in listed["entries"]} == {
        "upc.protective-letter",
        "upc.provisional-measures",
        "upc.next-hour",
    }
    rows = _json(capsys, "case", "list", "--json", *d)
    cases = rows["cases"] if isinstance(rows, dict) else rows
    canton = next(
        c
        for c in cases
        if (c["fair"] or "").startswith("Canton") and c["direction"] == "against_us"
    )
    shown = _json(capsys, "case", "show", canton["id"], "--json", *d)
    proposals = shown["guidance"]["proposed_deadlines"]
    assert proposals[0]["hours"] == 24 and proposals[0]["can_add"]
    assert main(["kb", "show", "nope", *d]) == 1
    assert "No library entry" in capsys.readouterr().err

    pdf, csv_file = tmp_path / "e.pdf", tmp_path / "e.csv"
    result = _json(
        capsys, "risk", "map", "goods", "--json", "--pdf", str(pdf), "--csv", str(csv_file), *d
    )
    assert result["rows"][0]["key"] == "hs85"
    assert pdf.read_bytes().startswith(b"%PDF") and csv_file.stat().st_size > 50

    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": 1, "library_version": 5, "entries": []}', encoding="utf-8")
    assert main(["kb", "apply", str(bad), *d]) == 1
    assert "rejected as a whole" in capsys.readouterr().err


def test_kb_changes_contacts_and_the_check_before_relying_mark(
    capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path
) -> None:
    from fairdesk.knowledge import library

    d = ["--data-dir", str(data_dir)]
    changes = _json(capsys, "kb", "changes", "--json", *d)
    (note,) = changes["changelog"]
    assert note["edition"] == "2026.12" and note["title"]["zh"] == "2026.12 版更新内容"
    assert any("Law no. 102 of 24 July 2023" in i["en"] for i in note["items"])
    assert main(["kb", "changes", *d]) == 0
    assert "What changed in 2026.12" in capsys.readouterr().out

    shown = _json(capsys, "kb", "show", "us.next-hour", "--json", *d)
    itc = next(c for c in shown["contacts"] if c["phone"] == "+1 202 205 1802")
    assert itc["address"].startswith("500 E Street") and shown["check_before_relying"] is False
    assert main(["kb", "show", "de.protective-letter", *d]) == 0
    text = capsys.readouterr().out
    assert "No verified phone number" in text and "CHECK BEFORE RELYING" not in text

    # HQ ships a card whose review date has passed: the CLI says so on show and in search.
    payload = library.load_shipped().as_payload()
    payload["library_version"] += 1
    payload["edition"] = "test"
    stale = next(e for e in payload["entries"] if e["id"] == "fr.saisie")
    stale["as_of"], stale["review_by"] = "2020-01-01", "2021-01-01"
    update = tmp_path / "update.json"
    update.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    assert main(["kb", "apply", str(update), *d]) == 0
    capsys.readouterr()
    assert main(["kb", "show", "fr.saisie", *d]) == 0
    assert "!! CHECK BEFORE RELYING: review date 2021-01-01 has passed" in capsys.readouterr().out
    assert main(["kb", "search", "saisie", *d]) == 0
    assert "fr.saisie" in (line := capsys.readouterr().out.splitlines()[0])
    assert "check before relying" in line
    assert _json(capsys, "kb", "show", "fr.saisie", "--json", *d)["check_before_relying"]
