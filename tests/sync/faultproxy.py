"""An asyncio TCP proxy on 127.0.0.1 that breaks the link between a device and `fairdesk-hq`.

`tc netem` is not available here, so faults are injected on a real TCP hop (docs/platform-notes.md).
Knobs, settable from the test thread at any time:

- ``delay`` seconds before each forwarded piece, ``throttle_bps`` bytes per second;
- ``cut_at``: cumulative client→server byte offsets at which the connection is reset (the
  request is cut before the server could commit it); ``random_cuts`` spreads N cuts;
- ``drop_responses``: the next N responses are swallowed and the connection reset *after* the
  server answered (so after it committed): the device never learns the outcome;
- ``flip_at``: cumulative client→server offsets at which one bit of the stream is flipped;
- ``reset_connections``: the next N connections are reset at once;
- ``portal``: answer everything with a captive portal's ``200`` HTML page;
- ``cut_down_at`` / ``flip_down_at``: the same as ``cut_at`` / ``flip_at`` on the
  server→device stream (cumulative ``bytes_down`` offsets): a download cut mid-way, a byte
  changed on its way from HQ.

``bytes_up`` counts every byte the device sent (including those cut off), ``bytes_down``
every byte forwarded back.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from collections.abc import Iterator

PORTAL_PAGE = (
    b"<!DOCTYPE html><html><head><title>Messe WiFi</title></head>"
    b"<body><h1>Welcome! Please accept the terms to continue.</h1></body></html>"
)


class FaultProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.delay = 0.0
        self.throttle_bps: int | None = None
        self.cut_at: list[int] = []
        self.cut_gaps: list[int] = []
        self._next_gap_cut: int | None = None
        self.flip_at: list[int] = []
        self.cut_down_at: list[int] = []
        self.flip_down_at: list[int] = []
        self.drop_responses = 0
        self.reset_connections = 0
        self.portal = False
        self.bytes_up = 0
        self.bytes_down = 0
        self.cuts_done = 0
        self.drops_done = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def retarget(self, host: str, port: int) -> None:
        self.target = (host, port)

    def start(self) -> FaultProxy:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        future.result(timeout=10)
        return self

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        async def _close() -> None:
            if self._server is not None:
                self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(_close(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def random_cuts(self, rng: random.Random, count: int, span: int) -> None:
        """``count`` cuts spread at random over the next ``span`` bytes the device sends.

        Each cut comes a random number of bytes after the previous one (so every cut really
        happens, however much the device re-sends in between).
        """
        self.cut_gaps = [rng.randrange(1, max(2, 2 * span // count)) for _ in range(count)]
        self._next_gap_cut = None

    # -- the proxy --------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.reset_connections > 0:
            self.reset_connections -= 1
            writer.transport.abort()
            return
        if self.portal:
            await self._portal(reader, writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        pumps = [
            asyncio.ensure_future(self._up(reader, up_writer, writer)),
            asyncio.ensure_future(self._down(up_reader, writer, up_writer)),
        ]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            for w in (writer, up_writer):
                with contextlib.suppress(Exception):
                    w.transport.abort()

    async def _pace(self, size: int) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.throttle_bps:
            await asyncio.sleep(size / self.throttle_bps)

    async def _up(
        self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, client: asyncio.StreamWriter
    ) -> None:
        while data := await src.read(64 * 1024):
            start = self.bytes_up
            self.bytes_up += len(data)
            while self.flip_at and self.flip_at[0] < self.bytes_up:
                position = self.flip_at.pop(0) - start
                if position >= 0:
                    buf = bytearray(data)
                    buf[position] ^= 0x01
                    data = bytes(buf)
            cut = None
            while self.cut_at and self.cut_at[0] <= start:
                self.cut_at.pop(0)  # passed while another connection was cut
            if self._next_gap_cut is None and self.cut_gaps:
                self._next_gap_cut = start + self.cut_gaps.pop(0)
            if self.cut_at and self.cut_at[0] < self.bytes_up:
                cut = self.cut_at.pop(0) - start
            elif self._next_gap_cut is not None and self._next_gap_cut < self.bytes_up:
                cut = self._next_gap_cut - start
                self._next_gap_cut = None
            await self._pace(len(data))
            if cut is not None:
                dst.write(data[:cut])
                with contextlib.suppress(Exception):
                    await dst.drain()
                self.cuts_done += 1
                client.transport.abort()
                dst.transport.abort()
                return
            dst.write(data)
            await dst.drain()

    async def _down(
        self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, server: asyncio.StreamWriter
    ) -> None:
        while data := await src.read(64 * 1024):
            if self.drop_responses > 0:
                self.drop_responses -= 1
                self.drops_done += 1
                dst.transport.abort()
                server.transport.abort()
                return
            await self._pace(len(data))
            start = self.bytes_down
            while self.flip_down_at and self.flip_down_at[0] < start + len(data):
                position = self.flip_down_at.pop(0) - start
                if position >= 0:
                    buf = bytearray(data)
                    buf[position] ^= 0x01
                    data = bytes(buf)
            if self.cut_down_at and self.cut_down_at[0] < start + len(data):
                cut = max(0, self.cut_down_at.pop(0) - start)
                self.bytes_down += cut
                dst.write(data[:cut])
                with contextlib.suppress(Exception):
                    await dst.drain()
                self.cuts_done += 1
                dst.transport.abort()
                server.transport.abort()
                return
            self.bytes_down += len(data)
            dst.write(data)
            await dst.drain()

    async def _portal(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(reader.read(64 * 1024), 2)
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                + f"Content-Length: {len(PORTAL_PAGE)}\r\nConnection: close\r\n\r\n".encode()
                + PORTAL_PAGE
            )
            await writer.drain()
        writer.close()


@contextlib.contextmanager
def fault_proxy(base_url: str) -> Iterator[FaultProxy]:
    host, port = base_url.removeprefix("http://").split(":")
    proxy = FaultProxy(host, int(port)).start()
    try:
        yield proxy
    finally:
        proxy.stop()
