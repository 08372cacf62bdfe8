"""Issue 16: how a drain uses the link — one request per photo, fallbacks, records first.

A real data folder with real photos drains into a real `fairdesk-hq`; a recording transport
notes every request the device makes. Against a server that offers it, a photo that fits one
chunk goes as a single `PUT /v1/blobs/{digest}`; against one that does not (switched off, which
answers as a server that predates the protocol addition), and after a downgrade, the device uses
POST/PATCH and still drains. A note typed while photos are in flight reaches HQ before the
remaining photos.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from fairdesk import cases
from fairdesk.evidence.service import import_files
from sync.client import blobs
from sync.client.engine import PARALLEL_UPLOADS, make_transport, sync_once
from sync.client.transport import Transport
from tests.sync.devices import Node, make_node, new_case
from tests.sync.faultproxy import fault_proxy
from tests.sync.hq_harness import LiveHq, live_hq, sha256_file

PHOTO_BYTES = 200_000  # below the first chunk size (256 KiB): one chunk from the start


class Recording(Transport):
    """The app's transport, noting (method, path) of every request before it is sent."""

    def __init__(self, inner: Transport) -> None:
        super().__init__(
            inner.base_url,
            device_id=inner.device_id,
            refresh_token=inner._refresh_token,
            store_refresh_token=inner._store_refresh_token,
        )
        self.calls: list[tuple[str, str]] = []
        self.answered: list[tuple[str, str]] = []
        self._answer_index: list[tuple[tuple[str, str], int]] = []  # (call, len(calls) then)
        self.before_send: list[Any] = []
        self.pushed = threading.Event()  # a push has been answered
        self._calls_lock = threading.Lock()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        with self._calls_lock:
            self.calls.append((method, path))
        for hook in self.before_send:
            hook(method, path)
        response = super().request(method, path, **kwargs)
        if (method, path) == ("POST", "/sync/push"):
            self.pushed.set()
        with self._calls_lock:
            self.answered.append((method, path))
            self._answer_index.append(((method, path), len(self.calls)))
        return response

    def answered_at(self, call: tuple[str, str]) -> int:
        """How many requests had been started when `call` was first answered."""
        return next(n for c, n in self._answer_index if c == call)

    def uploads(self) -> list[tuple[str, str]]:
        return [c for c in self.calls if c[1].startswith(("/uploads", "/blobs"))]


@pytest.fixture(autouse=True)
def _fresh_learning() -> Iterator[None]:
    """What a process learnt about servers (`Upload-Single-Max`) stays within the test."""
    blobs._SINGLE_MAX.clear()
    blobs._SINGLE_TRIED.clear()
    blobs._ASKED.clear()
    yield
    blobs._SINGLE_MAX.clear()
    blobs._SINGLE_TRIED.clear()
    blobs._ASKED.clear()


def _photos(node: Node, tmp: Path, count: int, size: int = PHOTO_BYTES) -> tuple[str, list[str]]:
    case_id = new_case(node.store)
    shas = []
    tmp.mkdir(exist_ok=True)
    for i in range(count):
        path = tmp / f"IMG_{i}.jpg"
        path.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(size - 4))
        shas.append(sha256_file(path))
        import_files(node.store, case_id, [path])
    return case_id, shas


def _drain(node: Node) -> Recording:
    transport = Recording(make_transport(node.store))
    try:
        for _attempt in range(3):
            result = sync_once(node.store, transport)
            if result.drained:
                return transport
        raise AssertionError(result)
    finally:
        transport.close()


def _hq_holds(hq: LiveHq, shas: list[str], size: int = PHOTO_BYTES) -> None:
    objects = hq.store()
    for sha in shas:
        with objects.open_object(sha) as handle:
            assert len(handle.read()) == size


BIG_PHOTO = 1_500_000  # above the 256 KiB the chunk sizer starts from


