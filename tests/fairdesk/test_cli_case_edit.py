"""``fairdesk case edit`` says what it changed (it used to print nothing on success)."""

from __future__ import annotations

from pathlib import Path

from tests.fairdesk.test_cli import fairdesk


def test_case_edit_prints_each_change_and_says_when_nothing_changed(data_dir: Path) -> None:
    case_id = fairdesk(
        "case", "new", "--title", "Copy at booth 4", "--booth", "A1", data_dir=data_dir
    ).stdout.strip()  # fmt: skip
    number = fairdesk("case", "show", case_id, "--json", data_dir=data_dir).stdout
    edited = fairdesk(
        "case", "edit", case_id, "--title", "Copy of our blender at booth 4", "--booth", "B12",
        "--add-note", "Spoke to the exhibitor", data_dir=data_dir,
    )  # fmt: skip
    lines = edited.stdout.splitlines()
    assert lines[0].startswith("Case ") and lines[0].endswith(" changed:")
    assert lines[0].split()[1] in number  # the case number, not the internal id
    assert "  title: “Copy at booth 4” → “Copy of our blender at booth 4”" in lines
    assert "  booth: “A1” → “B12”" in lines
    assert "  notes: 0 → 1" in lines
    assert len(lines) == 4  # nothing that did not change

    same = fairdesk("case", "edit", case_id, "--booth", "B12", data_dir=data_dir)
    assert same.stdout.strip().startswith("Nothing changed in case ")

    chinese = fairdesk("--lang", "zh_CN", "case", "edit", case_id, "--hall", "3", data_dir=data_dir)
    assert chinese.stdout.startswith("案件 ") and "  展馆: — → “3”" in chinese.stdout
