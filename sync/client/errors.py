"""Why a sync attempt stopped, as exceptions carrying a sentence a responder understands.

``kind`` is a stable word for scripts and the status indicator: ``offline`` (no network or the
server is down: retry later), ``sign_in`` (a captive portal answered instead of HQ), ``server``
(HQ answered with an error: retry later), ``auth`` (the device was revoked: enrol again),
``not_enrolled``.
"""

from __future__ import annotations

from typing import Any

from fairdesk.errors import FairDeskError


class SyncError(FairDeskError):
    kind = "server"
    retryable = True


class Offline(SyncError):
    kind = "offline"


class NeedsSignIn(SyncError):
    """Something other than HQ answered (hotel or fair Wi-Fi login page)."""

    kind = "sign_in"


class ServerError(SyncError):
    kind = "server"

    def __init__(self, message: str, status: int = 0, error: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.error = error

    @classmethod
    def refused(cls, message: str, status: int, body: dict[str, Any]) -> ServerError:
        """HQ answered ``status`` with a JSON ``body``: ``message`` (translated, with
        ``{status}`` and ``{error}``) filled in, and HQ's error code kept for callers."""
        error = str(body.get("error", ""))
        return cls(message.format(status=status, error=error), status, error)


class AuthRevoked(SyncError):
    kind = "auth"
    retryable = False


class NotEnrolled(SyncError):
    kind = "not_enrolled"
    retryable = False
