"""Core change callbacks re-emitted as a Qt signal, so handlers run on the GUI thread (Electrum).

``fairdesk.events.emit`` may be called from a worker thread (the db pool); a signal emitted
there reaches slots of GUI objects through a queued connection.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal

from fairdesk import events


class EventBridge(QObject):
    changed = Signal(str, str)  # (event kind, object id)
    _relay = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        # Always queued, even when the change happened on the GUI thread itself: a handler
        # then runs after the code that made the change has finished.
        self._relay.connect(self.changed, Qt.ConnectionType.QueuedConnection)
        events.subscribe(self._listener)

    def _listener(self, kind: events.Change, object_id: str) -> None:
        self._relay.emit(str(kind), object_id)

    def close(self) -> None:
        events.unsubscribe(self._listener)


_bridge: EventBridge | None = None


def bridge() -> EventBridge:
    global _bridge
    if _bridge is None:
        _bridge = EventBridge()
    return _bridge
