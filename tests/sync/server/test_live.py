"""End to end against a real `fairdesk-hq serve` subprocess on 127.0.0.1 (both databases):
the admin CLI, SIGKILL mid-push and mid-upload, and 50 devices at once."""

from __future__ import annotations

import contextlib
import json
import os
import random
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from sync.protocol import (
    UPLOAD_CHECKSUM,
    UPLOAD_OFFSET,
    chunk_checksum,
    digest_of,
    is_server_response,
)
from tests.sync.hq_harness import DeviceClient, LiveHq, enroll_codes


def _json(result: object) -> dict:  # type: ignore[type-arg]
    assert getattr(result, "returncode", 1) == 0, getattr(result, "stderr", "")
    return json.loads(getattr(result, "stdout", ""))  # type: ignore[no-any-return]


def test_admin_cli_and_guidance_centre_end_to_end(live_server: LiveHq) -> None:
    hq = live_server
    _json(hq.cli("tenant", "add", "Acme", "--json"))
    _json(hq.cli("tenant", "add", "Centre", "--kind", "guidance", "--json"))
    _json(hq.cli("user", "add", "alice", "--tenant", "Acme", "--role", "legal", "--json"))
    code = _json(
        hq.cli("enroll-code", "--tenant", "Acme", "--role", "legal", "--user", "alice", "--json")
    )["code"]
    bad = hq.cli("enroll-code", "--tenant", "Nobody", "--json")
    assert bad.returncode == 2 and "Nobody" in json.loads(bad.stderr)["error"]
    with hq.client() as http:
        health = http.get("/v1/health")
        assert health.json()["name"] == "fairdesk-hq" and is_server_response(health.headers)
        missing = http.get("/nowhere")
        assert missing.status_code == 404 and is_server_response(missing.headers)
        assert missing.headers["content-type"] == "application/json"
        alice = DeviceClient.enroll(http, code)
        case = alice.new_case(title="Raid at booth 4")
        escalated = _json(
            hq.cli("escalate", "--tenant", "Acme", "--case", case, "--to", "Centre", "--json")
        )
        assert escalated["case_id"] == case
        centre = DeviceClient.enroll(
            http, _json(hq.cli("enroll-code", "--tenant", "Centre", "--json"))["code"]
        )
        assert [c["entity_id"] for c in centre.pull_all()] == [case]
        _json(hq.cli("alert", "publish", "--title", "Customs raids", "--body", "Hall 3", "--json"))
        _json(
            hq.cli(
                "reference",
                "publish",
                "--kind",
                "law",
                "--key",
                "cn-patent",
                "--data",
                '{"title": "Patent Law"}',
                "--json",
            )
        )
        alerts = alice.request("GET", "/v1/alerts").json()["items"]
        assert [a["title"] for a in alerts] == ["Customs raids"]
        refs = centre.request("GET", "/v1/reference").json()["items"]
        assert refs[0]["data"] == {"title": "Patent Law"}
        listed = json.loads(hq.cli("device", "list", "--tenant", "Acme", "--json").stdout)
        assert [d["device_id"] for d in listed] == [alice.device_id]
        _json(hq.cli("device", "revoke", alice.device_id, "--json"))
        assert alice.request("GET", "/v1/sync/pull").status_code == 401


def test_sigkill_mid_push_leaves_no_partial_batch(live_server: LiveHq) -> None:
    hq = live_server
    hq.add_tenant("Acme")
    rng = random.Random(5)
    with hq.client() as http:
        device = hq.enroll_device(http, "Acme")
        for _round in range(4):
            case = str(uuid.uuid4())
            batch = [device.mutation("case", case, changes={"title": "t"})] + [
                device.mutation("note", str(uuid.uuid4()), changes={"case_id": case, "n": i})
                for i in range(499)
            ]
            before = len(device.pull_all())
            pusher = threading.Thread(target=_quietly, args=(device.push_raw, batch))
            pusher.start()
            time.sleep(rng.uniform(0.0, 0.4))
            hq.restart()  # SIGKILL, then start again
            pusher.join()
            http._base_url = httpx.URL(hq.base_url)  # new port after restart
            applied = len(device.pull_all()) - before
            assert applied in (0, 500)  # all or nothing
            results = device.push(batch)  # the device retries the same batch
            assert {r["status"] for r in results} == ({"duplicate"} if applied else {"applied"})
            assert len(device.pull_all()) - before == 500


def _quietly(call: object, *args: object) -> None:
    with contextlib.suppress(httpx.TransportError):  # the server died under us: expected
        call(*args)  # type: ignore[operator]


def test_sigkill_mid_upload_never_completes_a_half_blob(live_server: LiveHq) -> None:
    hq = live_server
    hq.add_tenant("Acme")
    data = os.urandom(4 * 1024 * 1024)
    digest = digest_of(data)
    with hq.client() as http:
        device = hq.enroll_device(http, "Acme")
        upload_id = device.start_upload(data).json()["upload_id"]
        assert device.patch(upload_id, 0, data[: 1024 * 1024]).status_code == 204
        half_sent = threading.Event()

        def slow_body() -> Iterator[bytes]:
            rest = data[1024 * 1024 :]
            for i in range(0, len(rest), 64 * 1024):
                if i >= len(rest) // 2:
                    half_sent.set()
                    time.sleep(0.05)
                yield rest[i : i + 64 * 1024]

        def patch_slowly() -> None:
            headers = {
                UPLOAD_OFFSET: str(1024 * 1024),
                UPLOAD_CHECKSUM: chunk_checksum(data[1024 * 1024 :]),
            }
            path = f"/v1/uploads/{upload_id}"
            _quietly(lambda: device.request("PATCH", path, content=slow_body(), headers=headers))

        patcher = threading.Thread(target=patch_slowly)
        patcher.start()
        assert half_sent.wait(30)
        hq.restart()
        patcher.join()
        http._base_url = httpx.URL(hq.base_url)
        assert device.request("HEAD", f"/v1/uploads/{upload_id}").headers[UPLOAD_OFFSET] == str(
            1024 * 1024
        )
        assert device.request("HEAD", f"/v1/blobs/{digest}").status_code == 404
        objects = Path(hq.data_dir) / "blobs" / "objects"
        assert not [p for p in objects.rglob("*") if p.is_file()]
        assert device.complete(upload_id, digest).status_code == 409
        device.upload(data)  # resumes from the server's offset
        assert device.request("GET", f"/v1/blobs/{digest}").content == data


def test_fifty_devices_at_once(hq_db_url: str, tmp_path: Path) -> None:
    from tests.sync.hq_harness import live_hq

    with live_hq(hq_db_url, tmp_path / "hq", workers=2) as hq:
        hq.add_tenant("Acme")
        codes = enroll_codes(hq.db_url, "Acme", count=50)

        def one_device(code: str) -> int:
            with hq.client(timeout=120) as http:
                device = DeviceClient.enroll(http, code)
                case = device.new_case()
                results = device.push(
                    [
                        device.mutation("note", str(uuid.uuid4()), changes={"case_id": case})
                        for _ in range(20)
                    ]
                )
                assert {r["status"] for r in results} == {"applied"}
                device.upload(os.urandom(256 * 1024), chunk_size=128 * 1024)
                return len(device.pull_all())

        with ThreadPoolExecutor(50) as pool:
            seen = list(pool.map(one_device, codes))
        with hq.client() as http:
            last = DeviceClient.enroll(http, enroll_codes(hq.db_url, "Acme")[0])
            assert len(last.pull_all()) == 50 * 21
        assert all(n >= 21 for n in seen)
