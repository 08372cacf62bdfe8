"""One sync attempt, and the retry rhythm around it.

:func:`sync_once` pushes the outbox while it uploads evidence (pushing any new records between
files, so records never wait behind photos) and pulls HQ's changes until nothing is left or
something fails; it never raises for network trouble but returns a :class:`SyncResult` saying why it
stopped. :class:`Backoff` gives the scheduler exponential delays with jitter, forever.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from fairdesk.i18n import _
from fairdesk.model import SyncState
from fairdesk.store import Store
from fairdesk.syncmodel import SyncAccount
from fairdesk.timeutil import utcnow
from sync.client import blobs, pull, push, reference, timestamps
from sync.client.credentials import load_refresh_token, save_refresh_token
from sync.client.errors import NotEnrolled, SyncError
from sync.client.status import SyncStatus, read_status
from sync.client.transport import Transport


@dataclass
class Progress:
    phase: str  # push | upload | pull
    detail: str = ""
    done: int = 0
    total: int = 0
    bytes_per_second: float = 0.0


@dataclass
class SyncResult:
    ok: bool
    error_kind: str = ""
    error: str = ""
    pushed: int = 0
    conflicts: int = 0
    rejected: int = 0
    pulled: int = 0
    uploaded: int = 0
    upload_bytes: int = 0
    retryable: bool = True  # False: retrying cannot help (device revoked, not enrolled)
    status: SyncStatus | None = None
    finished_at: float = field(default_factory=time.time)

    @property
    def drained(self) -> bool:
        """Outbox and upload queue empty (what ``fairdesk sync --once`` exits 0 on)."""
        return bool(
            self.ok and self.status and self.status.unsent == 0 and self.status.uploads_pending == 0
        )


class Backoff:
    """Delays for retries: doubling from ``base`` to ``cap`` seconds, half of each random."""

    def __init__(self, base: float = 5.0, cap: float = 900.0, rng: random.Random | None = None):
        self.base, self.cap = base, cap
        self.failures = 0
        self.rng = rng or random.Random()

    def reset(self) -> None:
        self.failures = 0

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.base * (2**self.failures))
        self.failures += 1
        return float(ceiling / 2 + self.rng.uniform(0, ceiling / 2))


def make_transport(store: Store) -> Transport:
    with store.read() as session:
        account = session.get(SyncAccount, 1)
        if account is None:
            raise NotEnrolled(_("This device is not enrolled with HQ yet."))
        url, device_id = account.server_url, account.device_id
    data_dir, local_id = store.data_dir, store.device.id
    return Transport(
        url,
        device_id=device_id,
        refresh_token=lambda: load_refresh_token(data_dir, local_id),
        store_refresh_token=lambda token: save_refresh_token(data_dir, local_id, token),
    )


ProgressFn = Callable[[Progress], None]
# Blobs uploaded at once on a clean link: enough to hide each request's wait behind another's
# bytes, few enough that a slow link is not split into many slow uploads. (6 measured no faster
# than 3 against one fairdesk-hq on loopback: the server, not the link, is then the limit.)
PARALLEL_UPLOADS = 3


def parallel_uploads(sizer: blobs.ChunkSizer) -> int:
    """How many uploads to keep in flight: PARALLEL_UPLOADS, or one while the link is lossy.

    A cut loses every chunk in flight, so after cuts (the chunk sizer shrank to its starting
    size or below and has not grown back) files go one at a time: a cut then costs one small
    chunk, and each file is finished sooner instead of three being half sent.
    """
    if sizer.typical_run is not None and sizer.size <= blobs.START_CHUNK:
        return 1
    return PARALLEL_UPLOADS


# Progress reports per second at most (the GUI repaints on each; the first and last always go).
PROGRESS_HZ = 10.0


def sync_once(
    store: Store,
    transport: Transport | None = None,
    *,
    on_progress: ProgressFn | None = None,
    rounds: int = 5,
) -> SyncResult:
    result = SyncResult(ok=False)
    own_transport = transport is None
    try:
        if transport is None:
            transport = make_transport(store)
        _attempt(store, transport, result, on_progress, rounds)
        result.ok = True
    except SyncError as exc:
        result.error_kind, result.error = exc.kind, str(exc)
        result.retryable = exc.retryable
    finally:
        if own_transport and transport is not None:
            transport.close()
        _remember(store, result)
        result.status = read_status(store)
    return result


def sync_until_drained(
    store: Store,
    *,
    max_time: float,
    on_result: Callable[[SyncResult], None] | None = None,
    backoff: Backoff | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[SyncResult, int]:
    """Sync again through transient faults until drained or ``max_time`` seconds have passed.

    What ``fairdesk sync --once`` runs: a cut link, HQ restarting or a captive portal only
    delays the drain (exponential backoff with jitter between attempts); a revoked or
    unenrolled device stops at once. Returns the last result and the number of attempts.
    """
    backoff = backoff or Backoff(base=0.5, cap=15.0)
    deadline = time.monotonic() + max_time
    attempts = 0
    left: tuple[int, int] | None = None
    while True:
        result = sync_once(store)
        attempts += 1
        if on_result is not None:
            on_result(result)
        if result.drained or not result.retryable:
            return result, attempts
        now_left = (
            (result.status.unsent, result.status.upload_bytes_pending) if result.status else None
        )
        if left is not None and now_left is not None and now_left < left:
            backoff.reset()  # the attempt got something through: the link works, if badly
        left = now_left
        delay = 0.0 if result.ok else backoff.next_delay()
        if time.monotonic() + delay >= deadline:
            return result, attempts
        if delay:
            sleep(delay)


def _attempt(
    store: Store,
    transport: Transport,
    result: SyncResult,
    on_progress: ProgressFn | None,
    rounds: int,
) -> None:
    sizer = blobs.sizer_for(store)
    started = time.monotonic()
    last_at = [0.0]
    last_phase = [""]

    def report(phase: str, detail: str = "", done: int = 0, total: int = 0) -> None:
        if on_progress is None:
            return
        now = time.monotonic()
        # Throttled: upload threads report per chunk, and every report repaints the GUI.
        if phase == last_phase[0] and now - last_at[0] < 1 / PROGRESS_HZ:
            return
        last_at[0], last_phase[0] = now, phase
        elapsed = max(now - started, 1e-3)
        on_progress(Progress(phase, detail, done, total, result.upload_bytes / elapsed))

    push_lock = threading.Lock()
    push_again = threading.Event()

    def push_outbox() -> None:
        total = push.unsent_count(store)
        if not total:
            return
        report("push", "", 0, total)
        stats = push.push_all(store, transport, on_progress=lambda n: report("push", "", n, total))
        result.pushed += stats.sent
        result.conflicts += stats.conflicts
        result.rejected += stats.rejected

    def push_now(wait: bool = True) -> None:
        # One push at a time (the first one runs beside the uploads). With `wait=False` a call
        # that finds a push running asks it to go round once more instead of waiting, so an
        # edit made while that push was finishing is not left for after the last photo.
        while True:
            if not push_lock.acquire(blocking=wait):
                push_again.set()
                return
            try:
                push_again.clear()
                push_outbox()
            finally:
                push_lock.release()
            if not push_again.is_set():
                return
            wait = False

    for _round in range(rounds):
        blobs.enqueue_from_outbox(store)
        queue = blobs.pending(store)

        def upload_progress(sha: str, offset: int, size: int) -> None:
            report("upload", sha, offset, size)

        uploader = blobs.Uploader(store, transport, sizer, upload_progress)
        if not queue:
            push_now()
        else:
            _push_beside_uploads(push_now, uploader, queue, result)
        report("pull")
        stats = pull.pull_all(store, transport, on_progress=lambda n: report("pull", "", n, 0))
        result.pulled += stats.changes
        if stats.restored:
            continue  # HQ restored from a backup: re-push what it lacks, then pull from 0
        if not push.unsent_count(store) and not blobs.pending_count(store):
            break
        blobs.enqueue_from_outbox(store)
    reference.pull_feeds(store, transport)  # HQ's alerts and library updates (own cursors)
    timestamps.stamp_pending(store, transport)  # RFC 3161 tokens for the custody log's head


def _push_beside_uploads(
    push_now: Callable[..., None],
    uploader: blobs.Uploader,
    queue: list[blobs.QueuedBlob],
    result: SyncResult,
) -> None:
    """The outbox's records go while the first photos stream, not before them.

    HQ applies a batch of records while photo bytes arrive, so neither waits for the other (a
    week of notes took a third of a drain when pushed first). Records still never wait behind
    photos: they start at once, and edits made meanwhile go whenever a photo finishes. A push
    failure is raised first, as when records went first.
    """
    with ThreadPoolExecutor(1, thread_name_prefix="fairdesk-push") as records:
        first = records.submit(push_now)
        upload_error: Exception | None = None
        try:
            _upload_all(uploader, queue, result, lambda: push_now(wait=False))
        except Exception as exc:
            upload_error = exc
        first.result()
        if upload_error is not None:
            raise upload_error


def _upload_all(
    uploader: blobs.Uploader,
    queue: list[blobs.QueuedBlob],
    result: SyncResult,
    push_now: Callable[[], None],
) -> None:
    """Upload the queue, `parallel_uploads` at a time, on the transport's pooled connections.

    Edits made meanwhile are pushed whenever a photo finishes, so records never wait behind
    photos. The first failure (offline, HQ error) stops new uploads and is raised once the
    ones in flight have ended; whatever finished stays done.
    """
    if not queue:
        return
    pending = list(queue)
    with ThreadPoolExecutor(PARALLEL_UPLOADS, thread_name_prefix="fairdesk-upload") as pool:
        running: dict[Future[bool], blobs.QueuedBlob] = {}
        failure: BaseException | None = None
        while pending or running:
            while pending and failure is None and len(running) < parallel_uploads(uploader.sizer):
                entry = pending.pop(0)
                running[pool.submit(uploader.upload, entry)] = entry
            if not running:
                break
            finished, _waiting = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                entry = running.pop(future)
                try:
                    uploaded = future.result()
                except Exception as exc:
                    failure = failure or exc
                    continue
                if uploaded:
                    result.uploaded += 1
                    result.upload_bytes += max(entry.size - entry.offset, 0)
            if failure is None:
                push_now()  # edits made meanwhile go before the next photos
        if failure is not None:
            raise failure


def _remember(store: Store, result: SyncResult) -> None:
    try:
        with store.write() as session:
            account = session.get(SyncAccount, 1)
            if account is None:
                return
            account.last_attempt_at = utcnow()
            account.last_error = result.error if not result.ok else ""
            if result.ok:
                state = session.get(SyncState, 1)
                if state is not None:
                    state.last_success_at = utcnow()
    except Exception:  # bookkeeping must never hide the sync outcome
        pass
