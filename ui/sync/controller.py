"""The background sync worker: a timer with backoff and jitter, "Sync now", network changes.

Every attempt runs ``sync.client.engine.sync_once`` on the ``network`` pool of
``ui.tasks.runner()``; the GUI thread only receives the result and progress as queued signals,
so a slow or dead network never blocks a click. After a failure the next attempt waits
(``Backoff``: doubling, half random); after success the timer returns to the normal rhythm.
A wall-clock check notices sleep/resume (the monotonic timer pauses while suspended) and
``QNetworkInformation`` (where the platform has a backend) triggers an attempt the moment a
network appears.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from fairdesk.i18n import _
from fairdesk.store import Store
from sync.client.engine import Backoff, SyncResult, sync_once
from sync.client.status import SyncStatus, read_status
from ui.tasks import explain, runner

log = logging.getLogger(__name__)

REGULAR_INTERVAL_S = 120.0
TICK_MS = 15_000

# Indicator states (stable words) and what the user reads.
OFFLINE, SYNCING, UP_TO_DATE, ATTENTION, SIGN_IN, NOT_ENROLLED = (
    "offline",
    "syncing",
    "up_to_date",
    "attention",
    "sign_in",
    "not_enrolled",
)


_FROZEN = False


def _freeze_startup_heap() -> None:
    """Move every object alive now (modules, Qt wrappers, caches) out of the collector's reach.

    Measured: a full (generation 2) collection triggered on a sync worker thread took ~96 ms
    with the GIL held, and that was the GUI thread's longest stall while draining a backlog.
    Frozen objects are never scanned again, so later full collections only walk what sync
    creates. Done once, before the first sync, when the start-up heap is complete.
    """
    global _FROZEN
    if not _FROZEN:
        _FROZEN = True
        gc.freeze()  # no collect() first: that would be the very pause we avoid (start-up
        # garbage frozen with it is small and stays small: this runs once)


def state_text(state: str) -> str:
    return {
        OFFLINE: _("Offline — changes are kept and sent later"),
        SYNCING: _("Syncing…"),
        UP_TO_DATE: _("Up to date"),
        ATTENTION: _("Needs attention"),
        SIGN_IN: _("Network needs sign-in"),
        NOT_ENROLLED: _("Not connected to HQ"),
    }[state]


class SyncController(QObject):
    state_changed = Signal(str, str)  # (state, detail)
    progress = Signal(object)  # engine.Progress
    finished = Signal(object)  # engine.SyncResult
    status_changed = Signal(object)  # status.SyncStatus

    def __init__(self, store: Store, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.backoff = Backoff()
        self.running = False
        self.state = NOT_ENROLLED
        self.detail = ""
        self.last_result: SyncResult | None = None
        self._next_at = time.monotonic() + 3.0
        self._wall = time.time()
        self._mono = time.monotonic()
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._network: Any = None

    def start(self) -> None:
        self._timer.start()
        self._watch_network()
        self.refresh_status()

    def stop(self) -> None:
        self._timer.stop()

    # -- triggers --------------------------------------------------------------------------

    def _watch_network(self) -> None:
        try:
            from PySide6.QtNetwork import QNetworkInformation

            if QNetworkInformation.loadDefaultBackend():
                info = QNetworkInformation.instance()
                if info is not None:
                    info.reachabilityChanged.connect(self._reachability)
                    self._network = info
        except Exception:  # no backend on this platform: the timer alone still works
            log.info("no network information backend; timer only")

    def _reachability(self, *_args: object) -> None:
        self.backoff.reset()
        self.sync_now()

    def _tick(self) -> None:
        wall, mono = time.time(), time.monotonic()
        # Suspended: wall time moved much more than monotonic time. Try at once after resume.
        if (wall - self._wall) - (mono - self._mono) > 30:
            self.backoff.reset()
            self._next_at = mono
        self._wall, self._mono = wall, mono
        if mono >= self._next_at:
            self.sync_now()

    def sync_now(self) -> None:
        if self.running:
            return
        _freeze_startup_heap()
        self.running = True
        self._set_state(SYNCING, "")
        runner().run(
            self._work,
            pool="network",
            on_done=self._done,
            on_error=self._failed,
            on_progress=self.progress.emit,
        )

    def _work(self, progress: Any) -> SyncResult:
        return sync_once(self.store, on_progress=progress)

    # -- results ---------------------------------------------------------------------------

    def _done(self, result: SyncResult) -> None:
        self.running = False
        self.last_result = result
        if result.ok:
            self.backoff.reset()
            self._next_at = time.monotonic() + REGULAR_INTERVAL_S
        else:
            self._next_at = time.monotonic() + self.backoff.next_delay()
        self.finished.emit(result)
        if result.status is not None:
            self._show(result.status, result)

    def _failed(self, exc: BaseException) -> None:
        self.running = False
        log.error("sync attempt crashed", exc_info=exc)
        self._next_at = time.monotonic() + self.backoff.next_delay()
        self._set_state(ATTENTION, explain(exc))

    def refresh_status(self) -> None:
        runner().run(
            read_status,
            self.store,
            pool="read",
            on_done=lambda status: self._show(status, self.last_result),
        )

    def _show(self, status: SyncStatus, result: SyncResult | None) -> None:
        self.status_changed.emit(status)
        if not status.enrolled:
            self._set_state(NOT_ENROLLED, "")
        elif result is not None and not result.ok:
            kind = result.error_kind
            state = SIGN_IN if kind == "sign_in" else OFFLINE if kind == "offline" else ATTENTION
            self._set_state(state, result.error)
        elif status.needs_attention:
            # A rejected HQ library update has no outbox row to point at: say it here.
            self._set_state(ATTENTION, " ".join(status.feed_problems.values()))
        elif status.unsent or status.uploads_pending:
            self._set_state(OFFLINE if result is None else SYNCING, "")
        else:
            self._set_state(UP_TO_DATE, "")

    def _set_state(self, state: str, detail: str) -> None:
        self.state, self.detail = state, detail
        self.state_changed.emit(state, detail)


_controllers: dict[str, SyncController] = {}


def controller_for(store: Store) -> SyncController:
    """One controller per open data folder (the page and the indicator share it)."""
    key = str(store.data_dir)
    if key not in _controllers:
        _controllers[key] = SyncController(store)
    return _controllers[key]
