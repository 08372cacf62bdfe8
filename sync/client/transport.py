"""HTTP to the HQ server: timeouts, the server's own answer recognised, tokens refreshed.

Every response must carry the server's marker header (``sync.protocol.is_server_response``) and,
when JSON is expected, a JSON body: anything else (a hotel or fair Wi-Fi login page answering
200 with HTML, a proxy's error page) raises :class:`NeedsSignIn` and nothing is marked sent.
A 401 triggers one token refresh and one retry; the caller's cursor and outbox are untouched.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from fairdesk.i18n import _
from sync.client.errors import AuthRevoked, NeedsSignIn, Offline, ServerError
from sync.protocol import API_PREFIX, is_server_response

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
# One token refresh at a time in this process (see Transport.refresh).
_REFRESH_LOCK = threading.Lock()


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalise_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if url.endswith(API_PREFIX):
        url = url[: -len(API_PREFIX)]
    if not url.startswith(("http://", "https://")):
        url = "https://" + url
    return url


class Transport:
    """One HTTP session to one server for one enrolled device (thread-safe for counters)."""

    def __init__(
        self,
        base_url: str,
        *,
        device_id: str = "",
        refresh_token: Callable[[], str | None] | None = None,
        store_refresh_token: Callable[[str], object] | None = None,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
    ) -> None:
        self.base_url = normalise_url(base_url)
        self.device_id = device_id
        self._refresh_token = refresh_token
        self._store_refresh_token = store_refresh_token
        self.timeout = timeout
        self.session = requests.Session()
        # A configured proxy must never see loopback traffic (tests, a server on this machine).
        self.session.trust_env = not _is_loopback(self.base_url)
        self.access_token: str | None = None
        self.bytes_sent = 0
        self._lock = threading.Lock()

    def close(self) -> None:
        self.session.close()

    # -- low level ------------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = self.base_url + API_PREFIX + path
        body = kwargs.get("data")
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.exceptions.SSLError as exc:
            raise NeedsSignIn(
                _("The network needs sign-in (or blocks HQ): open a browser and log in.")
            ) from exc
        except requests.RequestException as exc:
            raise Offline(_("HQ cannot be reached right now; everything stays queued.")) from exc
        finally:
            if isinstance(body, bytes | bytearray | memoryview):
                with self._lock:
                    self.bytes_sent += len(body)
        if not is_server_response(response.headers):
            response.close()
            raise NeedsSignIn(
                _("The network needs sign-in: open a browser and log in to the Wi-Fi, then sync.")
            )
        return response

    def refresh(self) -> None:
        """A new access token; HQ rotates the refresh token at the same time.

        The rotated refresh token is stored durably *before* the access token is used: a crash
        in between leaves the old one stored, which HQ accepts again as long as the new one was
        never used. Refreshes are serialised in the process (upload threads, a second transport)
        so that two of them never race with the same stored token and store the loser's.
        Threads of one transport that asked together (the uploads and the push at the start of
        a drain) share the first one's new access token instead of each rotating again.
        """
        seen = self.access_token
        with _REFRESH_LOCK:
            if self.access_token is not None and self.access_token != seen:
                return  # refreshed by another thread while this one waited for the lock
            token = self._refresh_token() if self._refresh_token else None
            if not token or not self.device_id:
                raise AuthRevoked(_("This device is not enrolled with HQ (or its key is missing)."))
            response = self._send(
                "POST",
                "/auth/token",
                json={"device_id": self.device_id, "refresh_token": token},
            )
            if response.status_code in (401, 403):
                raise AuthRevoked(
                    _("HQ no longer accepts this device (revoked or expired). Enrol it again.")
                )
            body = self._json(response)
            if response.status_code != 200 or "access_token" not in body:
                raise self._server_error(response, body)
            rotated = body.get("refresh_token")
            if isinstance(rotated, str) and rotated and self._store_refresh_token is not None:
                self._store_refresh_token(rotated)
            self.access_token = str(body["access_token"])

    def request(
        self,
        method: str,
        path: str,
        *,
        auth: bool = True,
        expect_json: bool = True,
        **kwargs: Any,
    ) -> requests.Response:
        """Send; on 401 refresh once and resend. 5xx raises ServerError; other codes return."""
        for attempt in (1, 2):
            headers = dict(kwargs.pop("headers", None) or {})
            if auth:
                if self.access_token is None:
                    self.refresh()
                headers["Authorization"] = f"Bearer {self.access_token}"
            response = self._send(method, path, headers=headers, **kwargs)
            kwargs["headers"] = {k: v for k, v in headers.items() if k != "Authorization"}
            if response.status_code == 401 and auth and attempt == 1:
                response.close()
                self.access_token = None
                continue
            if response.status_code == 401 and auth:
                raise AuthRevoked(
                    _("HQ no longer accepts this device (revoked or expired). Enrol it again.")
                )
            if response.status_code >= 500:
                raise self._server_error(response, self._json(response, strict=False))
            if expect_json and method != "HEAD" and response.status_code != 204:
                self._json(response)  # a non-JSON body is not the server's answer
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _json(response: requests.Response, *, strict: bool = True) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict | list):
            if strict:
                raise NeedsSignIn(
                    _(
                        "The network needs sign-in: open a browser and log in to the Wi-Fi, "
                        "then sync."
                    )
                )
            return {}
        return body if isinstance(body, dict) else {"items": body}

    @staticmethod
    def _server_error(response: requests.Response, body: dict[str, Any]) -> ServerError:
        return ServerError(
            _("HQ answered with an error ({status}); FairDesk will try again.").format(
                status=response.status_code
            ),
            status=response.status_code,
            error=str(body.get("error", "")),
        )

    def json(self, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        response = self.request(method, path, **kwargs)
        return response.status_code, self._json(response)
