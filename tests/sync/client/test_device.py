"""Credentials fallback, the CLI contract, and the HQ role (pull all, edit, escalate)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from fairdesk import cases
from fairdesk.errors import FairDeskError
from sync.client.credentials import load_refresh_token, save_refresh_token
from tests.sync.devices import make_node, new_case
from tests.sync.hq_harness import LiveHq


def test_token_falls_back_to_a_private_file_when_keyring_fails(tmp_path: Path) -> None:
    # tests/conftest.py forces keyring's fail backend (a headless machine).
    where = save_refresh_token(tmp_path, "dev", "secret-token")
    assert where == "file"
    path = tmp_path / "sync" / "refresh-token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_refresh_token(tmp_path, "dev") == "secret-token"
    os.chmod(path, 0o644)
    with pytest.raises(FairDeskError, match="other users"):
        load_refresh_token(tmp_path, "dev")


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fairdesk", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_cli_enroll_sync_status_and_exit_codes(hq: LiveHq, tenant: str, tmp_path: Path) -> None:
    data = tmp_path / "laptop"
    created = _cli(
        data,
        "case",
        "new",
        "--title",
        "From the CLI",
        "--direction",
        "against_us",
        "--trigger",
        "complaint",
    )
    assert created.returncode == 0, created.stderr
    case_id = created.stdout.strip().splitlines()[-1].strip()
    not_enrolled = _cli(data, "sync", "--once")
    assert not_enrolled.returncode != 0 and "not enrolled" in not_enrolled.stderr
    done = _cli(data, "enroll", "--server", hq.base_url, "--code", hq.enroll_code(tenant), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["role"] == "responder"
    before = json.loads(_cli(data, "sync", "--status", "--json").stdout)
    assert before["outbox"]["waiting"] >= 2 and before["last_success_at"] is None
    synced = _cli(data, "sync", "--once")
    assert synced.returncode == 0, synced.stderr
    after = json.loads(_cli(data, "sync", "--status", "--json").stdout)
    assert (
        after["outbox"]["waiting"] == 0 and after["outbox"]["sent"] == before["outbox"]["waiting"]
    )
    assert after["uploads_pending"] == 0 and after["last_success_at"]
    hq.kill()  # HQ gone: the edit waits, and the exit code says so
    assert _cli(data, "case", "edit", case_id, "--title", "Edited offline").returncode == 0
    # --max-time: how long --once keeps retrying through network faults (default 300 s).
    offline = _cli(data, "sync", "--once", "--max-time", "0")
    assert offline.returncode != 0 and "cannot be reached" in offline.stderr


def test_hq_machine_pulls_every_case_edits_and_escalates(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    from sync.client.hq import escalate

    hq.add_tenant("Guidance Centre", kind="guidance")
    a = make_node(hq, tmp_path, "a", tenant)
    b = make_node(hq, tmp_path, "b", tenant)
    office = make_node(hq, tmp_path, "office", tenant, role="legal")
    centre = make_node(hq, tmp_path, "centre", "Guidance Centre", role="guidance")
    ids = [new_case(a.store, "from A"), new_case(b.store, "from B")]
    assert a.sync().drained and b.sync().drained and office.sync().drained
    assert {c.id for c in cases.list_cases(office.store)} == set(ids)
    cases.edit_case(office.store, ids[0], cases.CaseEdit(summary="HQ: prepare a protective letter"))
    with pytest.raises(FairDeskError):
        escalate(a.store, ids[0], "Guidance Centre")  # a responder laptop may not
    info = escalate(office.store, ids[0], "Guidance Centre", reason="red case, needs experts")
    assert info.case_id == ids[0]
    assert office.sync().drained and a.sync().drained and centre.sync().drained
    assert cases.get_case(a.store, ids[0]).summary == "HQ: prepare a protective letter"
    assert cases.get_case(a.store, ids[0]).case.status.value == "escalated"
    assert {c.id for c in cases.list_cases(centre.store)} == {ids[0]}
