"""One shared clock for countdowns: a single timer for the whole app, and a fixed time in tests.

Countdown widgets and models listen to ``tick`` and recompute their text from data they
already hold, so a countdown updating every second never touches the database.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QObject, QTimer, Signal

from fairdesk.timeutil import utcnow


class Clock(QObject):
    tick = Signal(object)  # the current UTC datetime

    def __init__(self) -> None:
        super().__init__()
        self._fixed: datetime | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._emit)

    def now(self) -> datetime:
        return self._fixed or utcnow()

    def start(self) -> None:
        if self._fixed is None:
            self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def set_fixed(self, moment: datetime | None) -> None:
        """Freeze time (tests, screenshots); ``None`` returns to the real clock."""
        self._fixed = moment
        if moment is None:
            self._timer.start()
        else:
            self._timer.stop()
        self._emit()

    def _emit(self) -> None:
        self.tick.emit(self.now())


_clock: Clock | None = None


def clock() -> Clock:
    global _clock
    if _clock is None:
        _clock = Clock()
    return _clock