def test_every_photo_goes_as_one_request_from_the_first(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    """HQ is asked once (GET /v1/health) before the first photo, so even the photos started
    first go as one PUT each; on a link that has not been cut, a photo larger than the sizer's
    starting chunk does too (it used to go as several PATCHes while the chunks grew)."""
    node = make_node(hq, tmp_path, "laptop", tenant)
    _case, shas = _photos(node, tmp_path, 5, BIG_PHOTO)
    transport = _drain(node)
    calls = transport.uploads()
    assert [m for m, _p in calls] == ["PUT"] * len(shas), calls
    assert {path.removeprefix("/blobs/sha256:") for _m, path in calls} == set(shas)
    assert transport.calls.count(("GET", "/health")) == 1
    assert transport.calls.index(("GET", "/health")) < transport.calls.index(calls[0])
    _hq_holds(hq, shas, BIG_PHOTO)
    # A second drain in the same process does not ask again.
    _case, more = _photos(node, tmp_path / "more", 2, BIG_PHOTO)
    again = _drain(node)
    assert ("GET", "/health") not in again.calls
    assert [m for m, _p in again.uploads()] == ["PUT", "PUT"]
    _hq_holds(hq, more, BIG_PHOTO)
    node.close()


def test_after_a_cut_a_photo_larger_than_the_chunks_goes_resumable(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    """Once this data folder has seen cuts on the way to HQ, a photo bigger than what the link
    carries between cuts goes as resumable chunks, so the next cut costs a chunk, not the file."""
    node = make_node(hq, tmp_path, "laptop", tenant)
    sizer = blobs.sizer_for(node.store)
    for _cut in range(2):  # ~500 kB get through between cuts: 32 KiB chunks
        sizer.succeeded(500_000)
        sizer.failed()
    assert sizer.size < BIG_PHOTO
    _case, shas = _photos(node, tmp_path, 1, BIG_PHOTO)
    methods = [m for m, _p in _drain(node).uploads()]
    assert methods[0] == "POST" and "PUT" not in methods
    assert methods.count("PATCH") > 1
    _hq_holds(hq, shas, BIG_PHOTO)
    node.close()


def test_against_a_server_without_it_the_device_uses_post_and_patch(
    tmp_path: Path,
) -> None:
    env = {"FAIRDESK_HQ_SINGLE_REQUEST_UPLOADS": "false"}
    with live_hq(f"sqlite:///{tmp_path / 'hq.sqlite3'}", tmp_path / "hq", env=env) as hq:
        hq.add_tenant("Acme")
        node = make_node(hq, tmp_path, "laptop", "Acme")
        _case, shas = _photos(node, tmp_path, 4)
        transport = _drain(node)
        methods = [m for m, _p in transport.uploads()]
        assert "PUT" not in methods
        assert methods.count("POST") == 4 and methods.count("PATCH") == 4
        # It asked (its health answer has no Upload-Single-Max) and believed the answer.
        assert transport.calls.count(("GET", "/health")) == 1
        _hq_holds(hq, shas)
        node.close()


def test_after_a_downgrade_the_device_falls_back_and_still_drains(tmp_path: Path) -> None:
    with (
        live_hq(f"sqlite:///{tmp_path / 'hq.sqlite3'}", tmp_path / "hq") as hq,
        fault_proxy(hq.base_url) as link,  # the same address for the device after the restart
    ):
        hq.add_tenant("Acme")
        node = make_node(hq, tmp_path, "laptop", "Acme", url=link.url)
        _case, first = _photos(node, tmp_path / "1", 1)
        assert [m for m, _p in _drain(node).uploads()] == ["PUT"]
        # HQ restarts without the feature (as an older version would): the device still
        # believes it is offered, gets 405 once, and goes on with POST/PATCH.
        hq.env["FAIRDESK_HQ_SINGLE_REQUEST_UPLOADS"] = "false"
        hq.restart()
        link.retarget("127.0.0.1", int(hq.base_url.rsplit(":", 1)[1]))
        _case, second = _photos(node, tmp_path / "2", 1)
        assert [m for m, _p in _drain(node).uploads()] == ["PUT", "POST", "PATCH"]
        _case, third = _photos(node, tmp_path / "3", 1)
        assert [m for m, _p in _drain(node).uploads()] == ["POST", "PATCH"]
        _hq_holds(hq, first + second + third)
        node.close()


def test_a_note_typed_while_photos_upload_goes_before_the_remaining_photos(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    node = make_node(hq, tmp_path, "laptop", tenant)
    case_id, _shas = _photos(node, tmp_path, 12)
    transport = Recording(make_transport(node.store))
    noted: list[int] = []  # index in transport.calls when the note was typed

    def type_a_note(method: str, path: str) -> None:
        # When the second photo starts (ten still to go), once the first push (the photos' own
        # records, sent beside the first photos) has been answered, the responder adds a note.
        if noted or (method, path) not in (("POST", "/uploads"), ("PUT", path)):
            return
        if not path.startswith(("/uploads", "/blobs")) or len(transport.uploads()) < 2:
            return
        assert transport.pushed.wait(timeout=60)
        noted.append(len(transport.calls))
        cases.add_note(node.store, case_id, "Bailiff left at 14:20")

    transport.before_send.append(type_a_note)
    try:
        assert sync_once(node.store, transport).drained
    finally:
        transport.close()
    assert noted, transport.calls
    calls = transport.calls
    pushes = [i for i, call in enumerate(calls) if call == ("POST", "/sync/push")]
    uploads = [i for i, call in enumerate(calls) if call[1].startswith(("/uploads", "/blobs"))]
    # The note's push goes while photos are still waiting: not after the last one.
    assert [i for i in pushes if noted[0] <= i < uploads[-1]], calls
    with hq.client() as http:
        office = hq.enroll_device(http, tenant)
        assert "Bailiff left at 14:20" in json.dumps(office.pull_all(), ensure_ascii=False)
    node.close()


def test_records_go_beside_the_first_photos_not_before_them(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    """The first push is sent while the first photos are in flight (HQ applies the records
    while the bytes stream): the first upload request does not wait for the push's answer."""
    node = make_node(hq, tmp_path, "laptop", tenant)
    case_id, _shas = _photos(node, tmp_path, 3)
    for i in range(600):  # more than one push batch of records
        cases.add_note(node.store, case_id, f"observation {i}")
    transport = Recording(make_transport(node.store))
    try:
        assert sync_once(node.store, transport).drained
    finally:
        transport.close()
    first_upload = next(
        i for i, c in enumerate(transport.calls) if c[1].startswith(("/uploads", "/blobs"))
    )
    first_push_answered = transport.answered_at(("POST", "/sync/push"))
    assert first_upload < first_push_answered, transport.calls
    node.close()


class _Gate:
    """A stand-in uploader for the scheduler: notes how many uploads overlap."""

    def __init__(self, sizer: blobs.ChunkSizer, wait_for: int, patience: float) -> None:
        self.sizer = sizer
        self.wait_for, self.patience = wait_for, patience
        self.inflight = self.most = 0
        self.cond = threading.Condition()

    def upload(self, _entry: blobs.QueuedBlob) -> bool:
        with self.cond:
            self.inflight += 1
            self.most = max(self.most, self.inflight)
            self.cond.notify_all()
            # Wait (bounded) for others to join: they can only if the scheduler let them start.
            self.cond.wait_for(lambda: self.most >= self.wait_for, timeout=self.patience)
            self.inflight -= 1
        return True


def _queue(count: int) -> list[blobs.QueuedBlob]:
    return [blobs.QueuedBlob(f"{i:064x}", 10, 0, 0) for i in range(count)]


def test_uploads_run_in_parallel_on_a_clean_link_and_one_at_a_time_after_cuts() -> None:
    from sync.client.engine import SyncResult, _upload_all, parallel_uploads

    clean = blobs.ChunkSizer()
    gate = _Gate(clean, PARALLEL_UPLOADS, patience=30)
    result = SyncResult(ok=False)
    _upload_all(gate, _queue(6), result, lambda: None)  # type: ignore[arg-type]
    assert gate.most == PARALLEL_UPLOADS and result.uploaded == 6

    lossy = blobs.ChunkSizer()
    for _cut in range(3):  # ~1 MB gets through between cuts
        lossy.succeeded(1024 * 1024)
        lossy.failed()
    assert parallel_uploads(lossy) == 1
    gate = _Gate(lossy, 2, patience=0.3)  # a second upload in flight would be seen at once
    result = SyncResult(ok=False)
    _upload_all(gate, _queue(3), result, lambda: None)  # type: ignore[arg-type]
    assert gate.most == 1 and result.uploaded == 3

    # A long clean run after the cuts grows the chunks back, and with them the parallelism.
    for _chunk in range(40):
        lossy.succeeded(lossy.size)
    assert lossy.size > blobs.START_CHUNK and parallel_uploads(lossy) == PARALLEL_UPLOADS


def test_parallel_requests_of_a_new_transport_share_one_token_refresh(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    """The push and the uploads start together with no access token: the first refresh's new
    token serves all of them (each used to rotate the refresh token again, one after another)."""
    node = make_node(hq, tmp_path, "laptop", tenant)
    threads = 4
    entered = threading.Semaphore(0)
    refreshes: list[str] = []

    class Counting(Transport):
        def refresh(self) -> None:
            entered.release()
            super().refresh()

        def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
            if path == "/auth/token":
                refreshes.append(path)
                if len(refreshes) == 1:  # hold the first refresh until every thread asked
                    for _thread in range(threads):
                        assert entered.acquire(timeout=30)
            return super()._send(method, path, **kwargs)

    inner = make_transport(node.store)
    transport = Counting(
        inner.base_url,
        device_id=inner.device_id,
        refresh_token=inner._refresh_token,
        store_refresh_token=inner._store_refresh_token,
    )
    answers: list[int] = []

    def ask() -> None:
        answers.append(transport.request("GET", "/sync/pull", params={"cursor": 0}).status_code)

    workers = [threading.Thread(target=ask) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    transport.close()
    assert answers == [200] * threads
    assert refreshes == ["/auth/token"]
    node.close()
