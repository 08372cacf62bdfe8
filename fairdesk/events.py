"""A small callback registry through which the core announces changes (Electrum's pattern).

The UI subscribes once and re-emits each callback as a queued Qt signal, so handlers run on the
GUI thread whatever thread the change happened on. Callbacks are called after the commit.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

Listener = Callable[[str, str], None]  # (event kind, id)

_lock = threading.Lock()
_listeners: list[Listener] = []
log = logging.getLogger(__name__)


def subscribe(listener: Listener) -> None:
    with _lock:
        _listeners.append(listener)


def unsubscribe(listener: Listener) -> None:
    with _lock:
        if listener in _listeners:
            _listeners.remove(listener)


def emit(kind: str, object_id: str = "") -> None:
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        try:
            listener(kind, object_id)
        except Exception:  # a broken listener must never undo a saved change
            log.exception("listener failed for %s %s", kind, object_id)
