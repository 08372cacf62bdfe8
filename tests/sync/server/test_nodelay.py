"""HQ connections get TCP_NODELAY even on the AF_UNIX-typed socket uvicorn makes for --fd."""

from __future__ import annotations

import socket

from sync.server.nodelay import set_nodelay


def test_nodelay_is_set_on_a_tcp_connection_wrapped_as_unix() -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    wrapped = socket.fromfd(listener.fileno(), socket.AF_UNIX, socket.SOCK_STREAM)  # as uvicorn
    client = socket.create_connection(listener.getsockname())
    conn, _addr = wrapped.accept()
    try:
        assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        set_nodelay(conn)
        assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        set_nodelay(None)  # no socket (e.g. a test transport): nothing to do
        unix_a, unix_b = socket.socketpair()
        set_nodelay(unix_a)  # a real Unix socket: silently left alone
        unix_a.close()
        unix_b.close()
    finally:
        for s in (conn, client, wrapped, listener):
            s.close()
