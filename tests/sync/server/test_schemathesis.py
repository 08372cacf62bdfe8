"""Schemathesis against a live `fairdesk-hq` on SQLite and PostgreSQL: every check, a fixed seed,
bounded examples (schemathesis.toml); coverage, fuzzing and stateful phases.

The `st` command line runs as a subprocess against the real server, as an attacker's tool would:
the coverage phase (boundary values, missing headers, unsupported methods with their `Allow`),
fuzzing in positive and negative mode, and stateful sequences that follow the links it infers
(create an upload → PATCH → complete). Every finding fails the test, except the documented ones
(sync/server/README.md, "Known schemathesis findings"), which schemathesis.toml and the check
in schemathesis_hooks.py allow per operation, status and `error` code only.

On PostgreSQL only the fuzzing and stateful phases run: the coverage phase (about half the run)
checks declarations and validation, which do not depend on the database. Revoking is fuzzed with
another company's admin device (schemathesis.toml), so the fuzzing device is never revoked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.sync.hq_harness import LiveHq

HERE = Path(__file__).parent
ST_BIN = Path(sys.executable).with_name("st")
SEED = 20261204
# Ids of the case and blob the test created, which the fuzzer cannot guess: drawn for half of the
# positive cases, so the 200 answers (case view, blob download and HEAD) are checked too.
HELD_DATA = """
[dictionaries.held_case]
values = ["{case}"]

[dictionaries.held_blob]
values = ["{digest}"]

[parameters]
"path.case_id" = {{ dictionary = "held_case", probability = 0.5 }}
"path.digest" = {{ dictionary = "held_blob", probability = 0.5 }}
"""


def _run_st(
    server: LiveHq, tokens: dict[str, str], config: Path, workdir: Path, phases: list[str]
) -> dict[str, Any]:
    report = workdir / "report.json"
    env = {
        **os.environ,
        **tokens,
        "FAIRDESK_FUZZ_HOOKS": str(HERE / "schemathesis_hooks.py"),
    }
    result = subprocess.run(
        [
            str(ST_BIN),
            "--config-file",
            str(config),
            "--no-color",
            "run",
            f"{server.base_url}/openapi.json",
            "--seed",
            str(SEED),
            "--report",
            "json",
            "--report-json-path",
            str(report),
            "--phases",
            ",".join(phases),
        ],
        cwd=workdir,  # st's .hypothesis and .schemathesis folders stay in tmp_path
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-12_000:] + result.stderr[-4_000:]
    data: dict[str, Any] = json.loads(report.read_text())
    assert data["failures"] == [] and data["errors"] == [], data
    return data


def test_api_conforms_to_its_schema(live_server: LiveHq, tmp_path: Path) -> None:
    # A quota the fuzzer cannot exhaust: POST /uploads must then accept every length up to the
    # published maximum (the configured upload limit), with no 413 for a full quota.
    live_server.add_tenant("Acme", quota_bytes=2**50)
    live_server.add_tenant("Other Co")
    live_server.add_tenant("Trade Fair Help Desk", "guidance")
    with live_server.client() as http:
        fuzzer = live_server.enroll_device(http, "Acme", "admin")
        revoker = live_server.enroll_device(http, "Other Co", "admin")
        case_id = fuzzer.new_case()  # something for pull, case views and the escalation
        digest = fuzzer.upload(b"an evidence photo")
        operations = sum(len(item) for item in http.get("/openapi.json").json()["paths"].values())

    phases = ["fuzzing", "stateful"]
    if not live_server.db_url.startswith("postgresql"):
        phases.insert(0, "coverage")
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        (HERE / "schemathesis.toml").read_text() + HELD_DATA.format(case=case_id, digest=digest)
    )
    tokens = {
        "FAIRDESK_FUZZ_TOKEN": fuzzer.access_token,
        "FAIRDESK_FUZZ_REVOKE_TOKEN": revoker.access_token,
    }
    report = _run_st(live_server, tokens, config, tmp_path, phases)

    assert report["complete"] is True
    assert report["operations"]["tested"] == operations >= 19
    for phase in phases:
        assert report["phases"][phase]["status"] == "success", report["phases"]
    with live_server.client() as http:  # never revoked: the run kept its own credentials
        fuzzer.http = http
        assert fuzzer.request("GET", "/v1/devices").status_code == 200
