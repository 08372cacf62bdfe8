"""Running work off the GUI thread and getting the result back on it (Anki's taskman, Picard's run_task).

Three pools: ``db`` has a single worker, so every database write, import and render is
serialised (one SQLite writer); ``network`` is for sync; ``read`` runs list and search
queries. ``run`` executes ``fn`` on a pool and calls ``on_done(result)`` or ``on_error(exc)``
on the GUI thread through a queued signal. Never touch a widget inside ``fn``. Tests call
``set_synchronous(True)`` to run tasks inline.

``run`` is generic in the result: ``on_done`` is checked against what ``fn`` returns, so a
handler can take the real type instead of ``object``. Every failure that is not a
:class:`~fairdesk.errors.FairDeskError` (a sentence meant for the user) is logged with its
traceback, whether or not the caller handles it; :func:`explain` turns any exception into the
sentence to show.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Generic, Literal, TypeVar

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, SignalInstance, Slot

from fairdesk.errors import FairDeskError
from fairdesk.i18n import _

log = logging.getLogger(__name__)

T = TypeVar("T")
Pool = Literal["db", "network", "read"]


class CancelToken:
    """Checked by long tasks between steps; set from the GUI thread by a Cancel button."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


class _Relay(QObject):
    done = Signal(object)
    failed = Signal(object)
    progress = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.fn = fn
        self.relay = relay

    def run(self) -> None:
        try:
            result = self.fn()
        except BaseException as exc:  # delivered to on_error on the GUI thread
            self._deliver(self.relay.failed, exc)
        else:
            self._deliver(self.relay.done, result)

    @staticmethod
    def _deliver(signal: SignalInstance, value: object) -> None:
        try:
            signal.emit(value)
        except RuntimeError:
            # The relay is deleted only when the application is quitting: nobody is left to
            # tell, and the work itself has completed (it committed before returning).
            if isinstance(value, BaseException):
                log.warning("task failed after the application quit", exc_info=value)
            else:
                log.debug("task finished after the application quit")


class TaskRunner(QObject):
    """Owns the pools; one instance per application (``runner()``)."""

    def __init__(self) -> None:
        super().__init__()
        self.pools: dict[Pool, QThreadPool] = {
            "db": QThreadPool(),
            "network": QThreadPool(),
            "read": QThreadPool(),
        }
        self.pools["db"].setMaxThreadCount(1)
        # Lists and searches read concurrently (SQLite WAL), never queued behind a long write.
        self.pools["read"].setMaxThreadCount(2)
        self.pools["network"].setMaxThreadCount(2)
        self.synchronous = False
        self._relays: set[_Relay] = set()

    def run(
        self,
        fn: Callable[..., T],
        *args: Any,
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[Any], None] | None = None,
        pool: Pool = "db",
        owner: QObject | None = None,
        **kwargs: Any,
    ) -> None:
        """Run ``fn(*args, **kwargs)`` on ``pool``; if ``on_progress`` is given, ``fn`` receives
        ``progress=`` a thread-safe callable whose argument reaches ``on_progress`` on the GUI thread.

        ``owner`` is the widget waiting for the result (by default the object of a bound
        ``on_done``): if it was closed and deleted meanwhile, the result is dropped instead of
        touching a dead widget. The work itself has completed either way.
        """
        relay = _Relay()
        self._relays.add(relay)
        if owner is None and isinstance(getattr(on_done, "__self__", None), QObject):
            owner = on_done.__self__  # type: ignore[union-attr]

        def finish() -> bool:
            self._relays.discard(relay)
            return owner is None or shiboken6.isValid(owner)

        @Slot(object)
        def done(result: Any) -> None:
            if finish() and on_done is not None:
                _deliver(on_done, result)

        @Slot(object)
        def failed(exc: BaseException) -> None:
            if not isinstance(exc, FairDeskError):
                # A bug or an environment failure: its traceback must reach the log even when
                # a widget shows the user a sentence about it.
                log.error("background task %s failed", _name(fn), exc_info=exc)
            if not finish():
                log.info("result dropped: the window that asked for it was closed", exc_info=exc)
            elif on_error is not None:
                _deliver(on_error, exc)
            elif isinstance(exc, FairDeskError):
                log.warning("background task %s: %s", _name(fn), exc)

        relay.done.connect(done)
        relay.failed.connect(failed)
        if on_progress is not None:
            relay.progress.connect(on_progress)
            kwargs["progress"] = relay.progress.emit

        def call() -> Any:
            return fn(*args, **kwargs)

        if self.synchronous:
            _Job(call, relay).run()
            return
        self.pools[pool].start(_Job(call, relay))

    def wait_idle(self, msecs: int = 30000) -> bool:
        return all(p.waitForDone(msecs) for p in self.pools.values())


