"""Per-connection guards uvicorn lacks: a deadline for request headers, and 431 for huge ones.

uvicorn's keep-alive timer only runs *between* requests, and any byte cancels it: a client
that connects and sends nothing, or trickles a header byte now and then, held a connection (and
its memory) for ever — 1,100 half-open connections were held in the adversarial test. So each
request's headers must be complete within :data:`HEADER_TIMEOUT` seconds of the connection
opening (first request) or of its first byte (later requests on a keep-alive connection);
otherwise the connection is closed (with a 408 if part of a request came).

uvicorn's parsers turn huge headers into a plain-text 400 or a reset (h11), or hold them in
memory (httptools): here headers over :data:`MAX_HEADER_BYTES` get the server's own JSON 431
with the marker header, then the connection closes. Where one request's headers begin and end
comes from the httptools parser's callbacks (httptools is a server dependency; under h11 only
a connection's first request is counted). The h11 buffer is set above the limit in
``fairdesk-hq serve``.
"""

from __future__ import annotations

import asyncio
import json
import os

from sync.protocol import SERVER_HEADER, SERVER_HEADER_VALUE
from sync.server.nodelay import NoDelayHTTPProtocol

# Environment overrides exist for tests (a subprocess server with a short deadline).
HEADER_TIMEOUT = float(os.environ.get("FAIRDESK_HQ_HEADER_TIMEOUT_SECONDS", "20"))
MAX_HEADER_BYTES = 32 * 1024
# uvicorn's h11 buffer: above MAX_HEADER_BYTES, so the 431 here always answers first.
H11_BUFFER_BYTES = 64 * 1024
_END_OF_HEADERS = b"\r\n\r\n"


def _raw_error(status: int, reason: str, error: str, detail: str) -> bytes:
    body = json.dumps({"error": error, "detail": detail}).encode("ascii")
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Content-Type: application/json\r\n"
        f"{SERVER_HEADER}: {SERVER_HEADER_VALUE}\r\n"
        "Cache-Control: no-store\r\n"
        "Connection: close\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


class HqHTTPProtocol(NoDelayHTTPProtocol):
    """uvicorn's HTTP protocol with TCP_NODELAY, a header deadline and a header size cap."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._in_headers = True
        self._header_bytes = 0
        self._tail = b""
        self._requests = 0
        self._chunk = b""
        self._header_timer: asyncio.TimerHandle | None = None
        self._arm_header_timer()

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        loop = asyncio.get_running_loop()
        self._header_timer = loop.call_later(HEADER_TIMEOUT, self._header_deadline)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_deadline(self) -> None:
        self._header_timer = None
        if not self._in_headers or self.transport.is_closing():
            return
        if self._header_bytes:
            self.transport.write(
                _raw_error(408, "Request Timeout", "request_timeout", "headers came too slowly")
            )
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        self._chunk = data
        if self._in_headers:
            seen = self._tail + data
            end = seen.find(_END_OF_HEADERS)
            if end >= 0:
                self._header_bytes += end + len(_END_OF_HEADERS) - len(self._tail)
            else:
                self._header_bytes += len(data)
            if self._header_bytes > MAX_HEADER_BYTES:
                self._cancel_header_timer()
                self._in_headers = False
                self.transport.write(
                    _raw_error(
                        431,
                        "Request Header Fields Too Large",
                        "headers_too_large",
                        f"request headers over {MAX_HEADER_BYTES} bytes",
                    )
                )
                self.transport.close()
                return
            if end >= 0:
                self._in_headers = False
                self._cancel_header_timer()
            else:
                self._tail = seen[-(len(_END_OF_HEADERS) - 1) :]
        super().data_received(data)

    # The parser says where each request's headers begin and end. Counting restarted when the
    # previous *response* completed, but by then the next request (sent as soon as the answer
    # left, or pipelined) may already be partly read: its body was counted as headers → 431.

    def on_message_begin(self) -> None:
        if self._requests:  # a later request on a kept-alive connection: its own deadline
            self._in_headers = True
            self._header_bytes = 0
            # This read was not scanned (the previous request's headers were done); if these
            # headers end in the next read, "\r\n\r\n" may straddle the two.
            self._tail = self._chunk[-(len(_END_OF_HEADERS) - 1) :]
            self._arm_header_timer()
        self._requests += 1
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._cancel_header_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)
