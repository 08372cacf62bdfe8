"""A small callback registry through which the core announces changes (Electrum's pattern).

The UI subscribes once and re-emits each callback as a queued Qt signal, so handlers run on the
GUI thread whatever thread the change happened on. Callbacks are called after the commit.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from enum import StrEnum


class Change(StrEnum):
    """What changed; the id passed with it names the case (or fair, alert, library version)."""

    CASE = "case_changed"  # a case's own fields, parties, rights, deadlines or notes
    LEVELS = "levels_changed"  # warning levels were recomputed (id empty: possibly every case)
    FAIR = "fair_changed"
    ALERTS = "alerts_changed"
    REFERENCE = "reference_updated"  # a new reference library edition is in use (id: version)
    EVIDENCE = "evidence_changed"  # id: the case
    CUSTODY = "custody_changed"  # id: the case
    DOCUMENT = "document_added"  # id: the case
    TIMESTAMPS = "timestamps_changed"  # new RFC 3161 tokens were stored (id empty)


Listener = Callable[[Change, str], None]  # (what changed, id)

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


def emit(kind: Change, object_id: str = "") -> None:
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        try:
            listener(kind, object_id)
        except Exception:  # a broken listener must never undo a saved change
            log.exception("listener failed for %s %s", kind, object_id)