class EarlyRead(Generic[T]):
    """A read started before the widget that shows its answer exists.

    At start-up Today's rows and the first screen of Cases are read while the window is being
    built (tens of ms of the GUI thread) instead of after it. The widget, once built, calls
    :meth:`take`: its handler gets the answer when it arrives, or at once if it is already
    there. ``key`` says what was read (e.g. a filter and sort), so a widget can tell whether
    the answer is still the one it wants. Used on the GUI thread only.
    """

    def __init__(self, key: object, fn: Callable[..., T], *args: Any, **kwargs: Any) -> None:
        self.key = key
        self._answer: tuple[bool, Any] | None = None
        self._handlers: tuple[Callable[[T], None], Callable[[BaseException], None]] | None = None
        runner().run(
            fn,
            *args,
            pool="read",
            on_done=lambda value: self._arrived(True, value),
            on_error=lambda exc: self._arrived(False, exc),
            **kwargs,
        )

    def take(self, on_done: Callable[[T], None], on_error: Callable[[BaseException], None]) -> None:
        """Hand the answer (once) to ``on_done``, or the failure to ``on_error``."""
        self._handlers = (on_done, on_error)
        if self._answer is not None:
            self._arrived(*self._answer)

    def _arrived(self, ok: bool, value: Any) -> None:
        if self._handlers is None:
            self._answer = (ok, value)
            return
        on_done, on_error = self._handlers
        self._handlers = self._answer = None
        if ok:
            _deliver(on_done, value)
        else:
            _deliver(on_error, value)


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)


def explain(exc: BaseException, not_done: str = "") -> str:
    """The sentence a responder sees for a failed task: a FairDeskError's own words, a file
    system refusal with its reason, and for anything else a promise that nothing saved was lost
    (the traceback is in the log; see :meth:`TaskRunner.run`). Every handler in ``ui`` shows
    failures through this one function, never a raw ``str(exc)`` of an unexpected error.

    ``not_done`` says what did not happen ("The case was not saved."); it leads the sentence
    unless the error is a FairDeskError, whose words already say it.
    """
    if isinstance(exc, FairDeskError):
        return str(exc)
    if isinstance(exc, OSError):
        reason = _(
            "The computer refused the operation ({error}); nothing already saved was lost."
        ).format(error=exc.strerror or exc.__class__.__name__)
    else:
        reason = _(
            "Something went wrong ({error}); nothing already saved was lost. The details are in "
            "the log."
        ).format(error=exc.__class__.__name__)
    if not not_done:
        return reason
    # Chinese runs sentences together after 。; English needs the space.
    return not_done + ("" if not_done.endswith("。") else " ") + reason


def _deliver(callback: Callable[[T], None], value: T) -> None:
    """Call a result handler; a closure that touches a widget closed meanwhile is not an error."""
    try:
        callback(value)
    except RuntimeError as exc:
        if "already deleted" not in str(exc):
            raise
        log.info("result dropped: %s", exc)


_runner: TaskRunner | None = None


def runner() -> TaskRunner:
    global _runner
    if _runner is None:
        _runner = TaskRunner()
    return _runner


def set_synchronous(value: bool) -> None:
    runner().synchronous = value
