"""The HTTP/1.1 protocol ``registry serve`` runs: uvicorn's httptools implementation (its h11 one
where httptools is not installed) with two guards.

- A header timeout: a connection must finish sending a request's line and headers within
  ``header_timeout_s`` seconds of its first byte (or of connecting), else it is closed. Uvicorn's
  keep-alive timeout only covers idle time after a response, so a client sending one header byte
  at a time would otherwise hold a connection for ever (docs/RELIABILITY.md, "slow headers").
- The 400 that the server itself sends for a request it cannot parse carries the same security
  headers as every answer of the application (``registry.http.security``).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from registry.config import get_settings
from registry.http.security import SECURITY_HEADERS

try:  # uvicorn[standard] brings httptools, about twice as fast per request as pure-Python h11
    import httptools  # noqa: F401
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - a plain uvicorn install
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

# For uvicorn's ``http=`` option.
PROTOCOL = (
    "registry.http.server:GuardedHttpToolsProtocol"
    if HttpToolsProtocol is not None
    else "registry.http.server:GuardedH11Protocol"
)


class GuardedH11Protocol(H11Protocol):
    """``H11Protocol`` with a header timeout and security headers on its own 400s."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout_s = get_settings().header_timeout_s
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self._arm_header_timer()  # still waiting for the rest of a request's headers
        else:
            self._cancel_header_timer()

    def on_response_complete(self) -> None:
        self._cancel_header_timer()  # the keep-alive timeout covers the idle time from here
        super().on_response_complete()

    def _arm_header_timer(self) -> None:
        if self._header_timer is None and self.header_timeout_s > 0:
            self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_late)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.logger.info("closing a connection whose request headers were late")
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"connection", b"close"),
            *SECURITY_HEADERS,
        ]
        event = h11.Response(status_code=400, headers=headers, reason=b"Bad Request")
        self.transport.write(self.conn.send(event))
        self.transport.write(self.conn.send(h11.Data(data=msg.encode("ascii"))))
        self.transport.write(self.conn.send(h11.EndOfMessage()))
        self.transport.close()


if HttpToolsProtocol is not None:

    class GuardedHttpToolsProtocol(HttpToolsProtocol):
        """``HttpToolsProtocol`` with the same header timeout and security headers on its 400s.

        The parser says where a request stands: the timer runs from the connection (or a
        request's first byte, ``on_message_begin``) until its headers are complete."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.header_timeout_s = get_settings().header_timeout_s
            self._header_timer: asyncio.TimerHandle | None = None
            self._in_headers = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._in_headers = True
            self._arm_header_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel_header_timer()
            super().connection_lost(exc)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._in_headers = True
            self._arm_header_timer()

        def on_headers_complete(self) -> None:
            self._in_headers = False
            self._cancel_header_timer()
            super().on_headers_complete()

        def _arm_header_timer(self) -> None:
            if self._header_timer is None and self.header_timeout_s > 0:
                self._header_timer = self.loop.call_later(
                    self.header_timeout_s, self._headers_late
                )

        def _cancel_header_timer(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_late(self) -> None:
            self._header_timer = None
            if self._in_headers and not self.transport.is_closing():
                self.logger.info("closing a connection whose request headers were late")
                self.transport.close()

        def send_400_response(self, msg: str) -> None:
            body = msg.encode("ascii")
            lines = [
                b"HTTP/1.1 400 Bad Request",
                b"content-type: text/plain; charset=utf-8",
                b"content-length: " + str(len(body)).encode("ascii"),
                b"connection: close",
                *(name + b": " + value for name, value in SECURITY_HEADERS),
            ]
            self.transport.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
            self.transport.close()
