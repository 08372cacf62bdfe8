"""`fairdesk-hq case list|show --json` and `fairdesk-hq user add|passwd`, run as the real command
against a real HQ database holding a case synced by a real `fairdesk` data folder.

The same queries serve the console, so the list here and the console's list agree by
construction; the test also checks the console shows what the command prints.
"""

from __future__ import annotations

import json
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fairdesk import triage
from fairdesk.model import Trigger
from sync.server import queries
from sync.server.console import totp
from tests.sync.console.helpers import PASSWORD, booth_case, sign_in
from tests.sync.hq_harness import HQ_BIN, LiveHq, live_hq

INSECURE = {"FAIRDESK_HQ_CONSOLE_INSECURE_COOKIES": "1"}


def _json(hq: LiveHq, *args: str) -> object:
    done = hq.cli(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _hq_cmd(hq: LiveHq, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HQ_BIN), *args, "--db", hq.db_url, "--data-dir", str(hq.data_dir), "--json"],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_case_list_and_show_print_what_the_booth_synced(hq_db_url: str, tmp_path: Path) -> None:
    with live_hq(hq_db_url, tmp_path / "hq", env=INSECURE) as hq:
        hq.add_tenant("Acme Tools")
        hq.add_tenant("Rival GmbH")
        booth = booth_case(hq, tmp_path, "Acme Tools")
        rows = _json(hq, "case", "list", "--tenant", "Acme Tools")
        assert isinstance(rows, list) and len(rows) == 1
        row = rows[0]
        assert row["id"] == booth.case_id
        assert row["fair"] == "Hannover Messe" and row["country"] == "DE"
        assert row["fair_time_zone"] == "Europe/Berlin"
        # Warning letter (R3) with an answer due within 24 h (R2): red, as on the device.
        assert (row["level"], row["level_rule"]) == ("red", "R2")
        assert row["trigger"] == "warning_letter"
        assert row["next_deadline"].endswith(("+01:00", "+02:00"))  # fair-local, with offset
        assert row["device"] == "booth" and row["last_sync"]
        # Chinese without spaces: a word inside a longer run, as on the device.
        for query, hits in (("专利", 1), ("侵权", 1), ("利侵", 1), ("商标", 0), ("weber", 1)):
            found = _json(hq, "case", "list", "--tenant", "Acme Tools", "--search", query)
            assert len(found) == hits, query  # type: ignore[arg-type]
        # A key of the JSON text is not a match: only values are searched.
        assert _json(hq, "case", "list", "--tenant", "Acme Tools", "--search", "title") == []
        assert _json(hq, "case", "list", "--tenant", "Rival GmbH") == []
        shown = _json(hq, "case", "show", booth.case_id, "--tenant", "Acme Tools")
        assert isinstance(shown, dict)
        assert [p["name"] for p in shown["parties"]] == ["Rechtsanwalt K. Weber"]
        assert shown["deadlines"][0]["due_utc"] and shown["notes"]
        (item,) = shown["evidence"]
        assert item["sha256"] and item["available"] is True
        assert shown["custody"], "custody entries of the import reach HQ"
        other = hq.cli("case", "show", booth.case_id, "--tenant", "Rival GmbH", "--json")
        assert other.returncode == 2 and "no case" in json.loads(other.stderr)["error"]
        booth.node.close()


def test_user_passwd_with_totp_then_console_sign_in(tmp_path: Path) -> None:
    with live_hq(f"sqlite:///{tmp_path / 'hq.sqlite3'}", tmp_path / "hq", env=INSECURE) as hq:
        hq.add_tenant("Acme Tools")
        added = _hq_cmd(
            hq,
            "user",
            "add",
            "lawyer",
            "--tenant",
            "Acme Tools",
            "--role",
            "legal",
            "--password-stdin",
            stdin="short\n",
        )
        assert added.returncode == 2 and "at least 10 characters" in added.stderr
        added = _hq_cmd(hq, "user", "add", "lawyer", "--tenant", "Acme Tools", "--role", "legal")
        assert added.returncode == 0, added.stderr
        responder = _hq_cmd(
            hq, "user", "add", "booth", "--tenant", "Acme Tools", "--role", "responder"
        )
        assert responder.returncode == 0
        refused = _hq_cmd(
            hq,
            "user",
            "passwd",
            "booth",
            "--tenant",
            "Acme Tools",
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        assert refused.returncode == 2 and "cannot sign in" in refused.stderr
        done = _hq_cmd(
            hq,
            "user",
            "passwd",
            "lawyer",
            "--tenant",
            "Acme Tools",
            "--totp",
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        assert done.returncode == 0, done.stderr
        secret = json.loads(done.stdout)["totp_secret"]
        with hq.client() as http:
            assert sign_in(http, "Acme Tools", "lawyer").status_code == 401  # code missing
            wrong = sign_in(http, "Acme Tools", "lawyer", code="000000")
            assert wrong.status_code == 401
            code = totp.totp(totp._key(secret), time.time())
            ok = sign_in(http, "Acme Tools", "lawyer", code=code)
            assert ok.status_code == 200 and ok.url.path == "/console/cases"


@pytest.mark.parametrize("role", ["legal"])
def test_the_console_lists_what_the_command_prints(tmp_path: Path, role: str) -> None:
    with live_hq(f"sqlite:///{tmp_path / 'hq.sqlite3'}", tmp_path / "hq", env=INSECURE) as hq:
        hq.add_tenant("Acme Tools")
        booth = booth_case(hq, tmp_path, "Acme Tools")
        assert (
            _hq_cmd(
                hq,
                "user",
                "add",
                "lawyer",
                "--tenant",
                "Acme Tools",
                "--role",
                role,
                "--password-stdin",
                stdin=PASSWORD + "\n",
            ).returncode
            == 0
        )
        with hq.client() as http:
            sign_in(http, "Acme Tools", "lawyer")
            page = http.get("/console/cases", params={"q": "专利"})
            assert booth.case_id in page.text and "Hannover Messe" in page.text
            assert "Europe/Berlin" in page.text and "Asia/Shanghai" in page.text
            empty = http.get("/console/cases", params={"q": "商标"})
            assert booth.case_id not in empty.text
        booth.node.close()


@pytest.mark.parametrize("trigger", list(Trigger))
@pytest.mark.parametrize("hours", [None, -1, 5, 23, 25, 200])
def test_hq_levels_follow_the_device_rules(trigger: Trigger, hours: int | None) -> None:
    """HQ applies R1-R5 itself (devices keep the level local): same answer as fairdesk.triage."""
    now = datetime(2027, 4, 13, 10, 0, tzinfo=UTC)
    due = [] if hours is None else [now + timedelta(hours=hours)]
    device = triage.assess(trigger, due, now)
    assert queries.assess(trigger.value, due, now) == (device.level.value, device.rule)
