"""Evidence bytes to and from HQ: resumable, verified, and never in front of records.

Upload (per blob): create (or find again: same ``Idempotency-Key``) the upload; HQ's answer says
whether it already holds the blob (done, 0 bytes sent) and from which offset to send. PATCH
chunks from *that* offset, each with its checksum; the last one carries ``Upload-Complete`` with
the whole-file SHA-256 so HQ verifies and completes in the same request (a 5 MB photo is two
round trips). A server that offers it (``Upload-Single-Max``, asked once per process with
``GET /health``, see :func:`learn_server`) takes a file that fits as a single
``PUT /blobs/{digest}``: create, bytes and completion in one round trip, on the same state
machine. Several blobs go in parallel (see ``sync.client.engine``). The chunk size adapts:
large on a clean link, small right after a cut, so a flaky link re-sends little; what it learnt
is kept per server in the data folder (``sync-chunks.json``). ``bytes_sent`` counts the bytes HQ
answered for (a chunk cut mid-way is not counted: HQ keeps no part of it). The vault file is read only through ``fairdesk.vault``
(where encryption at rest will live) and re-hashed locally when HQ refuses the digest: a file
damaged on this disk is reported, never uploaded as valid.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import requests
from sqlalchemy import func, select

from fairdesk.fsutil import write_atomic
from fairdesk.i18n import _
from fairdesk.model import OutboxEntry
from fairdesk.store import Store
from fairdesk.syncmodel import BlobQueueEntry, SyncAccount
from fairdesk.timeutil import utcnow
from fairdesk.vault import Cancelled, CancelLike, DigestMismatch, Vault
from sync.client.errors import Offline, ServerError, SyncError
from sync.client.transport import Transport
from sync.protocol import (
    CHUNK_CHECKSUM_STATUS,
    IDEMPOTENCY_KEY,
    MAX_CHUNK_BYTES,
    UPLOAD_CHECKSUM,
    UPLOAD_COMPLETE,
    UPLOAD_LENGTH,
    UPLOAD_OFFSET,
    UPLOAD_SINGLE_MAX,
    chunk_checksum,
)

MIN_CHUNK = 16 * 1024
START_CHUNK = 256 * 1024
GROW_AFTER = 2  # clean chunks in a row before the size doubles (on a link that looks good)
# HQ keeps only whole chunks, so a cut costs the chunk in flight. After a cut, chunks are a
# sixteenth of the bytes that usually get through between cuts: ~6 % resent at worst.
RUN_FRACTION = 16

ProgressFn = Callable[[str, int, int], None]  # (sha256, offset, size)


class ChunkSizer:
    """Big chunks on a good link; on a flaky one, small enough that a cut wastes little.

    What it learnt (chunk size, bytes between cuts) is kept per server in the data folder
    (:data:`SIZER_FILE`), so a drain retried as new processes (``fairdesk sync --once`` from a
    script, the app restarted) does not start again at 256 KiB and grow into the next cut.
    """

    def __init__(self, on_change: Callable[[ChunkSizer], None] | None = None) -> None:
        self.size = START_CHUNK
        self.streak = 0
        self.since_failure = 0
        self.typical_run: float | None = None  # bytes that get through between cuts
        self.on_change = on_change

    def learnt(self) -> dict[str, float | int | None]:
        return {"size": self.size, "typical_run": self.typical_run}

    def restore(self, data: dict[str, object]) -> None:
        size, run = data.get("size"), data.get("typical_run")
        if isinstance(size, int) and MIN_CHUNK <= size <= MAX_CHUNK_BYTES:
            self.size = size
        if isinstance(run, (int, float)) and run >= 0:
            self.typical_run = float(run)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)

    def failed(self) -> None:
        run = float(self.since_failure)
        self.typical_run = run if self.typical_run is None else (self.typical_run + run) / 2
        target = max(MIN_CHUNK, int(self.typical_run / RUN_FRACTION))
        self.size = min(MAX_CHUNK_BYTES, 1 << (target.bit_length() - 1))
        self.size = max(self.size, MIN_CHUNK)
        self.streak = 0
        self.since_failure = 0
        self._changed()

    def succeeded(self, sent: int = 0) -> None:
        self.since_failure += sent
        self.streak += 1
        good_link = self.typical_run is None or self.since_failure > 2 * self.typical_run
        if good_link and self.streak >= GROW_AFTER:
            grown = min(MAX_CHUNK_BYTES, self.size * 2)
            self.streak = 0
            if grown != self.size:
                self.size = grown
                self._changed()


# What the chunk sizer learnt, per server URL (JSON object), in the data folder.
SIZER_FILE = "sync-chunks.json"
_SIZERS: dict[str, ChunkSizer] = {}
_SIZER_LOCK = threading.Lock()
_SAVE_LOCK = threading.Lock()


def _server_url(store: Store) -> str:
    with store.read() as session:
        account = session.get(SyncAccount, 1)
        return account.server_url if account is not None else ""


def _read_learnt(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # absent or damaged: start from the defaults (it is only a hint)
    return data if isinstance(data, dict) else {}


def sizer_for(store: Store) -> ChunkSizer:
    """One sizer per data folder and server, kept across attempts and processes."""
    url = _server_url(store)
    key = f"{store.data_dir}\n{url}"
    with _SIZER_LOCK:
        if key in _SIZERS:
            return _SIZERS[key]
        path = Path(store.data_dir) / SIZER_FILE

        def save(sizer: ChunkSizer) -> None:
            # Parallel uploads share the sizer; a full or read-only folder must not stop them.
            with _SAVE_LOCK, contextlib.suppress(OSError):
                data = _read_learnt(path)
                data[url] = sizer.learnt()
                write_atomic(path, json.dumps(data, indent=1).encode())

        sizer = ChunkSizer(save)
        saved = _read_learnt(path).get(url)
        if isinstance(saved, dict):
            sizer.restore(saved)
        _SIZERS[key] = sizer
        return sizer


# Servers that offered one-request uploads (`Upload-Single-Max` on GET /health and on every
# POST /uploads): base URL → the largest file they take that way. Learnt per process.
_SINGLE_MAX: dict[str, int] = {}
# Servers asked with GET /health in this process (what they said is in _SINGLE_MAX).
_ASKED: set[str] = set()
# Blobs already tried as one request in this process (data folder, digest): a retry after a cut
# goes through POST /uploads, which says "done" without resending when HQ finished it.
_SINGLE_TRIED: set[tuple[str, str]] = set()
_SINGLE_LOCK = threading.Lock()
_ASK_LOCK = threading.Lock()


def enqueue_from_outbox(store: Store) -> int:
    """Queue every blob an outbox entry refers to (once); returns how many were added."""
    added = 0
    with store.write() as session:
        account = session.get(SyncAccount, 1)
        if account is None:
            return 0
        entries = session.scalars(
            select(OutboxEntry)
            .where(OutboxEntry.mutation_id > account.blobs_scanned_through)
            .order_by(OutboxEntry.mutation_id)
        ).all()
        vault = store.vault
        for entry in entries:
            for sha in entry.blob_refs or []:
                if session.get(BlobQueueEntry, sha) is not None:
                    continue
                size = vault.stored_size(sha)
                name = str((entry.changes or {}).get("original_name", ""))
                session.add(
                    BlobQueueEntry(
                        sha256=sha,
                        size=size
                        if size is not None
                        else int((entry.changes or {}).get("size", 0)),
                        name=name,
                        state="waiting" if size is not None else "failed",
                        last_error=""
                        if size is not None
                        else _("The file is missing on this computer."),
                        created_at=utcnow(),
                    )
                )
                session.flush()
                added += 1
            account.blobs_scanned_through = entry.mutation_id
    return added


def learn_server(transport: Transport) -> None:
    """Ask HQ once per process whether it takes a whole file as one PUT, before the first photo.

    One small request at the start of a drain; without it the photos started before HQ's first
    POST answer went as POST + PATCH. A server that predates the header answers without it (the
    device keeps POST/PATCH); an error answer teaches nothing (the POST answers still do).
    """
    with _SINGLE_LOCK:
        if transport.base_url in _ASKED:
            return
    # One question at a time: the parallel uploads of a drain wait for the first one's answer.
    with _ASK_LOCK:
        with _SINGLE_LOCK:
            if transport.base_url in _ASKED:
                return
        response = transport.request("GET", "/health", auth=False, expect_json=False)
        header = response.headers.get(UPLOAD_SINGLE_MAX)
        status = response.status_code
        response.close()
        if status != 200:
            return
        with _SINGLE_LOCK:
            _ASKED.add(transport.base_url)
            if header is not None and header.isdigit():
                _SINGLE_MAX[transport.base_url] = int(header)
            else:
                _SINGLE_MAX.pop(transport.base_url, None)


@dataclass(frozen=True)
class QueuedBlob:
    sha256: str
    size: int
    offset: int
    attempts: int


def pending(store: Store) -> list[QueuedBlob]:
    with store.read() as session:
        return [
            QueuedBlob(row.sha256, row.size, row.offset, row.attempts)
            for row in session.scalars(
                select(BlobQueueEntry)
                .where(BlobQueueEntry.state.in_(("waiting", "uploading")))
                .order_by(BlobQueueEntry.created_at, BlobQueueEntry.sha256)
            )
        ]


def pending_count(store: Store) -> int:
    with store.read() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(BlobQueueEntry)
                .where(BlobQueueEntry.state.in_(("waiting", "uploading")))
            )
            or 0
        )


def _update(store: Store, sha: str, **values: object) -> None:
    with store.write() as session:
        row = session.get(BlobQueueEntry, sha)
        if row is not None:
            for key, value in values.items():
                setattr(row, key, value)


@dataclass
class Uploader:
    store: Store
    transport: Transport
    sizer: ChunkSizer
    on_progress: ProgressFn | None = None
    # Ask HQ to complete in the request carrying the last chunk (fault test #6 turns it off to
    # damage HQ's copy between the last chunk and a separate `complete`).
    complete_with_last_chunk: ClassVar[bool] = True

    def upload(self, entry: QueuedBlob) -> bool:
        """Upload one blob; True when HQ holds it. Network errors propagate (retry later)."""
        sha, size = entry.sha256, entry.size
        digest = f"sha256:{sha}"
        learn_server(self.transport)
        vault = self.store.vault
        if not vault.exists(sha):
            if self._hq_has(digest):  # e.g. removed for travel after an earlier upload
                _update(self.store, sha, state="done", offset=size, done_at=utcnow())
                return True
            _update(
                self.store,
                sha,
                state="failed",
                last_error=_("The file is missing on this computer."),
            )
            return False
        if self._single_request_fits(entry):
            whole = self._put_whole(vault, sha, size)
            if whole is not None:
                return whole
        for _round in range(3):
            # The answer says whether HQ already holds the blob (complete) and from which offset
            # to send: no blob HEAD and no offset HEAD needed (one round trip instead of three).
            created = self.transport.request(
                "POST", "/uploads", headers={IDEMPOTENCY_KEY: digest, UPLOAD_LENGTH: str(size)}
            )
            self._learn_single_max(created.headers.get(UPLOAD_SINGLE_MAX))
            status, body = created.status_code, Transport._json(created)
            if status not in (200, 201):
                raise ServerError.refused(
                    _("HQ refused the upload of a file ({status}: {error})."), status, body
                )
            if body.get("complete"):
                _update(self.store, sha, state="done", offset=size, done_at=utcnow())
                return True
            upload_id = str(body["upload_id"])
            offset = int(body.get("offset", 0))
            if size - offset > self.sizer.size:
                # Several chunks: remember the upload so the Sync page shows it in progress.
                _update(
                    self.store,
                    sha,
                    state="uploading",
                    upload_id=upload_id,
                    attempts=entry.attempts + 1,
                )
            outcome = self._send_from(vault, sha, size, upload_id, offset)
            if outcome == 201:
                return True  # _send_from recorded "done" with the last chunk (one commit)
            if outcome is None:  # all bytes sent, but not completed in the last request
                done = self.transport.request(
                    "POST", f"/uploads/{upload_id}/complete", params={"digest": digest}
                )
                outcome = done.status_code
            if outcome in (200, 201):
                _update(self.store, sha, state="done", offset=size, done_at=utcnow())
                return True
            if outcome == 409:  # HQ has fewer bytes than we thought: resume
                continue
            if outcome == 422:
                if vault.hash_blob(sha) != sha:
                    self._mark_damaged(sha)
                    return False
                continue  # HQ lost or damaged bytes it had confirmed: it starts over from 0
            raise ServerError(
                _("HQ refused the upload of a file ({status}).").format(status=outcome), outcome
            )
        raise ServerError(_("HQ could not store a file after several attempts."))

    # -- one request per file (protocol: `PUT /v1/blobs/{digest}`) ------------------------------
    def _learn_single_max(self, header: str | None) -> None:
        with _SINGLE_LOCK:
            if header is not None and header.isdigit():
                _SINGLE_MAX[self.transport.base_url] = int(header)
            else:  # not offered (an older server, or switched off)
                _SINGLE_MAX.pop(self.transport.base_url, None)

    def _single_request_fits(self, entry: QueuedBlob) -> bool:
        """HQ offers it, nothing of this blob was sent yet, and the link carries the file whole.

        Until this data folder has seen a cut on the way to this server (the sizer learnt no
        `typical_run`, kept across processes), the link is taken as clean and any file HQ takes
        in one request goes that way: growing from 256 KiB chunks sent the first photos of every
        drain as many PATCHes. After a cut, the sizer's chunk size (what the link carries
        between cuts) is the limit: on a flaky link the file goes as resumable chunks, so a cut
        costs a chunk, not the file.
        """
        key = (str(self.store.data_dir), entry.sha256)
        with _SINGLE_LOCK:
            limit = _SINGLE_MAX.get(self.transport.base_url)
            if limit is None or entry.offset or key in _SINGLE_TRIED:
                return False
            if not self.complete_with_last_chunk:  # a PUT always completes in its request
                return False
            if entry.size > limit:
                return False
            if self.sizer.typical_run is not None and entry.size > self.sizer.size:
                return False
            _SINGLE_TRIED.add(key)
            return True

    def _put_whole(self, vault: Vault, sha: str, size: int) -> bool | None:
        """Create, send and complete in one request. True: HQ holds the blob; False: the local
        file is damaged (recorded); None: use the resumable upload (HQ declined or an older
        server). Network errors propagate; the retry then goes through POST /uploads."""
        with vault.open_original_for_read(sha) as handle:
            data = handle.read(size + 1)
        if len(data) != size:
            return None  # the resumable path reports a file shorter or longer than recorded
        try:
            response = self.transport.request(
                "PUT",
                f"/blobs/sha256:{sha}",
                data=data,
                expect_json=False,
                headers={UPLOAD_LENGTH: str(size), "Content-Type": "application/octet-stream"},
            )
        except Offline:
            self.sizer.failed()
            raise
        status = response.status_code
        response.close()
        if status in (200, 201):
            self.sizer.succeeded(size)
            self._count(sha, size, size, done=True)
            return True
        self._count(sha, size, None)  # HQ read the whole body and answered for it
        if status in (404, 405):  # the server no longer offers it (e.g. downgraded)
            self._learn_single_max(None)
        if status == 422 and vault.hash_blob(sha) != sha:
            self._mark_damaged(sha)
            return False
        return None  # 409 (a resumable upload has bytes), 422 (damaged on the way), …

    def _mark_damaged(self, sha: str) -> None:
        _update(
            self.store,
            sha,
            state="failed",
            last_error=_(
                "The file on this computer no longer matches its fingerprint; it "
                'was not sent. Check it with "fairdesk verify".'
            ),
        )

    def _hq_has(self, digest: str) -> bool:
        head = self.transport.request("HEAD", f"/blobs/{digest}", expect_json=False)
        return head.status_code == 200

    def _server_offset(self, upload_id: str) -> int:
        head = self.transport.request("HEAD", f"/uploads/{upload_id}", expect_json=False)
        if head.status_code != 200:
            raise ServerError(
                _("HQ lost track of an upload; it will start again."), head.status_code
            )
        return int(head.headers[UPLOAD_OFFSET])

    def _send_from(
        self, vault: Vault, sha: str, size: int, upload_id: str, offset: int
    ) -> int | None:
        """PATCH from `offset` to the end; the last chunk asks HQ to complete the upload.

        Returns the completing status (201, or 409/422 from the completion), or None when
        the bytes are all there but HQ did not complete (an older server, or an empty file).
        """
        bad_checksums = 0
        with vault.open_original_for_read(sha) as handle:
            while offset < size:
                handle.seek(offset)
                chunk = handle.read(min(self.sizer.size, size - offset))
                if not chunk:
                    raise SyncError(_("The file on this computer is shorter than recorded."))
                last = offset + len(chunk) == size
                headers = {
                    UPLOAD_OFFSET: str(offset),
                    # A whole-file chunk's checksum is the vault's own digest: no re-hash.
                    UPLOAD_CHECKSUM: chunk_checksum(chunk, sha if offset == 0 and last else None),
                    "Content-Type": "application/offset+octet-stream",
                }
                if last and self.complete_with_last_chunk:
                    headers[UPLOAD_COMPLETE] = f"sha256:{sha}"
                try:
                    response = self.transport.request(
                        "PATCH",
                        f"/uploads/{upload_id}",
                        data=chunk,
                        expect_json=False,
                        headers=headers,
                    )
                except Offline:
                    # Cut mid-chunk: HQ keeps no part of it and answered nothing, so nothing is
                    # counted as sent (the counter holds what HQ acknowledged receiving).
                    self.sizer.failed()
                    raise
                if response.status_code in (201, 204):
                    offset = int(response.headers[UPLOAD_OFFSET])
                    self.sizer.succeeded(len(chunk))
                    if response.status_code == 201:
                        self._count(sha, len(chunk), offset, done=True)
                        return 201
                    self._count(sha, len(chunk), offset)
                    if self.on_progress is not None:
                        self.on_progress(sha, offset, size)
                    continue
                if response.status_code == 422 and last:
                    self._count(sha, len(chunk), None)
                    return 422  # stored, but the whole file did not match: HQ dropped it
                self._count(sha, len(chunk), None)
                self.sizer.failed()
                if response.status_code == CHUNK_CHECKSUM_STATUS:
                    bad_checksums += 1  # damaged on the way: send the same chunk again
                    if bad_checksums > 5:
                        raise ServerError(_("A file keeps arriving damaged at HQ."), 460)
                    continue
                if response.status_code == 409:
                    offset = self._server_offset(upload_id)
                    continue
                raise ServerError(
                    _("HQ refused part of a file ({status}).").format(status=response.status_code),
                    response.status_code,
                )
        return None

    def _count(self, sha: str, sent: int, offset: int | None, *, done: bool = False) -> None:
        with self.store.write() as session:
            row = session.get(BlobQueueEntry, sha)
            if row is not None:
                row.bytes_sent += sent
                if offset is not None:
                    row.offset = offset
                if done:  # one commit for the last chunk and the completion
                    row.state, row.done_at = "done", utcnow()


DOWNLOAD_CHUNK = 256 * 1024  # bytes appended to the partial file at a time
DownloadProgressFn = Callable[[int, int], None]  # (bytes here, size)


class NotAvailable(ServerError):
    """HQ answered 404: it does not hold the file for this device (yet, or at all)."""


class Mismatch(ServerError):
    """HQ sent bytes that do not hash to the file's SHA-256; they were not kept."""


