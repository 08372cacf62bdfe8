"""``doc render``: the document's language is --doc-lang; the old --lang spelling still works,
and the messages' language is the global --lang before the command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fairdesk.cli import main
from fairdesk.cli.doc_cmd import EXIT_MISSING
from fairdesk.i18n import set_language
from fairdesk.store import Store


def _render(store: Store, case_id: str, out: Path, *extra: str) -> list[str]:
    return [
        "doc", "render", case_id, "--data-dir", str(store.data_dir), "--kind",
        "non_infringement", "--format", "docx", "--out", str(out), *extra,
    ]  # fmt: skip


def test_doc_lang_and_the_old_lang_spelling_both_choose_the_document_language(
    demo_store: Store, canton_case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = _render(demo_store, canton_case, tmp_path / "new.docx", "--doc-lang", "de")
    assert main([*new, "--allow-blanks", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == 1
    old = _render(demo_store, canton_case, tmp_path / "old.docx", "--lang", "de")
    assert main([*old, "--allow-blanks", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == 2  # same kind and language
    with pytest.raises(SystemExit) as both:  # one or the other, not both
        main([*new, "--lang", "en"])
    assert both.value.code == 2
    with pytest.raises(SystemExit) as neither:
        main(_render(demo_store, canton_case, tmp_path / "x.docx"))
    assert neither.value.code == 2 and "--doc-lang" in capsys.readouterr().err


def test_messages_in_chinese_while_the_document_is_german(
    demo_store: Store, canton_case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.docx"
    try:
        code = main(["--lang", "zh_CN", *_render(demo_store, canton_case, out, "--doc-lang", "de")])
    finally:
        set_language("en")
    assert code == EXIT_MISSING and not out.exists()  # required fields missing, said in Chinese
    err = capsys.readouterr().err
    assert "缺少必填字段" in err and "--field company_name" in err
