"""ASGI middleware: the server's identity header, request body caps, no NUL in addresses.

Starlette has no total body cap, so bodies are counted as they stream in: a declared
Content-Length over the cap is refused before the app runs; an undeclared (chunked) body is cut
off with 413 the moment it passes the cap, before a handler can store anything.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync.protocol import API_PREFIX, SERVER_HEADER, SERVER_HEADER_VALUE, ErrorBody
from sync.server.errors import ApiError, error_response

# Room for headers-in-body framing is not needed: the cap applies to the body bytes alone.
_UPLOAD_PATH = API_PREFIX + "/uploads/"
_BLOB_PATH = API_PREFIX + "/blobs/"


class BodyTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, "body_too_large", f"request body over {limit} bytes")


class HqMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int, max_chunk_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_chunk_bytes = max_chunk_bytes

    def _limit(self, scope: Scope) -> int:
        if scope["method"] == "PATCH" and scope["path"].startswith(_UPLOAD_PATH):
            return self.max_chunk_bytes
        if scope["method"] == "PUT" and scope["path"].startswith(_BLOB_PATH):
            return self.max_chunk_bytes  # a whole file in one request (routes/blobs.py)
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_marked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                headers[SERVER_HEADER] = SERVER_HEADER_VALUE
                headers.setdefault("Cache-Control", "no-store")
                headers["X-Content-Type-Options"] = "nosniff"
            await send(message)

        if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b"").lower():
            # PostgreSQL text cannot hold NUL: refuse it here rather than 500 in a query.
            await self._refuse_nul(scope, receive, send_marked)
            return
        limit = self._limit(scope)
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0 or declared > limit:
                    await self._too_large(scope, receive, send_marked, limit)
                    return

        received = 0

        async def receive_counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        try:
            await self.app(scope, receive_counted, send_marked)
        except BodyTooLarge:
            if started:
                raise
            await self._too_large(scope, receive, send_marked, limit)

    @staticmethod
    async def _refuse_nul(scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            422,
            ErrorBody(error="invalid_text", detail="the address contains a NUL character"),
        )
        await response(scope, receive, send)

    @staticmethod
    async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = error_response(
            413,
            ErrorBody(error="body_too_large", detail=f"request body over {limit} bytes"),
            {"Connection": "close"},
        )
        await response(scope, receive, send)