def download(
    store: Store,
    transport: Transport,
    sha256: str,
    *,
    on_progress: DownloadProgressFn | None = None,
    cancel: CancelLike | None = None,
) -> Path:
    """Fetch an original or document HQ holds into this computer's vault.

    Resumable: the bytes received so far are kept (``Vault.partial``, encrypted in an
    encrypted folder) and the next attempt asks only for the rest (``Range: bytes=N-``). The
    whole file is hashed on its way into the vault (``write_stream(expect=…)``): bytes that do
    not match are refused there and dropped, so nothing unverified ever enters the vault.
    Raises Offline on a cut (resume by calling again), NotAvailable on 404, Mismatch.
    """
    vault = store.vault
    if vault.exists(sha256):
        return vault.blob_path(sha256)
    partial = vault.partial(sha256)
    for _attempt in range(3):
        have = partial.size()
        headers = {"Range": f"bytes={have}-"} if have else {}
        response = transport.request(
            "GET", f"/blobs/sha256:{sha256}", expect_json=False, stream=True, headers=headers
        )
        try:
            status = response.status_code
            if status == 404:
                raise NotAvailable(
                    _(
                        "Not available to this device: HQ does not hold this file for it (not "
                        "uploaded yet by the device that made it, or outside this device's cases)."
                    ),
                    404,
                )
            if status == 416 or (status == 200 and have):
                partial.discard()  # HQ's copy is shorter than ours, or it ignored the range
                if status == 416:
                    continue
                have = 0
            elif status == 206 and not response.headers.get("Content-Range", "").startswith(
                f"bytes {have}-"
            ):
                partial.discard()
                continue
            elif status not in (200, 206):
                raise ServerError(
                    _("HQ refused the download of a file ({status}).").format(status=status),
                    status,
                )
            size = have + int(response.headers.get("Content-Length", 0))
            received = have
            try:
                for chunk in response.iter_content(DOWNLOAD_CHUNK):
                    if cancel is not None and cancel.cancelled:
                        raise Cancelled(_("Download cancelled; the bytes so far are kept."))
                    partial.append(chunk)
                    received += len(chunk)
                    if on_progress is not None:
                        on_progress(received, size)
            except (requests.RequestException, OSError) as exc:
                raise Offline(
                    _(
                        "The download from HQ was cut; it resumes from the bytes already here "
                        "next time."
                    )
                ) from exc
            finally:
                partial.sync()
        finally:
            response.close()
        if received < size:
            raise Offline(
                _("The download from HQ was cut; it resumes from the bytes already here next time.")
            )
        try:
            with partial.reader() as source:
                vault.write_stream(source, expect=sha256)
        except DigestMismatch as exc:
            partial.discard()
            raise Mismatch(
                _("The file from HQ does not match its fingerprint (SHA-256); it was not kept.")
            ) from exc
        partial.discard()
        return vault.blob_path(sha256)
    raise ServerError(_("HQ could not send a file after several attempts."))
