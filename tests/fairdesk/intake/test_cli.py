"""``fairdesk receive CASE --json`` in a real subprocess: pair, send, log, stop on a signal."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

import pytest
import requests

from fairdesk.evidence import service
from fairdesk.evidence.vocab import ImportStatus
from fairdesk.intake.session import IntakeEvent
from fairdesk.store import Store, open_store
from tests.fairdesk.intake.conftest import new_case, photo_bytes


def read_json_line(stream: IO[str]) -> dict[str, Any]:
    line = stream.readline()
    assert line, "fairdesk receive ended without printing"
    data: dict[str, Any] = json.loads(line)
    return data


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_receive_prints_json_logs_each_file_and_stops_cleanly(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    data_dir = tmp_path / "data"
    store: Store = open_store(data_dir)
    case_id = new_case(store)
    store.close()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fairdesk",
            "--data-dir",
            str(data_dir),
            "receive",
            case_id,
            "--host",
            "127.0.0.1",
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "FAIRDESK_LANG": "en"},
    )
    with process:
        run_session(process, tmp_path, stop_signal)
    store = open_store(data_dir)
    try:
        (item,) = service.list_items(store, case_id)
        assert item.original_name == "IMG_3.JPG"
    finally:
        store.close()
    assert not any((data_dir / "intake").rglob("*"))


def run_session(
    process: subprocess.Popen[str], tmp_path: Path, stop_signal: signal.Signals
) -> None:
    try:
        assert process.stdout is not None
        first = read_json_line(process.stdout)
        assert set(first) >= {"url", "token", "fingerprint"}
        assert first["url"].startswith("https://127.0.0.1:")
        assert len(first["fingerprint"].split(":")) == 32
        pem = tmp_path / "session.pem"
        http = requests.Session()
        http.trust_env = False
        # Trust the session's certificate only after checking it is the one printed.
        port = int(first["url"].rsplit(":", 1)[1].strip("/"))
        der = ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate(("127.0.0.1", port)))
        assert hashlib.sha256(der).hexdigest() == first["fingerprint"].replace(":", "").lower()
        pem.write_text(ssl.DER_cert_to_PEM_cert(der))
        http.verify = str(pem)
        base = first["url"].rstrip("/")
        pair = http.post(f"{base}/api/pair", json={"token": first["token"]}, timeout=30)
        assert pair.status_code == 200
        key = pair.json()["key"]
        assert read_json_line(process.stdout)["event"] == IntakeEvent.PHONE
        assert read_json_line(process.stdout)["event"] == IntakeEvent.TOKEN
        photo = photo_bytes(3)
        auth = {"Authorization": f"Bearer {key}"}
        state = http.post(
            f"{base}/api/uploads",
            json={"name": "IMG_3.JPG", "size": len(photo)},
            headers=auth,
            timeout=30,
        ).json()
        sent = http.put(
            f"{base}/api/uploads/{state['id']}",
            data=photo,
            headers={**auth, "Upload-Offset": "0"},
            timeout=30,
        ).json()
        assert sent["offset"] == len(photo)
        done = http.get(f"{base}/api/uploads/{state['id']}?wait=1", headers=auth, timeout=60)
        assert done.json()["result"]["status"] == ImportStatus.IMPORTED
        logged = read_json_line(process.stdout)
        assert logged["event"] == IntakeEvent.FILE and logged["name"] == "IMG_3.JPG"
        assert logged["sha256"] == hashlib.sha256(photo).hexdigest()
        process.send_signal(stop_signal)
        assert process.wait(timeout=30) == 0
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_receive_for_an_unknown_case_says_so(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    open_store(data_dir).close()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "fairdesk",
            "--data-dir",
            str(data_dir),
            "receive",
            "nope",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "FAIRDESK_LANG": "en"},
    )
    assert result.returncode == 1 and result.stdout == ""
    assert "nope" in result.stderr
