"""A command line naming a core command builds only the parser of the module that has it."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from pathlib import Path

from fairdesk.cli import CORE_COMMANDS

CLI = Path(__file__).resolve().parents[2] / "fairdesk" / "cli"


def test_the_table_names_exactly_what_each_module_registers() -> None:
    modules = {p.stem for p in CLI.glob("*_cmd.py")}
    assert set(CORE_COMMANDS.values()) == modules  # a new command module must be listed
    for name in modules:
        subparsers = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(f"fairdesk.cli.{name}").register(subparsers)
        listed = {command for command, module in CORE_COMMANDS.items() if module == name}
        assert set(subparsers.choices) == listed, name


def test_a_command_loads_its_own_module_only(tmp_path: Path) -> None:
    child = (
        "import json, sys\n"
        "from fairdesk.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('fairdesk.cli.'))\n"
        "print('LOADED ' + json.dumps(loaded), flush=True)\n"
    )
    data = tmp_path / "data"
    demo = subprocess.run(
        [sys.executable, "-c", child, "--data-dir", str(data), "demo"],
        capture_output=True, text=True, timeout=180, check=True,
    )  # fmt: skip
    listed = subprocess.run(
        [sys.executable, "-c", child, "--data-dir", str(data), "case", "list", "--json"],
        capture_output=True, text=True, timeout=180, check=True,
    )  # fmt: skip
    for run in (demo, listed):
        line = next(x for x in run.stdout.splitlines() if x.startswith("LOADED "))
        assert json.loads(line.removeprefix("LOADED ")) == [
            "fairdesk.cli.case_cmd",
            "fairdesk.cli.common",
        ]
    cases = json.loads(listed.stdout.split("LOADED ")[0])
    assert len(cases) > 0  # the command still did its work

    helped = subprocess.run(
        [sys.executable, "-c", child, "--help"], capture_output=True, text=True, timeout=180
    )
    assert helped.returncode == 0
    for command in CORE_COMMANDS:  # the overview still lists every command
        assert command in helped.stdout
