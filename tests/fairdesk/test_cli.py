"""The `fairdesk` command line, run as a real subprocess: the documented JSON contract and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

LIST_KEYS = {"id", "number", "title", "direction", "status", "level", "fair", "next_deadline"}


def fairdesk(
    *args: str, data_dir: Path | None = None, env: dict[str, str] | None = None, ok: bool = True
) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "fairdesk", *args]
    if data_dir is not None:
        cmd[3:3] = ["--data-dir", str(data_dir)]
    result = subprocess.run(
        cmd, capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})}
    )
    if ok:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "data"
    fairdesk("demo", data_dir=path)
    return path


def test_list_json_contract(demo_dir: Path) -> None:
    rows = json.loads(fairdesk("case", "list", "--json", data_dir=demo_dir).stdout)
    assert len(rows) >= 12
    for row in rows:
        assert row.keys() >= LIST_KEYS
        if row["next_deadline"]:
            assert datetime.fromisoformat(row["next_deadline"]).utcoffset() is not None
    assert rows[0]["level"] == "red"


def test_search_and_filters(demo_dir: Path) -> None:
    rows = json.loads(
        fairdesk("case", "list", "--json", "--search", "专利", data_dir=demo_dir).stdout
    )
    assert rows and all("专利" in r["title"] or r["level"] for r in rows)
    assert any("专利" in r["title"] for r in rows)
    reds = json.loads(
        fairdesk("case", "list", "--json", "--level", "red", data_dir=demo_dir).stdout
    )
    assert reds and {r["level"] for r in reds} == {"red"}


def test_new_edit_show_round_trip(demo_dir: Path) -> None:
    year = datetime.now().year + 1  # mid-January: Berlin is on UTC+01:00
    case_id = fairdesk(
        "case",
        "new",
        "--title",
        "Warning letter at booth 6/B21",
        "--trigger",
        "warning_letter",
        "--fair",
        "Hannover Messe",
        "--deadline",
        f"{year}-01-15 18:00",
        "--deadline-what",
        "Reply",
        "--complainant",
        "Max Mustermann@Beispiel GmbH (fictional)",
        "--right",
        "trademark:DE 123:DE",
        data_dir=demo_dir,
    ).stdout.strip()
    assert len(case_id) == 36
    fairdesk(
        "case",
        "edit",
        case_id,
        "--status",
        "responding",
        "--add-note",
        "Called counsel",
        data_dir=demo_dir,
    )
    refused = fairdesk("case", "edit", case_id, "--level", "red", data_dir=demo_dir, ok=False)
    assert refused.returncode == 1 and "--reason" in refused.stderr
    fairdesk(
        "case",
        "edit",
        case_id,
        "--level",
        "red",
        "--reason",
        "Injunction expected",
        data_dir=demo_dir,
    )
    shown = json.loads(fairdesk("case", "show", case_id, "--json", data_dir=demo_dir).stdout)
    assert shown["status"] == "responding" and shown["level"] == "red"
    assert shown["level_override"] == "red" and shown["override_reason"] == "Injunction expected"
    assert shown["deadlines"][0]["due"] == f"{year}-01-15T18:00:00+01:00"  # fair-local (Berlin)
    assert shown["parties"][0]["organisation"] == "Beispiel GmbH (fictional)"
    assert shown["rights"][0] == {**shown["rights"][0], "kind": "trademark", "number": "DE 123"}
    assert shown["notes"][0]["text"] == "Called counsel"
    assert {t["kind"] for t in shown["timeline"]} >= {"created", "status", "level_override"}
    assert shown["conflicts"] == []


def test_environment_variable_selects_the_data_folder(tmp_path: Path) -> None:
    env = {"FAIRDESK_DATA_DIR": str(tmp_path / "env-data")}
    fairdesk("case", "new", "--title", "From env", env=env)
    rows = json.loads(fairdesk("case", "list", "--json", env=env).stdout)
    assert [r["title"] for r in rows] == ["From env"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["case", "new", "--title", "x" * 10_000], "too long"),
        (["case", "new", "--title", "ok", "--deadline", "2001-01-01 10:00"], "in the past"),
        (["case", "new", "--title", "ok", "--fair", "No Such Fair"], "No fair"),
        (["fair", "add", "--name", "X", "--time-zone", "Mars/Olympus"], "Unknown time zone"),
        (["case", "show", "does-not-exist"], "No case"),
    ],
)
def test_errors_are_sentences_and_exit_1(demo_dir: Path, args: list[str], message: str) -> None:
    result = fairdesk(*args, data_dir=demo_dir, ok=False)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_list_on_a_folder_without_data_creates_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "nothing-here"
    result = fairdesk("case", "list", data_dir=empty, ok=False)
    assert result.returncode == 1 and "No FairDesk data" in result.stderr
    assert not empty.exists()


def test_chinese_messages(demo_dir: Path) -> None:
    result = fairdesk("--lang", "zh_CN", "case", "show", "nope", data_dir=demo_dir, ok=False)
    assert "Traceback" not in result.stderr
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.stderr)


@pytest.mark.parametrize("front", ["fairdesk.cli", "ui.program"])
def test_no_window_on_a_damaged_install_is_one_sentence_and_the_commands_still_work(
    tmp_path: Path, front: str
) -> None:
    # `fairdesk` with no command where Qt is missing (PySide6 cannot be imported): run as
    # `python -m fairdesk` (fairdesk.cli) and as the installed program (ui.program).
    child = (
        "import sys; sys.modules['PySide6'] = None\n"
        f"from {front} import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    data = tmp_path / "data"
    done = subprocess.run(
        [sys.executable, "-c", child, "--data-dir", str(data)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(
        "fairdesk: the window cannot be opened: this installation is incomplete ("
    )
    assert "PySide6" in done.stderr and "fairdesk --help" in done.stderr
    assert not data.exists()
    helped = subprocess.run(
        [sys.executable, "-c", child, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert helped.returncode == 0, helped.stderr
    assert "case" in helped.stdout and "evidence" in helped.stdout
