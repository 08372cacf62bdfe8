"""Crash safety: imports killed with SIGKILL at seeded random moments lose nothing acknowledged.

A "zygote" child imports FairDesk once; each round it forks a worker that opens the store and
imports files in a loop, reporting every acknowledged item (``import_paths`` returned) over
the pipe. The test SIGKILLs the worker after a random delay, then — as a restarted app would
— opens the store, quarantines orphans and checks: every acknowledged item is there with its
hash, no temp file is visible, and (periodically and at the end) a full verify passes.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fairdesk.evidence import service
from fairdesk.evidence.vault import Vault
from fairdesk.evidence.verify import verify
from fairdesk.store import Store, open_store
from tests.fairdesk.evidence.helpers import photo

ROUNDS = 200
SEED = 20260305

ZYGOTE = r"""
import os, signal, sys
from fairdesk.evidence import service
from fairdesk.store import open_store
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped automatically
data_dir, case_id, folder = sys.argv[1:4]
files = sorted(os.path.join(folder, n) for n in os.listdir(folder))
out = sys.stdout.fileno()
for line in sys.stdin:
    command, _, arg = line.strip().partition(" ")
    if command == "sync":
        os.write(out, b"synced\n")
        continue
    start = int(arg)
    pid = os.fork()
    if pid == 0:
        os.write(out, f"pid {os.getpid()}\n".encode())
        store = open_store(data_dir)
        os.write(out, b"ready\n")
        for path in files[start:] + files[:start]:
            report = service.import_paths(store, case_id, [path])
            for o in report.outcomes:
                if o.status in ("imported", "duplicate"):
                    os.write(out, f"ack {o.sha256} {o.item_id}\n".encode())
        os.write(out, b"done\n")
        os._exit(0)
"""


def _readline(proc: subprocess.Popen[bytes]) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, "zygote died"
    return line.decode().strip()


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_sigkill_during_imports_loses_nothing_acknowledged(
    vault_store: Store, case_id: str, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    folder = tmp_path / "incoming"
    folder.mkdir()
    for index in range(30):  # real small photos: the thumbnail path runs too
        photo(folder / f"p{index:03d}.jpg", (160, 120), seed=index)
    for index in range(170):
        (folder / f"f{index:03d}.bin").write_bytes(rng.randbytes(rng.randrange(1, 40_000)))
    vault_store.close()
    data_dir = vault_store.data_dir
    zygote = subprocess.Popen(
        [sys.executable, "-c", ZYGOTE, str(data_dir), case_id, str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert zygote.stdin is not None
    acked: dict[str, str] = {}
    quarantined = 0
    try:
        for round_no in range(ROUNDS):
            zygote.stdin.write(f"go {rng.randrange(200)}\n".encode())
            zygote.stdin.flush()
            kind, _, pid_text = _readline(zygote).partition(" ")
            assert kind == "pid"
            pid = int(pid_text)
            assert _readline(zygote) == "ready"
            time.sleep(rng.uniform(0.0, 0.06))
            os.kill(pid, signal.SIGKILL)
            while not _gone(pid):
                time.sleep(0.001)
            zygote.stdin.write(b"sync\n")
            zygote.stdin.flush()
            round_acks: dict[str, str] = {}
            while (line := _readline(zygote)) != "synced":
                if line.startswith("ack "):
                    _, sha, item_id = line.split()
                    round_acks[item_id] = sha
            acked.update(round_acks)

            store = open_store(data_dir)  # the app restarting
            try:
                recovered = service.recover(store)
                assert not recovered.skipped_busy
                quarantined += len(recovered.quarantined)
                vault = Vault(data_dir)
                assert not list((data_dir / "vault").glob(".incoming-*"))
                for item_id, sha in round_acks.items():
                    assert service.get_item(store, item_id).sha256 == sha
                    assert vault.hash_blob(sha) == sha
                rows = {r.id: r.sha256 for r in service.list_items(store, case_id)}
                assert set(acked) <= set(rows)
                for sha in rows.values():  # every committed row has its blob
                    assert vault.exists(sha)
                if round_no % 40 == 39 or round_no == ROUNDS - 1:
                    report = verify(store)
                    assert report.ok, report.problems
            finally:
                store.close()
    finally:
        zygote.stdin.close()
        zygote.wait(timeout=30)
        assert zygote.stdout is not None
        zygote.stdout.close()
    # The loop really imported things (kill times are random, so the count depends on load).
    assert len(acked) >= 10
    assert quarantined > 0  # and really crashed between blob and commit
