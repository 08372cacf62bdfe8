"""Originals only HQ holds, fetched when a tile, the viewer or the photo viewer shows them.

One :class:`HqFetches` per Evidence tab: a queue of files to download, one at a time on the
``network`` pool (``ondemand.ensure_one``: resumable, SHA-256 checked before the vault), with
progress per file and for the whole batch. The gallery and the viewers ask :meth:`state` and
listen to :attr:`HqFetches.changed`; an offline or refused download is a state with a sentence
("Held at HQ — not downloaded yet (offline)"), never "restore from a backup". A device whose
role does not fetch (a booth laptop) gets ``NOT_FETCHED`` at once, without a request.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from fairdesk.evidence import ondemand
from fairdesk.evidence.rows import ItemRow
from fairdesk.i18n import _
from fairdesk.store import Store
from sync.client import ondemand as device_fetcher
from ui.tasks import explain, runner

# This app fetches from HQ the way the command line does (the network modules load on first use).
device_fetcher.install()


class Fetch(enum.Enum):
    QUEUED = "queued"
    FETCHING = "fetching"
    HERE = "here"  # in the vault now (or was already)
    OFFLINE = "offline"
    NOT_AVAILABLE = "not_available"  # HQ's 404, or a role that does not fetch
    NOT_FETCHED = "not_fetched"  # this device does not download other devices' files
    FAILED = "failed"  # damaged on the way, HQ error: the sentence says which


WAITING = (Fetch.QUEUED, Fetch.FETCHING)
# Originals waiting for download at most: tiles scrolled past long ago are dropped (and asked
# for again if they come back on screen), so a fast scroll through 5,000 items does not queue
# 5,000 downloads in front of the one the user stopped at.
QUEUE_LIMIT = 60


@dataclass(frozen=True)
class FetchState:
    state: Fetch
    text: str = ""  # what to show on the tile or in the viewer
    done: int = 0  # bytes of this file so far
    size: int = 0


def held_text(state: FetchState) -> str:
    """The short words for a tile or the viewer's picture area."""
    if state.state in WAITING:
        percent = f" {state.done * 100 // state.size} %" if state.size and state.done else ""
        return _("Downloading from HQ…") + percent
    if state.state is Fetch.OFFLINE:
        return _("Held at HQ — not downloaded yet (offline)")
    if state.state is Fetch.NOT_AVAILABLE:
        return _("Not available to this device")
    if state.state is Fetch.NOT_FETCHED:
        return _("Held at HQ — not downloaded to this device")
    return state.text or _("Not downloaded: the file from HQ was refused")


def _amount(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.0f} KB"


def progress_line(
    name: str, done: int, size: int, number: int, count: int, all_done: int, all_size: int
) -> str:
    """One line: this file's percentage, which file of how many, and the bytes of them all."""
    return _(
        "Downloading from HQ: {name} {percent} % · file {n} of {count} · {done} of {total}"
    ).format(
        name=name,
        percent=done * 100 // max(size, 1),
        n=number,
        count=count,
        done=_amount(all_done),
        total=_amount(max(all_size, all_done)),
    )


class HqFetches(QObject):
    """Downloads originals on demand; ``changed(sha256)`` after every state change."""

    changed = Signal(str)
    progress = Signal(str)  # one line for the panel: this file and the whole batch ("" = idle)

    def __init__(self, store: Store, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._states: dict[str, FetchState] = {}
        self._queue: list[ItemRow] = []
        self._busy = False
        self._batch_files = 0
        self._batch_bytes = 0
        self._batch_done_files = 0
        self._batch_done_bytes = 0

    def state(self, sha256: str) -> FetchState | None:
        return self._states.get(sha256)

    def want(self, row: ItemRow) -> FetchState:
        """Ask for ``row``'s original (once); returns its current state."""
        known = self._states.get(row.sha256)
        if known is not None:
            return known
        queued = FetchState(Fetch.QUEUED, size=row.size)
        self._states[row.sha256] = queued
        self._queue.append(row)
        self._batch_files += 1
        self._batch_bytes += row.size
        if len(self._queue) > QUEUE_LIMIT:  # scrolled past long ago: asked again when shown
            dropped = self._queue.pop(0)
            self._states.pop(dropped.sha256, None)
            self._batch_files -= 1
            self._batch_bytes -= dropped.size
        # Asked from a model's data() or a paint: start after it returns, never inside it.
        QTimer.singleShot(0, self, self._next)
        return queued

    def retry(self) -> None:
        """Forget offline and failed states (a reload, the link back): they are asked again."""
        for sha, known in list(self._states.items()):
            if known.state in (Fetch.OFFLINE, Fetch.FAILED):
                del self._states[sha]

    def _set(self, sha256: str, state: FetchState) -> None:
        self._states[sha256] = state
        self.changed.emit(sha256)

    def _next(self) -> None:
        if self._busy:
            return
        if not self._queue:
            self._batch_files = self._batch_bytes = 0
            self._batch_done_files = self._batch_done_bytes = 0
            self.progress.emit("")
            return
        row = self._queue.pop()  # the latest asked for first: what is on screen now
        self._busy = True
        self._set(row.sha256, FetchState(Fetch.FETCHING, size=row.size))

        def moved(update: ondemand.Progress) -> None:
            self._set(row.sha256, FetchState(Fetch.FETCHING, done=update.done, size=update.size))
            self.progress.emit(
                progress_line(
                    row.display_name,
                    update.done,
                    update.size,
                    self._batch_done_files + 1,
                    self._batch_files,
                    self._batch_done_bytes + update.done,
                    self._batch_bytes,
                )
            )

        def finished(here: bool) -> None:
            self._done(row, FetchState(Fetch.HERE if here else Fetch.NOT_FETCHED))

        def failed(exc: BaseException) -> None:
            if isinstance(exc, ondemand.NotDownloaded):
                missed = exc.missed.get(row.sha256)
                kind = {
                    ondemand.Failure.OFFLINE: Fetch.OFFLINE,
                    ondemand.Failure.NOT_AVAILABLE: Fetch.NOT_AVAILABLE,
                }.get(missed.failure if missed else ondemand.Failure.REFUSED, Fetch.FAILED)
                self._done(row, FetchState(kind, str(exc)))
                if kind is Fetch.OFFLINE:  # the others would wait a timeout each: say it now
                    for waiting in self._queue:
                        self._set(waiting.sha256, FetchState(Fetch.OFFLINE, str(exc)))
                    self._queue.clear()
            else:
                self._done(row, FetchState(Fetch.FAILED, explain(exc)))

        runner().run(
            ondemand.ensure_one,
            self.store,
            row.sha256,
            row.display_name,
            row.size,
            on_done=finished,
            on_error=failed,
            on_progress=moved,
            pool="network",
            owner=self,
        )

    def _done(self, row: ItemRow, state: FetchState) -> None:
        self._busy = False
        self._batch_done_files += 1
        self._batch_done_bytes += row.size
        self._set(row.sha256, state)
        self._next()
