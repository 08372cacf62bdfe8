"""Issue 16: the folder store's durability barriers when an upload becomes an object.

Every byte is fsynced as its chunk is written; promotion then needs only the shard directory's
fsync (plus `objects/` once, when the shard is new), and concurrent promotions into one shard
share that barrier. Real files in a temporary folder; `os.fsync` is observed, not replaced, so
each barrier still happens. The reasoning is in `LocalBlobStore.promote`'s docstring.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from pathlib import Path

import pytest

from sync.server import blobstore
from sync.server.blobstore import LocalBlobStore

FsyncLog = list[str]


@pytest.fixture
def fsyncs(monkeypatch: pytest.MonkeyPatch) -> FsyncLog:
    """The paths fsynced by this process from now on (by the store)."""
    seen: FsyncLog = []
    real = os.fsync

    def observed(fd: int) -> None:
        seen.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", observed)
    return seen


def _upload(store: LocalBlobStore, data: bytes) -> tuple[str, str]:
    upload_id = str(uuid.uuid4())
    chunk = store.open_chunk(upload_id, 0)
    chunk.start()
    chunk.write(data)
    chunk.finish()
    return upload_id, hashlib.sha256(data).hexdigest()


def test_bytes_are_fsynced_as_written_and_promotion_syncs_only_the_shard(
    tmp_path: Path, fsyncs: FsyncLog
) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    upload_id, sha = _upload(store, os.urandom(100_000))
    upload_file = str(store.uploads / uuid.UUID(upload_id).hex)
    assert fsyncs == [upload_file]  # the chunk is durable before its offset is committed

    fsyncs.clear()
    store.promote(upload_id, sha)
    shard = store.objects / sha[:2]
    # A new shard: its own name in objects/, then the object's name in the shard.
    assert fsyncs == [str(store.objects), str(shard)]
    assert store.hash_object(sha) == sha
    assert list(store.uploads.iterdir()) == []

    # Another object in the same shard: one barrier (the shard), not three.
    data = os.urandom(50_000)
    while hashlib.sha256(data).hexdigest()[:2] != sha[:2]:
        data = os.urandom(50_000)
    second_id, second = _upload(store, data)
    fsyncs.clear()
    store.promote(second_id, second)
    assert fsyncs == [str(shard)]
    assert store.hash_object(second) == second


def test_the_empty_blob_is_made_and_fsynced_by_promotion(tmp_path: Path, fsyncs: FsyncLog) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    empty = hashlib.sha256().hexdigest()
    upload_id = str(uuid.uuid4())
    store.promote(upload_id, empty)
    made = str(store.uploads / uuid.UUID(upload_id).hex)  # made, fsynced, then renamed away
    assert fsyncs == [str(store.objects), made, str(store.objects / empty[:2])]
    assert store.hash_object(empty) == empty


def test_an_old_name_left_behind_by_a_crash_is_harmless(tmp_path: Path) -> None:
    """Without the uploads folder's fsync a crash may keep `uploads/<id>` beside the object:
    promoting again (the device's retry) keeps the object and removes the leftover."""
    store = LocalBlobStore(tmp_path / "blobs")
    data = os.urandom(20_000)
    upload_id, sha = _upload(store, data)
    store.promote(upload_id, sha)
    leftover = store.uploads / uuid.UUID(upload_id).hex
    leftover.write_bytes(data)  # what the crash left
    store.promote(upload_id, sha)
    assert not leftover.exists()
    assert store.hash_object(sha) == sha


def test_promotions_into_one_shard_share_a_barrier_that_began_after_their_renames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A caller never counts an fsync that was already running when it renamed (it may have
    missed the rename); callers that renamed while one was running share the next one."""
    shard = tmp_path / "shard"
    shard.mkdir()
    syncer = blobstore._GroupDirSync()
    started = threading.Event()
    release = threading.Event()
    calls: list[int] = []

    def slow_fsync(path: Path) -> None:
        calls.append(len(calls) + 1)
        if len(calls) == 1:  # the first barrier is slow: the others arrive meanwhile
            started.set()
            assert release.wait(timeout=30)

    monkeypatch.setattr(blobstore, "_fsync_dir", slow_fsync)
    first = threading.Thread(target=syncer.fsync, args=(shard,))
    first.start()
    assert started.wait(timeout=30)
    done: list[int] = []

    def later() -> None:
        syncer.fsync(shard)
        done.append(len(calls))

    waiting = [threading.Thread(target=later) for _ in range(3)]
    for thread in waiting:
        thread.start()
    assert syncer.waiting(shard, 3, timeout=30)
    assert done == []  # nobody trusted the fsync that began before their renames
    release.set()
    first.join(timeout=30)
    for thread in waiting:
        thread.join(timeout=30)
    # Three renames during the first barrier, one more barrier for all three.
    assert calls == [1, 2] and done == [2, 2, 2]


def test_a_shard_made_by_another_promotion_is_made_durable_before_the_first_answer(
    tmp_path: Path, fsyncs: FsyncLog
) -> None:
    """Two uploads into a new shard at once: the one that finds the shard already made (by the
    other, which may not have fsynced `objects/` yet) must not answer before the shard's name
    is durable: the first promotion into a shard in this process fsyncs `objects/`, whoever
    made the folder."""
    store = LocalBlobStore(tmp_path / "blobs")
    upload_id, sha = _upload(store, os.urandom(30_000))
    shard = store.objects / sha[:2]
    shard.mkdir(mode=0o700)  # made by the other promotion, which is still before its fsync
    fsyncs.clear()
    store.promote(upload_id, sha)
    assert fsyncs == [str(store.objects), str(shard)]
    assert store.hash_object(sha) == sha
