"""uvicorn's HTTP protocol with TCP_NODELAY on every connection.

asyncio sets TCP_NODELAY only on sockets whose ``proto`` is IPPROTO_TCP. uvicorn's own listening
socket (``--fd``, or any ``--workers`` > 1) is made with ``proto`` 0 (``--fd`` even as AF_UNIX), so its connections kept
Nagle's algorithm on: a JSON answer written as headers + body then waited for the client's
delayed ACK, ~40 ms per request (measured: `GET /v1/health` 44 ms, a body-less HEAD 2 ms).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from uvicorn.protocols.http.auto import AutoHTTPProtocol


def set_nodelay(sock: socket.socket | None) -> None:
    # Not by `sock.family`: with --fd uvicorn wraps the TCP socket as AF_UNIX.
    if sock is not None:
        with contextlib.suppress(OSError):  # a real Unix socket has no TCP options
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        set_nodelay(transport.get_extra_info("socket"))
        super().connection_made(transport)
