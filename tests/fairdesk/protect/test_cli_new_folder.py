"""A data folder created from the command line with a passphrase given is encrypted from the start.

The user's steps, in a real ``fairdesk`` subprocess: a passphrase file in the variable (or the
option), then a first command on a folder that does not exist yet. Before, that folder was
silently created in plaintext.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fairdesk.crypto import keys
from fairdesk.store import DB_NAME
from tests.fairdesk.protect.test_at_rest import CANARY_TEXT, _hits

PASS = "booth 4 passphrase 展台"


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fairdesk", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "FAIRDESK_LANG": "en", **(env or {})},
        timeout=120,
    )


@pytest.mark.parametrize("how", ["variable", "option"])
def test_first_command_with_a_passphrase_creates_an_encrypted_folder(
    data_dir: Path, tmp_path: Path, how: str
) -> None:
    secret = tmp_path / "pass.txt"
    secret.write_text(PASS + "\n", encoding="utf-8")
    env = {"FAIRDESK_PASSPHRASE_FILE": str(secret)} if how == "variable" else {}
    option = ["--passphrase-file", str(secret)] if how == "option" else []
    assert not data_dir.exists()

    made = _cli(
        "case", "new", "--data-dir", str(data_dir), *option, "--title", CANARY_TEXT, "--json",
        env=env,
    )  # fmt: skip

    assert made.returncode == 0, made.stderr
    case_id = json.loads(made.stdout)["id"]  # stdout stays the command's JSON answer
    assert "created encrypted" in made.stderr and "not encrypted" not in made.stderr
    recovery = next(line.strip() for line in made.stderr.splitlines() if line.count("-") == 11)
    assert keys.is_encrypted(data_dir)
    assert (data_dir / DB_NAME).exists()
    assert _hits(data_dir, [CANARY_TEXT.encode(), b"SQLite format 3"]) == []
    status = _cli("protect", "status", "--json", "--data-dir", str(data_dir))
    assert json.loads(status.stdout)["encrypted"] is True
    # The passphrase opens it, and the recovery key printed once is the real one.
    listed = _cli("case", "list", "--json", "--data-dir", str(data_dir), *option, env=env)
    assert listed.returncode == 0, listed.stderr
    assert case_id in listed.stdout
    assert keys.unlock_with_recovery_key(data_dir, recovery)
    # Without the passphrase nothing opens (and nothing is created over it).
    locked = _cli("case", "list", "--data-dir", str(data_dir))
    assert locked.returncode == 1 and "--passphrase-file" in locked.stderr


def test_passphrase_for_an_existing_plain_folder_says_it_was_not_used(
    data_dir: Path, tmp_path: Path
) -> None:
    assert _cli("case", "new", "--data-dir", str(data_dir), "--title", "t").returncode == 0
    secret = tmp_path / "pass.txt"
    secret.write_text(PASS, encoding="utf-8")
    listed = _cli("case", "list", "--data-dir", str(data_dir), "--passphrase-file", str(secret))
    assert listed.returncode == 0
    assert "not encrypted" in listed.stderr and "fairdesk protect" in listed.stderr
    assert not keys.is_encrypted(data_dir)
