"""``fairdesk doc kinds`` and ``fairdesk doc render`` in-process, with the real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fairdesk.cli import main
from fairdesk.store import Store


def test_kinds_json(demo_store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(demo_store.data_dir), "doc", "kinds", "--json"]) == 0
    kinds = {row["kind"]: row for row in json.loads(capsys.readouterr().out)}
    assert {"panel_response", "protective_letter_upc", "customs_request"} <= set(kinds)
    assert kinds["evidence_report"]["titles"]["zh"] == "证据报告"


def test_render_lists_missing_then_renders_with_blanks(
    demo_store: Store, canton_case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.docx"
    base = [
        "doc",
        "render",
        canton_case,
        "--data-dir",
        str(demo_store.data_dir),
        "--kind",
        "non_infringement",
        "--lang",
        "de",
        "--format",
        "docx",
        "--out",
        str(out),
    ]
    assert main([*base, "--field", "company_name=Muster GmbH"]) == 1
    err = capsys.readouterr().err
    assert "comparison_rows" in err and "signatory_name" in err and not out.exists()
    assert main([*base, "--allow-blanks", "--json", "--field", "company_name=Muster GmbH"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["version"] == 1 and out.read_bytes()[:2] == b"PK"
    assert (
        main(["--data-dir", str(demo_store.data_dir), "case", "show", canton_case, "--json"]) == 0
    )
    shown = json.loads(capsys.readouterr().out)
    assert shown["documents"][0]["sha256"] == payload["sha256"]


def test_render_help_lists_each_kinds_fields(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["doc", "render", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "abmahnung_reply [zh,en,de]: " in out and "concrete_form*" in out
    assert "phrase_card_de [de]: counsel_phone*" in out
