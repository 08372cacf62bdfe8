"""The HTTPS front end of an intake session: the phone page and a small resumable upload API.

Served paths — nothing else exists (404), and nothing is ever listed or read from a path the
client names:

- ``GET /`` the phone page, ``GET /intake.js`` its script (both from ``resources/intake``);
- ``POST /api/pair`` ``{"token"}`` → ``{"key", "phone"}`` (the key goes in ``Authorization:
  Bearer`` from then on);
- ``POST /api/uploads`` ``{"name", "size", "sha256"?, "last_modified"?}`` → the upload's state;
- ``GET /api/uploads/ID`` → its state (``offset`` to resume from, ``result`` when stored;
  with ``?wait=1`` it waits up to 20 s for the result of a file whose bytes all arrived);
- ``PUT /api/uploads/ID`` with ``Upload-Offset: N`` and the next bytes as the body.

Each connection is handled on a thread of the session's own pool (the TLS handshake too, so a
slow phone never holds up the others or the caller); :meth:`IntakeServer.close` stops
listening, cuts every open connection and closes the session, so nothing stays reachable.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import ssl
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from fairdesk.intake.certs import SessionCertificate, make_certificate
from fairdesk.intake.session import ConnectionCut, IntakeEvent, IntakeSession, Refused
from fairdesk.resources import resource_path

log = logging.getLogger(__name__)

STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/intake.js": ("intake.js", "text/javascript; charset=utf-8"),
}
MAX_JSON = 16 << 10
WORKERS = 16
RESULT_WAIT = 20.0  # seconds a GET ?wait=1 waits for an import to finish
SOCKET_TIMEOUT = 30.0  # a phone silent this long has gone; its thread is freed


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FairDesk-intake"
    sys_version = ""
    server: _PooledHTTPSServer

    # -- plumbing ----------------------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("intake %s " + format, self.client_address[0], *args)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header(
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; "
            "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'",
        )
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _refused(self, exc: Refused) -> None:
        # The body is not read when refusing early: don't let it be taken for the next request.
        self.close_connection = True
        self._json(exc.status, {"error": exc.code, "message": str(exc), **exc.params})

    def _read_json(self) -> dict[str, Any]:
        length = self._length()
        if length > MAX_JSON:
            raise Refused(413, "bad_request", "request too large")
        try:
            data = json.loads(self.rfile.read(length) or b"{}")
        except ValueError as exc:
            raise Refused(400, "bad_request", "not JSON") from exc
        if not isinstance(data, dict):
            raise Refused(400, "bad_request", "not a JSON object")
        return data

    def _length(self) -> int:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError as exc:
            raise Refused(400, "bad_request", "bad Content-Length") from exc
        if length < 0:
            raise Refused(400, "bad_request", "bad Content-Length")
        return length

    def _key(self) -> str:
        auth = self.headers.get("Authorization", "")
        return auth[7:].strip() if auth.startswith("Bearer ") else ""

    @property
    def session(self) -> IntakeSession:
        return self.server.session

    # -- routes ------------------------------------------------------------------------------

    def _route(self) -> None:
        path = self.path.split("?", 1)[0]
        try:
            if self.command in ("GET", "HEAD") and path in STATIC:
                name, content_type = STATIC[path]
                self._send(200, resource_path("intake", name).read_bytes(), content_type)
            elif self.command == "POST" and path == "/api/pair":
                data = self._read_json()
                key, phone = self.session.pair(
                    str(data.get("token", "")),
                    self.client_address[0],
                    self.headers.get("User-Agent", ""),
                )
                self._json(200, {"key": key, "phone": phone.name})
            elif self.command == "POST" and path == "/api/uploads":
                key = self._key()
                self.session.phone_for(key)  # 403 before reading anything from a stranger
                data = self._read_json()
                try:
                    size = int(data.get("size", 0))
                    modified = data.get("last_modified")
                    modified = None if modified is None else float(modified)
                except (TypeError, ValueError) as exc:
                    raise Refused(400, "bad_request", "bad size") from exc
                upload = self.session.begin_upload(
                    key, str(data.get("name", "")), size, str(data.get("sha256") or ""), modified
                )
                self._json(200, _state(upload))
            elif path.startswith("/api/uploads/") and self.command in ("GET", "PUT"):
                upload_id = path.removeprefix("/api/uploads/")
                if not upload_id.isalnum():
                    raise Refused(404, "not_found", "no such path")
                key = self._key()
                if self.command == "GET":
                    query = self.path.partition("?")[2]
                    if query == "wait=1":
                        upload = self.session.wait_result(key, upload_id, RESULT_WAIT)
                    else:
                        upload = self.session.upload(key, upload_id)
                    self._json(200, _state(upload))
                    return
                self.session.phone_for(key)
                try:
                    offset = int(self.headers.get("Upload-Offset", ""))
                except ValueError as exc:
                    raise Refused(400, "bad_request", "Upload-Offset missing") from exc
                length = self._length()
                try:
                    upload = self.session.write_chunk(key, upload_id, offset, self.rfile, length)
                except ConnectionCut:
                    self.close_connection = True
                    return
                self._json(200, _state(upload))
            else:
                raise Refused(404, "not_found", "no such path")
        except Refused as exc:
            self._refused(exc)

    do_GET = do_HEAD = do_POST = do_PUT = _route

    def do_DELETE(self) -> None:
        self._route()

    def handle(self) -> None:
        try:
            super().handle()
        except (OSError, ssl.SSLError) as exc:  # a phone that walked away mid-request
            log.debug("intake connection from %s ended: %s", self.client_address[0], exc)


def _state(upload: Any) -> dict[str, Any]:
    result = upload.result
    return {
        "id": upload.id,
        "name": upload.name,
        "size": upload.size,
        "offset": upload.offset,
        "result": None
        if result is None
        else {
            "status": result.status,
            "sha256": result.sha256,
            "reason": result.reason,
            "hashed_on_phone": result.hashed_on_phone,
        },
    }


class _PooledHTTPSServer(HTTPServer):
    """HTTPServer whose connections are handled (TLS handshake included) on a thread pool."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], session: IntakeSession, context: ssl.SSLContext
    ) -> None:
        self.session = session
        self.context = context
        self.pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="intake")
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.add(request)
        self.pool.submit(self._work, request, client_address)

    def _work(self, request: socket.socket, client_address: Any) -> None:
        try:
            request.settimeout(SOCKET_TIMEOUT)
            tls = self.context.wrap_socket(request, server_side=True)
            with self.sockets_lock:
                self.open_sockets.add(tls)
            try:
                self.finish_request(tls, client_address)
            finally:
                with self.sockets_lock:
                    self.open_sockets.discard(tls)
                self.shutdown_request(tls)
        except (OSError, ssl.SSLError) as exc:
            log.debug("intake handshake with %s failed: %s", client_address[0], exc)
        finally:
            with self.sockets_lock:
                self.open_sockets.discard(request)
            request.close()

    def cut_all(self) -> None:
        with self.sockets_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class IntakeServer:
    """An intake session served over HTTPS on ``host:port`` (port 0: any free port)."""

    def __init__(self, session: IntakeSession, host: str, port: int = 0) -> None:
        self.session = session
        self.host = host
        self.certificate: SessionCertificate = make_certificate(host)
        self._server = _PooledHTTPSServer((host, port), session, self.certificate.server_context())
        self.port: int = self._server.server_address[1]
        self._stopped = threading.Event()  # closing has begun
        self._done = threading.Event()  # ... and nothing listens any more
        self._threads = [
            threading.Thread(target=self._server.serve_forever, args=(0.2,), daemon=True),
            threading.Thread(target=self._watch, daemon=True),
        ]
        session.subscribe(self._on_session)
        for thread in self._threads:
            thread.start()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}/"

    @property
    def pairing_url(self) -> str:
        """What the QR code holds: the page, with the token in the fragment (never sent in logs)."""
        return f"{self.url}#t={self.session.token}"

    def _watch(self) -> None:
        while not self._stopped.wait(1.0):
            self.session.maintain()

    def _on_session(self, event: IntakeEvent, payload: Any) -> None:
        if event == IntakeEvent.CLOSED:
            # The session closed itself (idle): stop serving, from a thread of our own.
            threading.Thread(target=self.close, daemon=True).start()

    def close(self) -> None:
        """Stop listening, cut open connections, close the session. Safe to call twice."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self._server.shutdown()
        self._server.server_close()
        self._server.cut_all()
        self._server.pool.shutdown(wait=False, cancel_futures=True)
        self.session.close()
        self._done.set()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def wait_closed(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)
