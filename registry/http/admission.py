"""A bound on the work in flight: overload is answered quickly with 503, never by a growing queue.

Without a bound, every connection's request starts at once; under a burst they share the CPU and
the database connections, each takes longer, clients time out and resend, and the server spends
its time on answers nobody waits for (docs/PERFORMANCE.md, overload). Here at most ``limit``
requests run the application at once; up to ``queue`` more wait, each at most ``wait_s`` seconds,
for a slot; anything beyond, or waiting longer, gets 503 with Retry-After at once. A request whose
client has gone while it waited is dropped without being computed. Cache hits are answered before
this middleware (it sits inside the response cache), so repeated URLs never queue.

``limit`` stays below the database pool's size, so a burst cannot exhaust the pool and leave
handlers waiting on connections that only the event loop could release (the 200-connection wedge
of docs/RELIABILITY.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BUSY = "the server is busy; retry shortly"
RETRY_AFTER = b"1"


@dataclass
class AdmissionStats:
    """Counters for the bench and the tests."""

    admitted: int = 0
    refused: int = 0
    abandoned: int = 0  # clients gone before their turn
    waiting: int = 0


class Admission:
    """At most ``limit`` requests in the application, ``queue`` waiting up to ``wait_s``."""

    def __init__(
        self, app: ASGIApp, *, limit: int = 8, queue: int = 64, wait_s: float = 1.0
    ) -> None:
        self.app = app
        self.limit = limit
        self.queue = queue
        self.wait_s = wait_s
        self.stats = AdmissionStats()
        self._slots: anyio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._slots is None:  # made inside the event loop, on first use
            self._slots = anyio.Semaphore(self.limit)
        slots = self._slots
        if slots.value > 0:
            await slots.acquire()
        elif self.stats.waiting >= self.queue:
            await self._refuse(send)
            return
        else:
            self.stats.waiting += 1
            try:
                with anyio.move_on_after(self.wait_s) as waited:
                    await slots.acquire()
            finally:
                self.stats.waiting -= 1
            if waited.cancelled_caught:
                await self._refuse(send)
                return
        try:
            first = await _pending_message(receive)
            if first is not None and first["type"] == "http.disconnect":
                self.stats.abandoned += 1
                return
            self.stats.admitted += 1
            await self.app(scope, _replaying(first, receive), send)
        finally:
            slots.release()

    async def _refuse(self, send: Send) -> None:
        self.stats.refused += 1
        body = json.dumps({"detail": BUSY}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", RETRY_AFTER),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


async def _pending_message(receive: Receive) -> Message | None:
    """The next message if one is already waiting (a disconnect, or the request body), else
    None, without waiting for one."""
    with anyio.CancelScope() as scope:
        scope.cancel()
        return await receive()
    return None


def _replaying(first: Message | None, receive: Receive) -> Receive:
    """``receive``, giving ``first`` back before anything else."""
    if first is None:
        return receive
    pending: list[Message] = [first]

    async def replay() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return replay
