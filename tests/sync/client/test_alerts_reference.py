"""End to end with a real `fairdesk-hq` process and the real `fairdesk` CLI: an HQ alert reaches
the device in both languages and its acknowledgement comes back; reference-library updates are
applied, a malformed one is rejected as a whole (the library in use stays) and shown in the
sync status without stopping the sync."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from fairdesk.knowledge import library
from tests.sync.hq_harness import LiveHq


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fairdesk", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        check=False,
    )


def _json(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _publish_library(hq: LiveHq, tmp_path: Path, payload: dict[str, Any]) -> None:
    path = tmp_path / f"library-{payload['library_version']}.json"
    path.write_text(json.dumps(payload, ensure_ascii=False), "utf-8")
    key = str(payload["library_version"])
    _json(
        hq.cli(
            "reference",
            "publish",
            "--kind",
            "library",
            "--key",
            key,
            "--data",
            f"@{path}",
            "--json",
        )
    )


def test_alert_reaches_device_and_ack_comes_back_library_updates_apply_or_are_rejected(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    data = tmp_path / "laptop"
    _json(_cli(data, "enroll", "--server", hq.base_url, "--code", hq.enroll_code(tenant), "--json"))
    published = _json(
        hq.cli(
            "alert",
            "publish",
            "--title",
            "Injunction wave expected at MWC",
            "--title-zh",
            "预计 MWC 出现禁令潮",
            "--body",
            "File protective letters before the show.",
            "--body-zh",
            "请在展前提交保护函。",
            "--level",
            "red",
            "--country",
            "ES",
            "--fair",
            "MWC Barcelona",
            "--goods",
            "hs85",
            "--valid-until",
            "2099-03-05",
            "--json",
        )
    )
    shipped = library.shipped_payload()
    entry = copy.deepcopy(shipped["entries"][0])
    entry["title"]["en"] = "Canton Fair, 118th session: complaint figures (revised)"
    _publish_library(
        hq,
        tmp_path,
        {
            "schema_version": shipped["schema_version"],
            "library_version": shipped["library_version"] + 1,
            "edition": "2027.01",
            "published_at": "2027-01-05",
            "base_version": shipped["library_version"],
            "upsert": [entry],
            "delete": [],
        },
    )
    assert _cli(data, "sync", "--once").returncode == 0

    (alert,) = _json(_cli(data, "kb", "alerts", "--json"))["alerts"]
    assert alert["id"] == published["alert_id"] and alert["level"] == "red"
    assert alert["title"] == {"en": "Injunction wave expected at MWC", "zh": "预计 MWC 出现禁令潮"}
    assert alert["text"] == {
        "en": "File protective letters before the show.",
        "zh": "请在展前提交保护函。",
    }
    assert (alert["countries"], alert["fairs"], alert["goods"]) == (
        ["ES"],
        ["MWC Barcelona"],
        ["hs85"],
    )
    assert alert["valid_until"].startswith("2099-03-05") and alert["acknowledged_at"] is None
    versions = _json(_cli(data, "kb", "versions", "--json"))
    assert versions["active"]["library_version"] == shipped["library_version"] + 1
    assert versions["applied"][0]["changes"]["changed"]  # what changed is recorded
    assert _json(hq.cli("alert", "acks", "--json")) == []

    assert _cli(data, "kb", "ack", alert["id"]).returncode == 0
    # A malformed update: rejected as a whole, the sync goes on, the problem stays on show.
    _publish_library(
        hq,
        tmp_path,
        {
            "schema_version": 1,
            "library_version": shipped["library_version"] + 2,
            "edition": "2027.01b",
            "published_at": "2026-12-05",
            "entries": [{"id": "broken", "kind": "nonsense"}],
        },
    )
    synced = _cli(data, "sync", "--once", "--json")
    assert synced.returncode == 0, synced.stderr
    result = json.loads(synced.stdout)
    assert result["rejected"] == 0 and result["pushed"] == 1
    problem = result["status"]["feed_problems"]["reference"]
    assert str(shipped["library_version"] + 2) in problem and "rejected as a whole" in problem
    active = _json(_cli(data, "kb", "versions", "--json"))["active"]["library_version"]
    assert active == shipped["library_version"] + 1
    shown = _cli(data, "kb", "show", entry["id"], "--json")
    assert "(revised)" in json.dumps(_json(shown), ensure_ascii=False)

    (ack,) = _json(hq.cli("alert", "acks", "--json"))
    status = _json(_cli(data, "sync", "--status", "--json"))
    assert ack["alert_id"] == alert["id"] and ack["device_name"] is not None
    assert status["outbox"]["rejected"] == 0 and status["feed_problems"]["reference"] == problem
    assert ack["device_id"] in json.dumps(
        _json(hq.cli("device", "list", "--tenant", tenant, "--json"))
    )
