"""docs/sync.md faults #2 and #3: SIGKILL of the app (during edit, push, pull-apply) and of HQ.

The app runs in a child process (`crashing_app`) doing real work on a real data folder; the
parent kills it with SIGKILL right after the k-th event it reports (an edit saved, a batch
pushed, a page pulled; k seeded), never after a guessed delay, reopens the folder and checks the
promises: every edit the user was told about is in the outbox, every mutation reaches HQ
exactly once, and the pull cursor is never ahead of the rows applied.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from fairdesk import outbox
from fairdesk.ids import new_id
from fairdesk.model import Note, OutboxEntry
from fairdesk.store import open_store
from fairdesk.timeutil import utcnow
from sync.client import engine
from sync.client.engine import Progress, sync_once
from sync.client.pull import cursor_of
from tests.sync.devices import Node, make_node, new_case, state_diff, state_hash
from tests.sync.hq_harness import LiveHq

ROOT = Path(__file__).resolve().parents[3]


def _child(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.sync.faults.crashing_app", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _lines(proc: subprocess.Popen[str], count: int, event: Callable[[str], bool]) -> list[str]:
    """Everything the child printed; it is SIGKILLed right after its ``count``-th ``event``
    line (or when it ends on its own first)."""
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    out: list[str] = []
    seen = 0
    while seen < count and (line := proc.stdout.readline()):
        out.append(line.strip())
        if out[-1] == "drained":  # a whole sync ended: nothing left to interrupt
            break
        seen += event(out[-1])
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGKILL)
    out += [line.strip() for line in proc.stdout]  # what it wrote before it died
    proc.wait()
    proc.stdout.close()
    return out


def _any(_line: str) -> bool:
    return True


def _mid(phase: str) -> Callable[[str], bool]:
    """A progress line of ``phase`` with some work done (so the kill lands inside it)."""

    def matches(line: str) -> bool:
        parts = line.split()
        return len(parts) == 4 and parts[:2] == ["progress", phase] and int(parts[2]) > 0

    return matches


def _bulk_notes(store: object, case_id: str, count: int) -> None:
    with store.write() as session:  # type: ignore[attr-defined]
        for i in range(count):
            note = Note(
                id=new_id(),
                case_id=case_id,
                text=f"bulk {i}",
                author="",
                device_id="x",
                created_at=utcnow(),
            )
            session.add(note)
            outbox.record(
                session,
                entity="note",
                entity_id=note.id,
                op="insert",
                case_id=case_id,
                changes={
                    "case_id": case_id,
                    "text": note.text,
                    "author": "",
                    "device_id": "x",
                    "created_at": note.created_at,
                },
            )


def test_sigkill_during_edit_keeps_every_acknowledged_edit(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    a = make_node(hq, tmp_path, "a", tenant)
    case_id = new_case(a.store)
    a.close()
    rng = random.Random(2)
    acknowledged: list[str] = []
    for _round in range(4):
        acknowledged += _lines(
            _child("edit", str(tmp_path / "a"), case_id), rng.randint(1, 50), _any
        )
    assert len(acknowledged) >= 4
    store = open_store(tmp_path / "a", create=False)
    with store.read() as session:
        queued = set(
            session.scalars(select(OutboxEntry.entity_id).where(OutboxEntry.entity == "note"))
        )
        ok = session.connection().exec_driver_sql("PRAGMA integrity_check").scalar()
    assert ok == "ok"
    assert set(acknowledged) <= queued
    store.close()


def test_sigkill_during_push_and_pull_apply_then_recovery(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    a = make_node(hq, tmp_path, "a", tenant)
    b = make_node(hq, tmp_path, "b", tenant)
    case_id = new_case(a.store)
    _bulk_notes(a.store, case_id, 3000)
    a.close()
    rng = random.Random(3)
    # Push: killed mid-way several times.
    for _round in range(4):
        _lines(_child("sync", str(tmp_path / "a")), rng.randint(1, 3), _mid("push"))
    a = Node("a", open_store(tmp_path / "a", create=False), hq.base_url)
    assert a.sync().drained
    # Pull-apply on B: killed mid-way several times; the cursor is never ahead of the rows.
    b.close()
    for _round in range(4):
        _lines(_child("sync", str(tmp_path / "b")), rng.randint(1, 3), _mid("pull"))
        store = open_store(tmp_path / "b", create=False)
        cursor = cursor_of(store)
        with hq.client() as http:
            reader = hq.enroll_device(http, tenant)
            upto = [c for c in reader.pull_all() if c["server_seq"] <= cursor]
        with store.read() as session:
            have = set(session.scalars(select(Note.id)))
        assert {c["entity_id"] for c in upto if c["entity"] == "note"} <= have
        store.close()
    b = Node("b", open_store(tmp_path / "b", create=False), hq.base_url)
    assert b.sync().drained and a.sync().drained
    assert state_hash(a.store) == state_hash(b.store), state_diff(a.store, b.store)
    with hq.client() as http:
        reader = hq.enroll_device(http, tenant)
        notes = [c for c in reader.pull_all() if c["entity"] == "note"]
    assert len(notes) == 3000 and len({n["entity_id"] for n in notes}) == 3000


def _sync_and_kill_hq_after_batch(node: Node, hq: LiveHq, k: int) -> None:
    """Sync ``node`` in a thread and SIGKILL HQ right after it acknowledged the k-th batch."""
    batches: list[int] = []
    mid_push = threading.Event()

    def on_progress(progress: Progress) -> None:
        if progress.phase == "push" and progress.done > 0:
            batches.append(progress.done)
            if len(batches) >= k:
                mid_push.set()

    def run() -> None:
        try:
            sync_once(node.store, on_progress=on_progress)
        finally:
            mid_push.set()  # finished (or failed) before the k-th batch: kill anyway

    worker = threading.Thread(target=run)
    worker.start()
    assert mid_push.wait(120)
    hq.kill()
    worker.join()


def test_sigkill_of_hq_mid_push_leaves_no_partial_mutation(
    hq: LiveHq, tenant: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """#3: HQ is killed right after the k-th batch it acknowledged."""
    a = make_node(hq, tmp_path, "a", tenant)
    case_id = new_case(a.store)
    _bulk_notes(a.store, case_id, 2000)
    rng = random.Random(5)
    monkeypatch.setattr(engine, "PROGRESS_HZ", float("inf"))  # a report for every batch
    for _round in range(3):
        _sync_and_kill_hq_after_batch(a, hq, rng.randint(1, 3))
        hq.start()
        # HQ came back on another port (a new socket): point the device at it.
        from fairdesk.syncmodel import SyncAccount

        with a.store.write() as session:
            account = session.get(SyncAccount, 1)
            assert account is not None
            account.server_url = hq.base_url
    assert a.sync().drained
    with hq.client() as http:
        reader = hq.enroll_device(http, tenant)
        notes = [c for c in reader.pull_all() if c["entity"] == "note"]
    assert len(notes) == 2000 and len({n["entity_id"] for n in notes}) == 2000
    with a.store.read() as session:
        states = set(session.scalars(select(OutboxEntry.state)))
    assert states == {"sent"}
